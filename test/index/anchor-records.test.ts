/**
 * anchors.idx.records: the index opens from its copy of the anchor and revocation records without reading
 * them from the journal; a copy that is torn, damaged or missing is used up to there, the rest read from the
 * journal and copied again; the answers are the same every time. A damaged or lost tree is rebuilt.
 */
import { describe, it, expect, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../src/journal/index.js';
import { CalendarIndex } from '../../src/index/index.js';
import { Calendar } from '../../src/calendar/calendar.js';
import { OP_SHA256, bitcoinAttestation, encodePath, merkleRoot, opAppend, sha256 } from '../../src/ots/index.js';

const RECORDS = 'anchors.idx.records';

/** 410 commitments, 5 anchors over the first 390 (one revoked and anchored again), in `dir`; with `quiet`, the journal ends with the anchors (400 commitments). */
async function build(dir: string, quiet = false): Promise<void> {
  const journal = await Journal.open({ dir: join(dir, 'journal'), log: () => undefined });
  const index = await CalendarIndex.open({ dir: join(dir, 'index'), journal });
  try {
    let i = 0;
    const calendar = new Calendar({ journal, index, hmacKey: new Uint8Array(32).fill(3), uri: 'https://calendar.example', now: () => 1_700_000_000 + i / 4 });
    for (; i < 400; i++) await calendar.commit(sha256(new TextEncoder().encode(`root ${i}`)));
    const all = Array.from({ length: 400 }, (_, n) => index.commitment(n));
    const anchor = async (start: number, end: number, height: number): Promise<void> => {
      const tip = merkleRoot(all.slice(start, end).map((c) => sha256(c)));
      await calendar.appendAnchor({ tip, ranges: [{ start, end }], timestamp: encodePath([opAppend(new Uint8Array([height & 0xff])), OP_SHA256], bitcoinAttestation(height)) });
    };
    await anchor(0, 100, 800_000);
    await anchor(100, 200, 800_001);
    await anchor(200, 300, 800_002);
    const revoked = index.anchors.find(250)?.seq;
    if (revoked === undefined) throw new Error('no anchor over 250');
    await calendar.appendRevocation(revoked, 'reorg');
    await anchor(200, 300, 800_010);
    await anchor(300, 390, 800_011);
    // commitments after the anchors: the anchor entries lie below the index's last commit entry
    if (!quiet) for (; i < 410; i++) await calendar.commit(sha256(new TextEncoder().encode(`root ${i}`)));
  } finally {
    index.close();
    await journal.close();
  }
}

/** Every commitment's answer, and how many journal reads opening the index took. */
async function answers(dir: string, count = 410): Promise<{ answers: string[]; openReads: number; caughtUp: boolean }> {
  const journal = await Journal.open({ dir: join(dir, 'journal'), log: () => undefined });
  const reads = vi.spyOn(journal, 'readSync');
  const index = await CalendarIndex.open({ dir: join(dir, 'index'), journal });
  const openReads = reads.mock.calls.length;
  reads.mockRestore();
  const caughtUp = index.indexedSize === journal.head().size;
  try {
    const calendar = new Calendar({ journal, index, hmacKey: new Uint8Array(32).fill(3), uri: 'https://calendar.example', now: () => 1_700_000_200 });
    return {
      openReads,
      caughtUp,
      answers: Array.from({ length: count }, (_, n) => {
        const a = calendar.answer(index.commitment(n));
        return a.kind === 'complete' ? Buffer.from(a.proof).toString('hex') : a.kind;
      }),
    };
  } finally {
    index.close();
    await journal.close();
  }
}

describe('the copy of the anchor records', () => {
  it('is what the index opens from, and is used up to where it is torn, damaged or missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otsc-anchor-records-'));
    await build(dir);
    const records = join(dir, 'index', RECORDS);
    const full = statSync(records).size;
    expect(full).toBeGreaterThan(0);

    const first = await answers(dir);
    expect(first.answers.filter((a) => a !== 'pending')).toHaveLength(390);
    // the last commit entry is read to check the index against the journal; the six records come from the copy
    expect(first.openReads).toBe(1);

    // torn in its fourth record: the first three come from the copy, the other three from the journal
    const bytes = readFileSync(records);
    truncateSync(records, full - 30);
    const torn = await answers(dir);
    expect(torn.answers).toEqual(first.answers);
    expect(torn.openReads).toBeGreaterThan(1);
    expect(readFileSync(records)).toEqual(bytes);
    expect((await answers(dir)).openReads).toBe(1);

    // a damaged byte in the first record: nothing of the copy is used, and it is written again
    const damaged = Buffer.from(bytes);
    damaged[20] = (damaged[20] as number) ^ 0x55;
    writeFileSync(records, damaged);
    const fromJournal = await answers(dir);
    expect(fromJournal.answers).toEqual(first.answers);
    expect(fromJournal.openReads).toBe(7);
    expect(readFileSync(records)).toEqual(bytes);

    // no copy at all (an index written before it existed)
    rmSync(records);
    expect((await answers(dir)).answers).toEqual(first.answers);
    expect(readFileSync(records)).toEqual(bytes);
  });

  it('of a journal that ends with anchors (a quiet calendar restarted): opening keeps them and their trees, rebuilds nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otsc-anchor-records-'));
    await build(dir, true);
    const dat = join(dir, 'index', 'trees', 'trees.dat');
    const idx = join(dir, 'index', 'anchors.idx');
    const trees = readFileSync(dat);
    const first = await answers(dir, 400);
    expect(first.answers.filter((a) => a !== 'pending')).toHaveLength(390);
    expect(first.caughtUp).toBe(true);
    for (let k = 0; k < 2; k++) {
      const again = await answers(dir, 400);
      expect(again.answers).toEqual(first.answers);
      expect(again.openReads).toBe(1);
      expect(readFileSync(dat)).toEqual(trees);
    }
    // anchors.idx lost its last entry (it is not synced): that anchor is re-derived from the journal, its tree checked and stored again
    truncateSync(idx, statSync(idx).size - 16);
    const cut = await answers(dir, 400);
    expect(cut.answers).toEqual(first.answers);
    expect(cut.caughtUp).toBe(true);
    expect(statSync(dat).size).toBeGreaterThan(trees.length);
    expect((await answers(dir, 400)).openReads).toBe(1);
    rmSync(dir, { recursive: true, force: true });
  });

  it('with a damaged tree, or trees.idx lost: the trees are rebuilt, and the answers are the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otsc-anchor-records-'));
    await build(dir);
    const first = await answers(dir);
    const dat = join(dir, 'index', 'trees', 'trees.dat');
    const size = statSync(dat).size;
    // a byte inside the second tree (five of equal size; the third is the revoked anchor's, never read again)
    const bytes = readFileSync(dat);
    const at = Math.floor(size / 5) + 100;
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(dat, bytes);
    expect((await answers(dir)).answers).toEqual(first.answers);
    expect(statSync(dat).size).toBeGreaterThan(size);
    const idx = join(dir, 'index', 'trees', 'trees.idx');
    const seqs = new Set<number>();
    const entries = readFileSync(idx);
    for (let at = 0; at < entries.length; at += 16) seqs.add(entries.readUInt32BE(at + 4));
    rmSync(idx);
    expect((await answers(dir)).answers).toEqual(first.answers);
    expect(existsSync(idx)).toBe(true);

    // trees of the layout with one file per anchor: opening removes them without checking their anchors again,
    // and each tree is rebuilt when first read
    rmSync(idx);
    writeFileSync(dat, '');
    for (const seq of seqs) writeFileSync(join(dir, 'index', 'trees', `${String(seq).padStart(16, '0')}.tree`), 'old layout');
    const journal = await Journal.open({ dir: join(dir, 'journal'), log: () => undefined });
    const index = await CalendarIndex.open({ dir: join(dir, 'index'), journal });
    expect(statSync(dat).size).toBe(0);
    index.close();
    await journal.close();
    expect(readdirSync(join(dir, 'index', 'trees')).sort()).toEqual(['trees.dat', 'trees.idx']);
    expect((await answers(dir)).answers).toEqual(first.answers);
    expect(statSync(dat).size).toBeGreaterThan(0);
  });
});
