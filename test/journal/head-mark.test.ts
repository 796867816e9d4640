/**
 * The head mark of a clean close: the next open resumes the walk of the active segment from it, and ignores it
 * whenever it no longer describes the segment's first bytes (a damaged byte, a shorter segment, another
 * journal's mark, a damaged mark), recovering exactly as it does without one.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, type RecordLocation } from '../../src/journal/index.js';
import { decodeHeadMark, encodeHeadMark } from '../../src/journal/head-mark.js';
import { captureLog, commitEntry, recomputeHead, scratchDirs } from './fixtures/journal-fixture.js';

const dir = scratchDirs();
const R = 8;
const ACTIVE = '0000000000000008.seg';
const MARK = '0000000000000008.head';

/** 11 commits: segment 0 sealed, segment 8 active with 3, closed cleanly. */
async function closedJournal(): Promise<string> {
  const d = dir();
  const j = await Journal.open({ dir: d, segmentRecords: R, log: () => undefined });
  await j.append(Array.from({ length: 11 }, (_, i) => commitEntry(i)));
  await j.close();
  return d;
}

function copyOf(src: string): string {
  const d = dir();
  cpSync(src, d, { recursive: true });
  return d;
}

async function openHead(d: string): Promise<{ size: number; hash: Buffer; errors: number }> {
  const { log, lines } = captureLog();
  const j = await Journal.open({ dir: d, log });
  const head = j.head();
  await j.close();
  return { size: head.size, hash: Buffer.from(head.hash), errors: lines.filter((l) => l.level === 'error').length };
}

function marks(d: string): string[] {
  return readdirSync(d).filter((n) => n.endsWith('.head'));
}

describe('the head mark of a clean close', () => {
  it('is left for the active segment alone, and the next open resumes from it with the same head', async () => {
    const d = await closedJournal();
    expect(marks(d)).toEqual([MARK]);
    const mark = decodeHeadMark(readFileSync(join(d, MARK)));
    expect(mark).toMatchObject({ size: 11, segmentBytes: readFileSync(join(d, ACTIVE)).length });
    expect(await openHead(d)).toEqual({ ...recomputeHead(d), errors: 0 });
    // the next segment's close removes the earlier mark
    const j = await Journal.open({ dir: d, log: () => undefined });
    await j.append(Array.from({ length: 6 }, (_, i) => commitEntry(20 + i)));
    await j.close();
    expect(marks(d)).toEqual(['0000000000000016.head']);
    expect(await openHead(d)).toEqual({ ...recomputeHead(d), errors: 0 });
  });

  it('is what the open trusts below it: a mark naming another head hash gives that hash', async () => {
    const d = await closedJournal();
    const mark = decodeHeadMark(readFileSync(join(d, MARK)));
    if (!mark) throw new Error('no mark');
    const other = new Uint8Array(32).fill(7);
    writeFileSync(join(d, MARK), encodeHeadMark({ ...mark, hash: other }));
    expect((await openHead(d)).hash).toEqual(Buffer.from(other));
  });

  it('resumes from it when records were appended after it and the process then died', async () => {
    const d = await closedJournal();
    const j = await Journal.open({ dir: d, log: () => undefined });
    await j.append([commitEntry(50), commitEntry(51)]);
    // a copy of a running journal: its appends are durable, the mark is the earlier close's
    const crashed = copyOf(d);
    await j.close();
    expect(await openHead(crashed)).toEqual({ ...recomputeHead(crashed), errors: 0 });
    expect((await openHead(crashed)).size).toBe(13);
  });

  it('still lets a torn tail after it be cut, and the head is recomputed from the files', async () => {
    const d = await closedJournal();
    const j = await Journal.open({ dir: d, log: () => undefined });
    const [, loc] = await j.append([commitEntry(50), commitEntry(51)]);
    const crashed = copyOf(d);
    await j.close();
    truncateSync(join(crashed, ACTIVE), (loc as RecordLocation).offset + 20);
    const head = await openHead(crashed);
    expect(head).toEqual({ ...recomputeHead(crashed), errors: 1 });
    expect(head.size).toBe(12);
  });

  it('is ignored when a byte below it is damaged: the whole segment is walked and cut at the damage', async () => {
    const d = await closedJournal();
    const bytes = readFileSync(join(d, ACTIVE));
    bytes[61 + 20] = (bytes[61 + 20] as number) ^ 0xff; // in the second record's commitment: its CRC no longer matches
    writeFileSync(join(d, ACTIVE), bytes);
    const head = await openHead(d);
    expect(head.size).toBe(9);
    expect(head.errors).toBe(1);
    expect(head.hash).toEqual(recomputeHead(d).hash);
  });

  it('is ignored when the segment is shorter than it', async () => {
    const d = await closedJournal();
    const length = readFileSync(join(d, ACTIVE)).length;
    truncateSync(join(d, ACTIVE), length - 61);
    expect(await openHead(d)).toEqual({ ...recomputeHead(d), errors: 0 });
  });

  it("is ignored when it is another journal's, or damaged", async () => {
    const a = await closedJournal();
    const b = dir();
    const j = await Journal.open({ dir: b, segmentRecords: R, log: () => undefined });
    await j.append(Array.from({ length: 11 }, (_, i) => commitEntry(100 + i)));
    await j.close();
    const foreign = copyOf(b);
    cpSync(join(a, MARK), join(foreign, MARK));
    expect(await openHead(foreign)).toEqual({ ...recomputeHead(foreign), errors: 0 });
    const damaged = copyOf(b);
    writeFileSync(join(damaged, MARK), readFileSync(join(damaged, MARK)).subarray(0, 40));
    expect(await openHead(damaged)).toEqual({ ...recomputeHead(damaged), errors: 0 });
  });
});
