import { describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  FatalJournalError,
  Journal,
  JournalWriteError,
  verifyJournal,
  type RecordLocation,
} from '../../src/journal/index.js';
import { FaultyIo, captureLog, commitEntry, commitment, recomputeHead, type FaultMode, type FaultOp, scratchDirs } from './fixtures/journal-fixture.js';

const dir = scratchDirs();

const isSegment = (p: string): boolean => p.endsWith('.seg');
const isSidecarTmp = (p: string): boolean => p.endsWith('.end.tmp');

/**
 * After any fault: reopen (recovery), then every acknowledged record must be there and intact, the head
 * must equal a recomputation, fsck must find nothing, and the journal must take new records.
 */
async function checkStore(d: string, acked: Map<number, number>): Promise<void> {
  const j = await Journal.open({ dir: d, log: () => undefined });
  const size = j.head().size;
  for (const [seq, n] of acked) {
    expect(seq).toBeLessThan(size);
    const loc = await j.locate(seq);
    expect(j.readSync(loc)).toEqual({ seq, type: 'commit', commitment: commitment(n) });
  }
  expect(Buffer.from(j.head().hash)).toEqual(recomputeHead(d).hash);
  const [loc] = await j.append([commitEntry(999)]);
  expect(loc?.seq).toBe(size);
  await j.close();
  const report = await verifyJournal(d);
  expect(report.problems).toEqual([]);
  expect(report.records).toBe(size + 1);
}

async function appendAll(j: Journal, from: number, count: number, acked: Map<number, number>): Promise<void> {
  const locs = await j.append(Array.from({ length: count }, (_, i) => commitEntry(from + i)));
  locs.forEach((l, i) => acked.set(l.seq, from + i));
}

