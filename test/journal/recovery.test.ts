import { describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FatalJournalError,
  Journal,
  JournalCorruptError,
  encodeRecord,
  verifyJournal,
  type JournalEntry,
  type RecordLocation,
} from '../../src/journal/index.js';
import { FaultyIo, anchor, captureLog, commitEntry, commitment, recomputeHead, scratchDirs } from './fixtures/journal-fixture.js';

const dir = scratchDirs();

const R = 4;
const ACTIVE = '0000000000000004.seg';

/** A journal of 7 records: segment 0 sealed (4 commits), segment 4 active with 2 commits and `last`. */
async function template(last: JournalEntry): Promise<{ dir: string; locs: RecordLocation[]; activeBytes: number; lastLength: number }> {
  const d = dir();
  const j = await Journal.open({ dir: d, segmentRecords: R, log: () => undefined });
  const locs = await j.append([commitEntry(0), commitEntry(1), commitEntry(2), commitEntry(3), commitEntry(4), commitEntry(5), last]);
  await j.close();
  const activeBytes = readFileSync(join(d, ACTIVE)).length;
  return { dir: d, locs, activeBytes, lastLength: activeBytes - (locs[6] as RecordLocation).offset };
}

function copyOf(src: string): string {
  const d = dir();
  cpSync(src, d, { recursive: true });
  return d;
}

function cutFiles(d: string): string[] {
  return readdirSync(d).filter((n) => n.endsWith('.cut'));
}

/**
 * Opens a damaged copy and checks the whole recovery contract: records before the damage kept, the rest cut
 * and saved to a side file, one error log with the byte count, appends continue at the right seq, and the
 * head hash equals a recomputation from the files, also after a reopen.
 */
async function expectRecovered(d: string, keptRecords: number, cutBytes: Uint8Array): Promise<void> {
  const { log, lines } = captureLog();
  const j = await Journal.open({ dir: d, log });
  expect(j.head().size).toBe(keptRecords);
  const errors = lines.filter((l) => l.level === 'error');
  expect(errors).toHaveLength(1);
  expect(errors[0]?.fields?.bytes).toBe(cutBytes.length);
  const side = cutFiles(d);
  expect(side).toHaveLength(1);
  expect(readFileSync(join(d, side[0] as string))).toEqual(Buffer.from(cutBytes));
  expect(errors[0]?.fields?.savedTo).toBe(side[0]);
  expect(Buffer.from(j.head().hash)).toEqual(recomputeHead(d).hash);
  const [loc] = await j.append([commitEntry(100)]);
  expect(loc?.seq).toBe(keptRecords);
  expect(j.readSync(loc as RecordLocation)).toEqual({ seq: keptRecords, type: 'commit', commitment: commitment(100) });
  const head = j.head();
  await j.close();
  const again = await Journal.open({ dir: d, log: () => undefined });
  expect(again.head()).toEqual(head);
  expect(Buffer.from(head.hash)).toEqual(recomputeHead(d).hash);
  await again.close();
  expect((await verifyJournal(d)).problems).toEqual([]);
}

