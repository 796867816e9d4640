/**
 * The index is derived only from the journal: reindex (the real command) and recovery from a damaged index
 * both give answers identical to the live index, with complete proofs from synthetic anchor records.
 */
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { truncateSync, statSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { Journal } from '../../src/journal/index.js';
import { AnchorOutOfRangeError, AnchorTipMismatchError, CalendarIndex } from '../../src/index/index.js';
import { Calendar, type Answer } from '../../src/calendar/calendar.js';
import { openDataDir } from '../../src/calendar/data-dir.js';
import { OP_SHA256, Timestamp, bitcoinAttestation, encodePath, merkleRoot, opAppend, opPrepend, sha256, applyPath } from '../../src/ots/index.js';
import { MAIN, tempDir } from '../fixtures/calendar-process.js';

const run = promisify(execFile);
const URI = 'http://127.0.0.1:14788';

async function openCalendar(root: string): Promise<{ calendar: Calendar; close: () => Promise<void> }> {
  const dd = openDataDir(root, { defaultUri: URI });
  const journal = await Journal.open({ dir: dd.journalDir, log: () => undefined });
  const index = await CalendarIndex.open({ dir: dd.indexDir, journal });
  const calendar = new Calendar({ journal, index, hmacKey: dd.hmacKey, uri: dd.uri });
  return { calendar, close: async () => (index.close(), await journal.close()) };
}

function syntheticAnchorPath(height: number): { ops: ReturnType<typeof opAppend>[]; timestamp: Uint8Array } {
  const ops = [opPrepend(randomBytes(89)), opAppend(randomBytes(4)), OP_SHA256, OP_SHA256, opAppend(randomBytes(32)), OP_SHA256, OP_SHA256];
  return { ops, timestamp: encodePath(ops, bitcoinAttestation(height)) };
}

function answersOf(calendar: Calendar, commitments: Uint8Array[]): string[] {
  return commitments.map((c) => {
    const a: Answer = calendar.answer(c);
    return a.kind === 'complete' ? `complete ${Buffer.from(a.proof).toString('hex')}` : a.kind === 'pending' ? `pending ${a.commitNumber}` : 'unknown';
  });
}

describe('reindex', () => {
  it('rebuilds an index that serves identical answers, complete proofs included', async () => {
    const root = tempDir('otsc-reindex-');
    const { calendar, close } = await openCalendar(root);
    const commitments: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      await calendar.commit(randomBytes(32));
      commitments.push(calendar.index.commitment(i));
    }
    const anchor = async (start: number, end: number, height: number): Promise<{ seq: number; ops: ReturnType<typeof opAppend>[]; tip: Uint8Array }> => {
      const tip = merkleRoot(commitments.slice(start, end).map((c) => sha256(c)));
      const { ops, timestamp } = syntheticAnchorPath(height);
      const seq = await calendar.appendAnchor({ tip, ranges: [{ start, end }], timestamp });
      if (seq === null) throw new Error('the anchor was not written');
      return { seq, ops, tip };
    };
    const a = await anchor(0, 200, 1000);
    const b = await anchor(200, 250, 1001);
    await calendar.appendRevocation(b.seq, 'reorg deeper than the confirmation depth');
    await anchor(250, 260, 1002);
    // appending the same anchor again is a no-op (idempotent after a crash)
    const again = await calendar.appendAnchor({ tip: a.tip, ranges: [{ start: 0, end: 200 }], timestamp: syntheticAnchorPath(1000).timestamp });
    expect(again).toBe(a.seq);

    const before = answersOf(calendar, commitments);
    expect(before.filter((x) => x.startsWith('complete'))).toHaveLength(210);
    expect(before[220]).toBe('pending 220');
    expect(answersOf(calendar, [randomBytes(44)])).toEqual(['unknown']);

    // every complete proof goes from its commitment to the anchor's attestation through the tip
    const want = Buffer.from(applyPath(a.ops, a.tip));
    for (const c of commitments.slice(0, 200)) {
      const answer = calendar.answer(c);
      if (answer.kind !== 'complete') throw new Error('expected complete');
      const atts = Timestamp.fromBytes(answer.proof, c).allAttestations();
      expect(atts).toHaveLength(1);
      expect(atts[0]?.attestation).toEqual({ kind: 'bitcoin', height: 1000 });
      expect(Buffer.from(atts[0]?.msg ?? []).equals(want)).toBe(true);
    }
    await close();

    const { stdout } = await run(process.execPath, [MAIN, 'reindex', '--data-dir', root, '--log-format', 'json']);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l['msg'] === 'reindex' && l['done'] === l['total'])).toBe(true);
    expect(lines.find((l) => l['msg'] === 'index rebuilt')).toMatchObject({ commitments: 300, anchors: 3 });

    const reopened = await openCalendar(root);
    expect(answersOf(reopened.calendar, commitments)).toEqual(before);
    await reopened.close();
  });

  it('recovers from a torn or damaged index file by re-deriving it from the journal', async () => {
    const root = tempDir('otsc-reindex-');
    const { calendar, close } = await openCalendar(root);
    for (let i = 0; i < 50; i++) await calendar.commit(randomBytes(32));
    const commitments = Array.from({ length: 50 }, (_, i) => calendar.index.commitment(i));
    const before = answersOf(calendar, commitments);
    await close();

    const idx = join(root, 'index', 'commits.idx');
    truncateSync(idx, statSync(idx).size - 27); // a torn tail: one and a bit entries lost
    let r = await openCalendar(root);
    expect(answersOf(r.calendar, commitments)).toEqual(before);
    await r.close();

    const fd = openSync(idx, 'r+');
    writeSync(fd, randomBytes(20), 0, 20, statSync(idx).size - 20); // garbage in the last entry
    closeSync(fd);
    r = await openCalendar(root);
    expect(answersOf(r.calendar, commitments)).toEqual(before);
    await r.close();
  });
});