describe('write failures', () => {
  for (const mode of ['fail', 'persist-then-fail'] as FaultMode[]) {
    it(`ENOSPC on the segment write (${mode}): rolled back, rejected, and the journal stays usable`, async () => {
      const d = dir();
      const faulty = new FaultyIo();
      const j = await Journal.open({ dir: d, segmentRecords: 8, io: faulty.io, log: () => undefined });
      const acked = new Map<number, number>();
      await appendAll(j, 0, 3, acked);
      const bytesBefore = statSync(join(d, '0000000000000000.seg')).size;
      const headBefore = j.head();
      faulty.inject('write', mode, { errno: 'ENOSPC', match: isSegment });
      const err = await j.append([commitEntry(3), commitEntry(4)]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JournalWriteError);
      expect((err as JournalWriteError).message).toMatch(/ENOSPC/);
      expect(j.head()).toEqual(headBefore);
      expect(statSync(join(d, '0000000000000000.seg')).size).toBe(bytesBefore);
      expect(j.failure).toBeUndefined();
      await appendAll(j, 10, 2, acked);
      expect([...acked.keys()]).toEqual([0, 1, 2, 3, 4]);
      await j.close();
      await checkStore(d, acked);
    });

    it(`EIO on fdatasync (${mode}): the journal enters the failed state and rejects every later append`, async () => {
      const d = dir();
      const faulty = new FaultyIo();
      const { log, lines } = captureLog();
      const j = await Journal.open({ dir: d, io: faulty.io, log });
      const acked = new Map<number, number>();
      await appendAll(j, 0, 2, acked);
      faulty.inject('fdatasync', mode, { match: isSegment });
      const failed = j.append([commitEntry(2)]);
      const queued = j.append([commitEntry(3)]);
      await expect(failed).rejects.toThrow(FatalJournalError);
      await expect(queued).rejects.toThrow(FatalJournalError);
      expect(j.failure).toBeInstanceOf(FatalJournalError);
      const writes = faulty.count('write');
      await expect(j.append([commitEntry(4)])).rejects.toThrow(FatalJournalError);
      expect(faulty.count('write')).toBe(writes);
      expect(j.head().size).toBe(2);
      expect(lines.some((l) => l.level === 'error' && /failed state/.test(l.msg))).toBe(true);
      await j.close();
      await checkStore(d, acked);
    });
  }

  it('ftruncate failing after a failed write is fatal (the file state is unknown)', async () => {
    const d = dir();
    const faulty = new FaultyIo();
    const j = await Journal.open({ dir: d, io: faulty.io, log: () => undefined });
    const acked = new Map<number, number>();
    await appendAll(j, 0, 2, acked);
    faulty.inject('write', 'persist-then-fail', { errno: 'EIO', match: isSegment });
    faulty.inject('ftruncate', 'fail');
    await expect(j.append([commitEntry(2)])).rejects.toThrow(FatalJournalError);
    await expect(j.append([commitEntry(3)])).rejects.toThrow(FatalJournalError);
    await j.close();
    await checkStore(d, acked);
  });

  for (const mode of ['fail', 'persist-then-fail'] as FaultMode[]) {
    it(`creating the next segment fails (${mode}): JournalWriteError, then the journal continues`, async () => {
      const d = dir();
      const faulty = new FaultyIo();
      const j = await Journal.open({ dir: d, segmentRecords: 2, io: faulty.io, log: () => undefined });
      const acked = new Map<number, number>();
      await appendAll(j, 0, 2, acked);
      faulty.inject('open', mode, { errno: 'ENOSPC', match: (p) => p.endsWith('0000000000000002.seg') });
      await expect(j.append([commitEntry(2)])).rejects.toThrow(JournalWriteError);
      // persist-then-fail left an empty segment file behind: the retry reuses it
      await appendAll(j, 2, 3, acked);
      expect(j.head().size).toBe(5);
      await j.close();
      await checkStore(d, acked);
    });
  }

  for (const mode of ['fail', 'persist-then-fail'] as FaultMode[]) {
    it(`fsync of the directory after creating a segment fails (${mode}): fatal`, async () => {
      const d = dir();
      const faulty = new FaultyIo();
      const j = await Journal.open({ dir: d, segmentRecords: 2, io: faulty.io, log: () => undefined });
      const acked = new Map<number, number>();
      await appendAll(j, 0, 2, acked);
      faulty.inject('fsync', mode, { match: (p) => p === d });
      await expect(j.append([commitEntry(2)])).rejects.toThrow(FatalJournalError);
      await j.close();
      await checkStore(d, acked);
    });
  }

  const sealSteps: Array<[FaultOp, (p: string) => boolean]> = [
    ['open', isSidecarTmp],
    ['write', isSidecarTmp],
    ['rename', (p) => p.endsWith('.end')],
  ];
  for (const [op, match] of sealSteps) {
    it(`a sidecar ${op} failure keeps the filling append (it is durable) and retries sealing before the next segment`, async () => {
      const d = dir();
      const faulty = new FaultyIo();
      const { log, lines } = captureLog();
      const j = await Journal.open({ dir: d, segmentRecords: 3, io: faulty.io, log });
      const acked = new Map<number, number>();
      faulty.inject(op, 'fail', { errno: 'ENOSPC', match, times: 2 });
      await appendAll(j, 0, 3, acked);
      expect(lines.some((l) => l.level === 'error' && /sidecar/.test(l.msg))).toBe(true);
      // the second injected failure hits the retry: no new segment without a sealed predecessor
      await expect(j.append([commitEntry(3)])).rejects.toThrow(JournalWriteError);
      expect(j.head().size).toBe(3);
      await appendAll(j, 3, 2, acked);
      expect(readFileSync(join(d, '0000000000000000.end')).length).toBe(52);
      await j.close();
      await checkStore(d, acked);
    });
  }

  it('a sidecar fsync failure keeps the durable records but enters the failed state', async () => {
    const d = dir();
    const faulty = new FaultyIo();
    const j = await Journal.open({ dir: d, segmentRecords: 3, io: faulty.io, log: () => undefined });
    const acked = new Map<number, number>();
    faulty.inject('fsync', 'persist-then-fail', { match: isSidecarTmp });
    await appendAll(j, 0, 3, acked);
    expect(j.failure).toBeInstanceOf(FatalJournalError);
    await expect(j.append([commitEntry(3)])).rejects.toThrow(FatalJournalError);
    await j.close();
    await checkStore(d, acked);
  });

  it('a write failure in the second segment of one flush keeps the first segment’s appends', async () => {
    const d = dir();
    const faulty = new FaultyIo();
    const j = await Journal.open({ dir: d, segmentRecords: 4, io: faulty.io, log: () => undefined });
    const acked = new Map<number, number>();
    await appendAll(j, 0, 2, acked);
    faulty.inject('write', 'persist-then-fail', { errno: 'ENOSPC', match: (p) => p.endsWith('0000000000000004.seg') });
    const results = await Promise.allSettled([j.append([commitEntry(2)]), j.append([commitEntry(3)]), j.append([commitEntry(4)]), j.append([commitEntry(5)])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') acked.set((r.value[0] as RecordLocation).seq, 2 + i);
      else expect(r.reason).toBeInstanceOf(JournalWriteError);
    });
    expect(j.head().size).toBe(4);
    await appendAll(j, 4, 2, acked);
    expect(j.head().size).toBe(6);
    await j.close();
    await checkStore(d, acked);
  });
});