describe('recovery of the active segment', () => {
  it('cuts a torn last commit record at every truncation point', async () => {
    const t = await template(commitEntry(6));
    const full = readFileSync(join(t.dir, ACTIVE));
    const start = (t.locs[6] as RecordLocation).offset;
    for (let n = 1; n < t.lastLength; n++) {
      const d = copyOf(t.dir);
      truncateSync(join(d, ACTIVE), start + n);
      await expectRecovered(d, 6, full.subarray(start, start + n));
    }
  });

  it('cuts a torn last anchor record at every truncation point', async () => {
    const t = await template({ type: 'anchor', anchor: anchor(1, [{ start: 0, end: 6 }]) });
    const full = readFileSync(join(t.dir, ACTIVE));
    const start = (t.locs[6] as RecordLocation).offset;
    expect(t.lastLength).toBeGreaterThan(61);
    for (let n = 1; n < t.lastLength; n++) {
      const d = copyOf(t.dir);
      truncateSync(join(d, ACTIVE), start + n);
      await expectRecovered(d, 6, full.subarray(start, start + n));
    }
  });

  it('opens a journal cut exactly at a record boundary without logging or cutting', async () => {
    const t = await template(commitEntry(6));
    const d = copyOf(t.dir);
    truncateSync(join(d, ACTIVE), (t.locs[6] as RecordLocation).offset);
    const { log, lines } = captureLog();
    const j = await Journal.open({ dir: d, log });
    expect(j.head().size).toBe(6);
    expect(lines.filter((l) => l.level !== 'info')).toEqual([]);
    expect(cutFiles(d)).toEqual([]);
    await j.close();
  });

  it('cuts from a record with a corrupt CRC, including the records after it', async () => {
    const t = await template(commitEntry(6));
    const full = readFileSync(join(t.dir, ACTIVE));
    for (const victim of [4, 5, 6]) {
      const d = copyOf(t.dir);
      const bytes = Buffer.from(full);
      const at = (t.locs[victim] as RecordLocation).offset;
      bytes[at + 60] = (bytes[at + 60] as number) ^ 0x01;
      writeFileSync(join(d, ACTIVE), bytes);
      await expectRecovered(d, victim, bytes.subarray(at));
    }
  });

  it('cuts garbage and zero fill appended after the last record', async () => {
    const t = await template(commitEntry(6));
    for (const junk of [Buffer.from('not a record at all'), Buffer.alloc(4096), Buffer.from([0xff])]) {
      const d = copyOf(t.dir);
      appendFileSync(join(d, ACTIVE), junk);
      await expectRecovered(d, 7, junk);
    }
  });

  it('cuts a well-formed record that does not continue the sequence', async () => {
    const t = await template(commitEntry(6));
    for (const seq of [6, 8, 0]) {
      const d = copyOf(t.dir);
      const stray = encodeRecord({ seq, type: 'commit', commitment: commitment(seq) });
      appendFileSync(join(d, ACTIVE), stray);
      await expectRecovered(d, 7, stray);
    }
  });

  it('cuts a record past the segment count (no segment holds more than segmentRecords)', async () => {
    const d = dir();
    const j = await Journal.open({ dir: d, segmentRecords: R, log: () => undefined });
    await j.append([commitEntry(0), commitEntry(1), commitEntry(2), commitEntry(3)]);
    await j.close();
    // a fifth record in the first segment: seq continues, but it belongs in segment 4
    const extra = encodeRecord({ seq: 4, type: 'commit', commitment: commitment(4) });
    // the segment is sealed and still the last one; its sidecar matches the first four records, so only the
    // extra record is cut and the sidecar stays as it was
    const sidecar = join(d, '0000000000000000.end');
    const saved = readFileSync(sidecar);
    appendFileSync(join(d, '0000000000000000.seg'), extra);
    await expectRecovered(d, 4, extra);
    expect(readFileSync(sidecar)).toEqual(saved);
  });

  it('refuses to cut records the caller had already verified, and changes nothing', async () => {
    const t = await template(commitEntry(6));
    const d = copyOf(t.dir);
    const before = readFileSync(join(t.dir, ACTIVE));
    const damaged = Buffer.from(before);
    const at = (t.locs[5] as RecordLocation).offset;
    damaged[at + 20] = (damaged[at + 20] as number) ^ 0xff;
    writeFileSync(join(d, ACTIVE), damaged);
    await expect(Journal.open({ dir: d, log: () => undefined, verifiedUpTo: t.locs[5] as RecordLocation })).rejects.toThrow(JournalCorruptError);
    expect(readFileSync(join(d, ACTIVE))).toEqual(damaged);
    expect(cutFiles(d)).toEqual([]);
    // a hint below the damage allows the cut
    const j = await Journal.open({ dir: d, log: () => undefined, verifiedUpTo: t.locs[4] as RecordLocation });
    expect(j.head().size).toBe(5);
    await j.close();
  });

  it('refuses a journal shorter than the verified location', async () => {
    const t = await template(commitEntry(6));
    await expect(Journal.open({ dir: t.dir, log: () => undefined, verifiedUpTo: { seq: 7, offset: 0 } })).rejects.toThrow(JournalCorruptError);
    const j = await Journal.open({ dir: t.dir, log: () => undefined, verifiedUpTo: t.locs[6] as RecordLocation });
    expect(j.head().size).toBe(7);
    await j.close();
  });

  it('saves the cut bytes before cutting: a failed side file leaves the segment untouched', async () => {
    const t = await template(commitEntry(6));
    const d = copyOf(t.dir);
    appendFileSync(join(d, ACTIVE), Buffer.from('torn'));
    const damaged = readFileSync(join(d, ACTIVE));
    const faulty = new FaultyIo();
    faulty.inject('write', 'fail', { errno: 'ENOSPC', match: (p) => p.endsWith('.cut.tmp') });
    await expect(Journal.open({ dir: d, io: faulty.io, log: () => undefined })).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(join(d, ACTIVE))).toEqual(damaged);
    // the next open cleans the temporary file and completes the cut
    await expectRecovered(d, 7, Buffer.from('torn'));
  });

  it('fails open when the fdatasync after the cut fails', async () => {
    const t = await template(commitEntry(6));
    const d = copyOf(t.dir);
    appendFileSync(join(d, ACTIVE), Buffer.from('torn'));
    const faulty = new FaultyIo();
    faulty.inject('fdatasync', 'persist-then-fail', { match: (p) => p.endsWith(ACTIVE) });
    await expect(Journal.open({ dir: d, io: faulty.io, log: () => undefined })).rejects.toThrow(FatalJournalError);
    const j = await Journal.open({ dir: d, log: () => undefined });
    expect(j.head().size).toBe(7);
    await j.close();
  });
});
