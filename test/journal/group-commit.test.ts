import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import {
  Journal,
  JournalSequenceError,
  RecordNotFoundError,
  encodeRecord,
  type RecordLocation,
} from '../../src/journal/index.js';
import type { FileIo } from '../../src/durable/index.js';
import { commitEntry, commitment, recomputeHead, scratchDirs } from './fixtures/journal-fixture.js';

const dir = scratchDirs();

/** Counts calls on the real file operations; `hold` makes the next fdatasyncs wait until released. */
function countingIo(): {
  io: Partial<FileIo>;
  counts: { fdatasync: number; write: number; fsync: number };
  reset: () => void;
  hold: () => () => void;
  reached: () => Promise<void>;
} {
  const counts = { fdatasync: 0, write: 0, fsync: 0 };
  let gate: Promise<void> | undefined;
  let arrived: (() => void) | undefined;
  const io: Partial<FileIo> = {
    write: (fd, data, offset, length, position) => {
      counts.write++;
      return new Promise((res, rej) => fs.write(fd, data, offset, length, position, (err, n) => (err ? rej(err) : res(n))));
    },
    fsync: (fd) => {
      counts.fsync++;
      return new Promise((res, rej) => fs.fsync(fd, (err) => (err ? rej(err) : res())));
    },
    fdatasync: async (fd) => {
      counts.fdatasync++;
      arrived?.();
      if (gate) await gate;
      await new Promise<void>((res, rej) => fs.fdatasync(fd, (err) => (err ? rej(err) : res())));
    },
  };
  return {
    io,
    counts,
    reset: () => Object.assign(counts, { fdatasync: 0, write: 0, fsync: 0 }),
    hold: () => {
      let release = (): void => undefined;
      gate = new Promise((res) => (release = res));
      return () => {
        gate = undefined;
        release();
      };
    },
    reached: () => new Promise((res) => (arrived = res)),
  };
}

const ticks = (n: number): Promise<void> => new Promise((res) => {
  const step = (k: number): void => (k === 0 ? res() : void setImmediate(() => step(k - 1)));
  step(n);
});

