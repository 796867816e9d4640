import { describe, expect, it } from 'vitest';
import { pbkdf2 } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  COMMIT_RECORD_BYTES,
  Journal,
  JournalClosedError,
  JournalFormatError,
  JournalLockedError,
  RecordNotFoundError,
  decodeRecord,
  type JournalRecord,
  type RecordLocation,
} from '../../src/journal/index.js';
import { anchor, commitEntry, commitment, recomputeHead, scratchDirs } from './fixtures/journal-fixture.js';

const dir = scratchDirs();

describe('Journal basics', () => {
  it('appends records, assigns consecutive seqs and reads them back by location', async () => {
    const d = dir();
    const j = await Journal.open({ dir: d, segmentRecords: 8 });
    const locs = await j.append([commitEntry(0), commitEntry(1), { type: 'anchor', anchor: anchor(0, [{ start: 0, end: 2 }]) }]);
    expect(locs.map((l) => l.seq)).toEqual([0, 1, 2]);
    expect(locs.map((l) => l.offset)).toEqual([0, COMMIT_RECORD_BYTES, 2 * COMMIT_RECORD_BYTES]);
    const more = await j.append([{ type: 'revocation', revocation: { anchorSeq: 2, reason: 'reorg at height 7' } }]);
    expect(more[0]?.seq).toBe(3);
    const r0 = j.readSync(locs[0] as RecordLocation);
    expect(r0).toEqual({ seq: 0, type: 'commit', commitment: commitment(0) });
    const r2 = await j.read(locs[2] as RecordLocation);
    expect(r2.type).toBe('anchor');
    if (r2.type === 'anchor') expect(r2.anchor.ranges).toEqual([{ start: 0, end: 2 }]);
    const r3 = j.readSync(more[0] as RecordLocation);
    expect(r3).toEqual({ seq: 3, type: 'revocation', revocation: { anchorSeq: 2, reason: 'reorg at height 7' } });
    expect(j.head().size).toBe(4);
    expect(Buffer.from(j.head().hash)).toEqual(recomputeHead(d).hash);
    await j.close();
  });

  it('keeps what synchronous reads returned intact through later reads (their buffer is reused)', async () => {
    const j = await Journal.open({ dir: dir(), segmentRecords: 64 });
    const locs = await j.append([
      ...Array.from({ length: 20 }, (_, i) => commitEntry(i)),
      { type: 'anchor', anchor: anchor(0, [{ start: 0, end: 20 }]) },
      ...Array.from({ length: 20 }, (_, i) => commitEntry(20 + i)),
    ]);
    const one = j.readSync(locs[3] as RecordLocation);
    const anchored = j.readSync(locs[20] as RecordLocation);
    const span = j.readSpanSync(locs[0] as RecordLocation, locs[19] as RecordLocation);
    const later = j.readSpanSync(locs[21] as RecordLocation, locs[40] as RecordLocation);
    j.readSync(locs[40] as RecordLocation);
    expect(one).toEqual({ seq: 3, type: 'commit', commitment: commitment(3) });
    expect(anchored).toEqual({ seq: 20, type: 'anchor', anchor: anchor(0, [{ start: 0, end: 20 }]) });
    expect(span).toEqual(Array.from({ length: 20 }, (_, i) => ({ seq: i, type: 'commit', commitment: commitment(i) })));
    expect(later.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 21 + i));
    await j.close();
  });

  it('keeps the commit record at 61 bytes on disk', async () => {
    const d = dir();
    const j = await Journal.open({ dir: d });
    await j.append(Array.from({ length: 100 }, (_, i) => commitEntry(i)));
    await j.close();
    expect(readFileSync(join(d, '0000000000000000.seg')).length).toBe(100 * 61);
  });

  it('rejects reads of records it does not hold and locations that hold another record', async () => {
    const j = await Journal.open({ dir: dir(), segmentRecords: 4 });
    const locs = await j.append([commitEntry(0), commitEntry(1)]);
    expect(() => j.readSync({ seq: 2, offset: 2 * 61 })).toThrow(RecordNotFoundError);
    expect(() => j.readSync({ seq: 1, offset: 0 })).toThrow(RecordNotFoundError);
    expect(() => j.readSync({ seq: 0, offset: 5 })).toThrow(RecordNotFoundError);
    await expect(j.read({ seq: -1, offset: 0 })).rejects.toThrow(RecordNotFoundError);
    expect(j.readSync(locs[1] as RecordLocation).seq).toBe(1);
    await j.close();
  });

  it('scans from any seq, across segments, yielding raw bytes that decode to the record', async () => {
    const j = await Journal.open({ dir: dir(), segmentRecords: 5 });
    const all = await j.append(Array.from({ length: 23 }, (_, i) => commitEntry(i)));
    for (const from of [0, 4, 5, 12, 22, 23]) {
      const seen: Array<{ record: JournalRecord; loc: RecordLocation }> = [];
      for await (const { record, loc, raw } of j.scan(from)) {
        expect(decodeRecord(raw)).toEqual(record);
        seen.push({ record, loc });
      }
      expect(seen.map((s) => s.record.seq)).toEqual(Array.from({ length: 23 - from }, (_, i) => from + i));
      expect(seen.map((s) => s.loc)).toEqual(all.slice(from));
    }
    await j.close();
  });

  it('serves raw ranges across segments that a second journal appends into byte-identical files', async () => {
    const a = dir();
    const b = dir();
    const up = await Journal.open({ dir: a, segmentRecords: 4 });
    await up.append(Array.from({ length: 6 }, (_, i) => commitEntry(i)));
    await up.append([{ type: 'anchor', anchor: anchor(9, [{ start: 0, end: 6 }]) }]);
    await up.append(Array.from({ length: 4 }, (_, i) => commitEntry(10 + i)));
    const down = await Journal.open({ dir: b, segmentRecords: 4 });
    for (const [from, count] of [[0, 3], [3, 5], [8, 3]] as const) await down.appendRaw(await up.readRange(from, count));
    expect(down.head()).toEqual(up.head());
    for (const name of ['0000000000000000.seg', '0000000000000004.seg', '0000000000000008.seg', '0000000000000000.end', '0000000000000004.end']) {
      expect(readFileSync(join(b, name))).toEqual(readFileSync(join(a, name)));
    }
    expect((await up.locate(9)).offset).toBe((await down.locate(9)).offset);
    await up.close();
    await down.close();
  });

  it('serves concurrent reads across more segments than it keeps descriptors for', async () => {
    const j = await Journal.open({ dir: dir(), segmentRecords: 2, openSegments: 16 });
    const locs = await j.append(Array.from({ length: 80 }, (_, i) => commitEntry(i)));
    // occupy every libuv pool thread, so the reads below queue behind this and run only after the synchronous
    // reads have evicted (and, were it not for the in-use count, closed and reused) their descriptors
    const busy = Array.from({ length: 16 }, () => new Promise((res) => pbkdf2('p', 's', 20_000, 32, 'sha256', res)));
    const order = locs.map((_, i) => (i * 37) % 80);
    const reads = order.map((i) => j.read(locs[i] as RecordLocation));
    const ranges = order.slice(0, 20).map((i) => j.readRange(i, Math.min(5, 80 - i)));
    for (let k = 79; k >= 0; k--) expect(j.readSync(locs[k] as RecordLocation).seq).toBe(k);
    await Promise.all(busy);
    const records = await Promise.all(reads);
    records.forEach((r, k) => expect(r).toEqual({ seq: order[k], type: 'commit', commitment: commitment(order[k] as number) }));
    for (const [k, bytes] of (await Promise.all(ranges)).entries()) {
      const i = order[k] as number;
      expect(bytes.length).toBe(Math.min(5, 80 - i) * 61);
      expect(decodeRecord(bytes.subarray(0, 61))).toEqual({ seq: i, type: 'commit', commitment: commitment(i) });
    }
    await j.close();
  });

  it('keeps a read descriptor for every segment read, up to openSegments, and closes them with the journal', async () => {
    const open = (): number => readdirSync('/proc/self/fd').length;
    for (const [openSegments, kept] of [[undefined, 20], [8, 8]] as const) {
      const j = await Journal.open({ dir: dir(), segmentRecords: 2, ...(openSegments ? { openSegments } : {}) });
      const locs = await j.append(Array.from({ length: 40 }, (_, i) => commitEntry(i)));
      const before = open();
      for (const loc of locs) expect(j.readSync(loc).seq).toBe(loc.seq);
      for (const loc of locs) expect(j.readSync(loc).seq).toBe(loc.seq);
      expect(open() - before).toBe(kept);
      await j.close();
      expect(open()).toBeLessThan(before);
    }
  });

  it('notifies listeners after each durable flush, before the append resolves', async () => {
    const j = await Journal.open({ dir: dir() });
    const seen: number[] = [];
    const off = j.onAppend((records) => seen.push(...records.map((r) => r.record.seq)));
    const p = j.append([commitEntry(0), commitEntry(1)]);
    expect(seen).toEqual([]);
    await p.then(() => expect(seen).toEqual([0, 1]));
    off();
    await j.append([commitEntry(2)]);
    expect(seen).toEqual([0, 1]);
    await j.close();
  });

  it('returns the head hash at segment boundaries from the sidecars', async () => {
    const d = dir();
    const j = await Journal.open({ dir: d, segmentRecords: 3 });
    const heads: Uint8Array[] = [j.head().hash];
    for (let i = 0; i < 7; i++) {
      await j.append([commitEntry(i)]);
      heads.push(j.head().hash);
    }
    expect(j.hashAt(0)).toEqual(heads[0]);
    expect(j.hashAt(3)).toEqual(heads[3]);
    expect(j.hashAt(6)).toEqual(heads[6]);
    expect(j.hashAt(7)).toEqual(heads[7]);
    expect(() => j.hashAt(4)).toThrow(RangeError);
    expect(() => j.hashAt(9)).toThrow(RangeError);
    await j.close();
  });

  it('holds a directory lock and stores its segment size in the format file', async () => {
    const d = dir();
    const j = await Journal.open({ dir: d, segmentRecords: 16 });
    await expect(Journal.open({ dir: d })).rejects.toThrow(JournalLockedError);
    await j.close();
    await expect(j.append([commitEntry(0)])).rejects.toThrow(JournalClosedError);
    await expect(Journal.open({ dir: d, segmentRecords: 32 })).rejects.toThrow(JournalFormatError);
    const again = await Journal.open({ dir: d });
    expect(again.segmentRecords).toBe(16);
    await again.close();
  });

  it('takes over a lock left by a process that is gone', async () => {
    const d = dir();
    const j = await Journal.open({ dir: d });
    await j.close();
    // pid 2^22 + 1 is above the default pid_max, so no live process has it
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(d, 'journal.lock'), `${2 ** 22 + 1}\n`);
    const again = await Journal.open({ dir: d });
    await again.close();
  });

  it('rejects invalid entries at the call without disturbing other appends', async () => {
    const j = await Journal.open({ dir: dir() });
    const good = j.append([commitEntry(0)]);
    await expect(j.append([{ type: 'commit', commitment: new Uint8Array(43) }])).rejects.toThrow(RangeError);
    await expect(good).resolves.toEqual([{ seq: 0, offset: 0 }]);
    expect(await j.append([])).toEqual([]);
    await j.close();
  });
});