describe('index robustness', () => {
  async function anchored(): Promise<{ root: string; commitments: Uint8Array[]; before: string[] }> {
    const root = tempDir('otsc-robust-');
    const { calendar, close } = await openCalendar(root);
    for (let i = 0; i < 120; i++) await calendar.commit(randomBytes(32));
    const commitments = Array.from({ length: 120 }, (_, i) => calendar.index.commitment(i));
    for (const [start, end] of [[0, 40], [40, 90]] as const) {
      const tip = merkleRoot(commitments.slice(start, end).map((c) => sha256(c)));
      await calendar.appendAnchor({ tip, ranges: [{ start, end }], timestamp: syntheticAnchorPath(77).timestamp });
      for (let i = 0; i < 3; i++) await calendar.commit(randomBytes(32));
    }
    commitments.push(...Array.from({ length: 6 }, (_, i) => calendar.index.commitment(120 + i)));
    const before = answersOf(calendar, commitments);
    await close();
    return { root, commitments, before };
  }

  it('re-derives a lost anchors.idx tail, a lost commits.idx tail and lost trees', async () => {
    const { root, commitments, before } = await anchored();
    expect(before.filter((x) => x.startsWith('complete'))).toHaveLength(90);
    for (const damage of [
      () => truncateSync(join(root, 'index', 'anchors.idx'), 16),
      () => truncateSync(join(root, 'index', 'commits.idx'), 20 * 50),
      () => rmSync(join(root, 'index', 'trees'), { recursive: true }),
      () => truncateSync(join(root, 'index', 'anchors.idx'), 0),
    ]) {
      damage();
      const r = await openCalendar(root);
      expect(answersOf(r.calendar, commitments)).toEqual(before);
      await r.close();
    }
  });

  it('refuses an anchor whose tip is not the merkle tip of its commitments, and ignores one in the journal', async () => {
    const root = tempDir('otsc-forged-');
    const { calendar, close } = await openCalendar(root);
    for (let i = 0; i < 10; i++) await calendar.commit(randomBytes(32));
    const forged = { tip: randomBytes(32), ranges: [{ start: 0, end: 10 }], timestamp: syntheticAnchorPath(5).timestamp };
    await expect(calendar.appendAnchor(forged)).rejects.toBeInstanceOf(AnchorTipMismatchError);
    await expect(calendar.appendAnchor({ ...forged, ranges: [{ start: 0, end: 11 }] })).rejects.toBeInstanceOf(AnchorOutOfRangeError);
    // written straight into the journal (as a bad upstream could): the index logs it and serves no proof from it
    await calendar.journal.append([{ type: 'anchor', anchor: forged }]);
    expect(calendar.answer(calendar.index.commitment(3))).toMatchObject({ kind: 'pending' });
    expect(calendar.index.failure).toBeUndefined();
    await close();
  });
});