describe('group commit', () => {
  it('turns many concurrent appends into fewer fsyncs, with consecutive seqs in call order', async () => {
    const seam = countingIo();
    const d = dir();
    const j = await Journal.open({ dir: d, io: seam.io });
    const calls = Array.from({ length: 200 }, (_, i) => j.append([commitEntry(i)]));
    const locs = await Promise.all(calls);
    expect(locs.map((l) => l[0]?.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(seam.counts.fdatasync).toBeGreaterThan(0);
    expect(seam.counts.fdatasync).toBeLessThan(200);
    for (let i = 0; i < 200; i++) expect(j.readSync(locs[i]?.[0] as RecordLocation)).toEqual({ seq: i, type: 'commit', commitment: commitment(i) });
    await j.close();
    expect(recomputeHead(d).size).toBe(200);
  });

  it('keeps producers that append in a loop to fewer fsyncs than appends', async () => {
    const seam = countingIo();
    const j = await Journal.open({ dir: dir(), io: seam.io });
    let n = 0;
    const producer = async (): Promise<void> => {
      for (let k = 0; k < 25; k++) await j.append([commitEntry(n++)]);
    };
    await Promise.all(Array.from({ length: 8 }, producer));
    expect(j.head().size).toBe(200);
    expect(seam.counts.fdatasync).toBeLessThan(200);
    await j.close();
  });

  it('resolves nothing, and shows nothing to readers or listeners, before the fsync completes', async () => {
    const seam = countingIo();
    const j = await Journal.open({ dir: dir(), io: seam.io });
    await j.append([]);
    seam.reset(); // the format file's write and syncs are not part of this
    const heard: number[] = [];
    j.onAppend((records) => heard.push(...records.map((r) => r.loc.seq)));
    const release = seam.hold();
    const reached = seam.reached();
    const settled: string[] = [];
    const a = j.append([commitEntry(0)]).then(() => settled.push('a'));
    await reached;
    // issued while the first flush waits on its fsync: they must share the next one
    const b = j.append([commitEntry(1)]).then(() => settled.push('b'));
    const c = j.append([commitEntry(2), commitEntry(3)]).then(() => settled.push('c'));
    await ticks(20);
    expect(settled).toEqual([]);
    expect(heard).toEqual([]);
    expect(j.head().size).toBe(0);
    expect(() => j.readSync({ seq: 0, offset: 0 })).toThrow(RecordNotFoundError);
    expect(seam.counts.fdatasync).toBe(1);
    release();
    await Promise.all([a, b, c]);
    expect(settled).toEqual(['a', 'b', 'c']);
    expect(heard).toEqual([0, 1, 2, 3]);
    expect(seam.counts.fdatasync).toBe(2);
    // the first flush also created the segment (one fsync of the directory)
    expect(seam.counts).toEqual({ fdatasync: 2, write: 2, fsync: 1 });
    await j.close();
  });

  it('writes one flush with one write call, and crosses a segment boundary with one per segment', async () => {
    const seam = countingIo();
    const j = await Journal.open({ dir: dir(), segmentRecords: 10, io: seam.io });
    seam.reset();
    await Promise.all(Array.from({ length: 7 }, (_, i) => j.append([commitEntry(i)])));
    expect(seam.counts).toMatchObject({ write: 1, fdatasync: 1 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => j.append([commitEntry(7 + i)])));
    // segment 0 gets 3 records and is sealed (sidecar: one write, fsync of file and directory); segment 10
    // is created (fsync of the directory) and gets the other 3: one write and one data sync per segment
    expect(seam.counts).toEqual({ write: 4, fdatasync: 3, fsync: 4 });
    expect(j.head().size).toBe(13);
    await j.close();
  });

  it('checks appendRaw continuity when its batch is written, without failing its neighbours', async () => {
    const j = await Journal.open({ dir: dir() });
    const raw = (seq: number): Uint8Array => encodeRecord({ seq, type: 'commit', commitment: commitment(seq) });
    const first = j.append([commitEntry(0)]);
    const wrong = expect(j.appendRaw(raw(0))).rejects.toThrow(JournalSequenceError);
    const right = j.appendRaw(raw(1));
    const after = j.append([commitEntry(2)]);
    await expect(first).resolves.toEqual([{ seq: 0, offset: 0 }]);
    await wrong;
    await expect(right).resolves.toEqual([{ seq: 1, offset: 61 }]);
    await expect(after).resolves.toEqual([{ seq: 2, offset: 122 }]);
    await j.close();
  });

  it('verifies appendRaw bytes before queueing them', async () => {
    const j = await Journal.open({ dir: dir() });
    const good = Buffer.concat([0, 1].map((seq) => encodeRecord({ seq, type: 'commit', commitment: commitment(seq) })));
    const gap = Buffer.concat([0, 2].map((seq) => encodeRecord({ seq, type: 'commit', commitment: commitment(seq) })));
    await expect(j.appendRaw(gap)).rejects.toThrow(RangeError);
    const corrupt = Buffer.from(good);
    corrupt[70] = (corrupt[70] as number) ^ 1;
    await expect(j.appendRaw(corrupt)).rejects.toThrow(/checksum/);
    await expect(j.appendRaw(good.subarray(0, good.length - 1))).rejects.toThrow(/truncated/);
    expect(j.head().size).toBe(0);
    const input = Buffer.from(good);
    const done = j.appendRaw(input);
    input.fill(0); // the journal copied the bytes at the call
    await expect(done).resolves.toHaveLength(2);
    expect(j.readSync({ seq: 1, offset: 61 })).toEqual({ seq: 1, type: 'commit', commitment: commitment(1) });
    await j.close();
  });
});
