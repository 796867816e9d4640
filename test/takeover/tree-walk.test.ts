/**
 * The walk from the tables of one database pass against the walk that reads every node by key, on directories from
 * the independent writer (python3-plyvel): whole, damaged the ways a real one can be, with journals that do not match
 * the database, and with a key that shares a leaf's fingerprint. Both must give the same tip, turns and problems for
 * every commitment; the tables must vouch for every commitment of a whole directory.
 */
import { describe, it, expect } from 'vitest';
import { hash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../fixtures/calendar-process.js';
import { openReferenceDb } from '../../src/takeover/reference-db.js';
import { walkToTips, type WalkResult } from '../../src/takeover/tree-walk.js';
import { python } from './otsd-dir.js';

const small = (async () => {
  const dir = join(tempDir('otsc-walk-'), 'calendar');
  await python(['bench', dir, '3000', '6']);
  return dir;
})();

async function copy(): Promise<string> {
  const to = join(tempDir('otsc-walk-'), 'calendar');
  cpSync(await small, to, { recursive: true });
  return to;
}

function entries(dir: string): Buffer[] {
  const j = readFileSync(join(dir, 'journal'));
  return Array.from({ length: j.length / 44 }, (_, i) => j.subarray(44 * i, 44 * i + 44));
}

function sha256(b: Uint8Array): Buffer {
  return hash('sha256', b, 'buffer');
}

/** Both walks over the directory's journal and database. */
async function bothWalks(dir: string, window?: number): Promise<{ fast: WalkResult; byKey: WalkResult }> {
  const list = entries(dir);
  const store = await openReferenceDb(join(dir, 'db'));
  try {
    const entry = (i: number): Buffer => list[i] as Buffer;
    const fast = await walkToTips(store, entry, list.length, window ? { window } : {});
    const byKey = await walkToTips(store, entry, list.length, { byKeyOnly: true, ...(window ? { window } : {}) });
    return { fast, byKey };
  } finally {
    await store.close();
  }
}

/** The same answer for every commitment: tips by their bytes, turns, problems, counts. */
function expectSame(fast: WalkResult, byKey: WalkResult): void {
  const tipBytes = (w: WalkResult): string[] => Array.from(w.tipOf, (t) => (t >= 0 ? Buffer.from(w.tips[t] as Uint8Array).toString('hex') : String(t)));
  expect(tipBytes(fast)).toEqual(tipBytes(byKey));
  expect(fast.bits).toEqual(byKey.bits);
  expect(fast.turns).toEqual(byKey.turns);
  expect(fast.problems).toEqual(byKey.problems);
  expect(fast.inDatabase).toBe(byKey.inDatabase);
  expect(fast.commitmentKeys).toBe(byKey.commitmentKeys);
  expect(byKey.readByKey).toBe(fast.tipOf.length);
}

/** Node keys along commitment i's path: its leaf, the leaf's concatenation and its parent. */
async function pathOf(dir: string, i: number): Promise<{ leaf: Buffer; concat: Buffer; parent: Buffer }> {
  const c = entries(dir)[i] as Buffer;
  const leaf = sha256(c);
  const store = await openReferenceDb(join(dir, 'db'));
  try {
    const [v] = await store.getMany([leaf]);
    const sibling = Buffer.from((v as Uint8Array).subarray(4, 36));
    const concat = (v as Uint8Array)[2] === 0xf0 ? Buffer.concat([leaf, sibling]) : Buffer.concat([sibling, leaf]);
    return { leaf, concat, parent: sha256(concat) };
  } finally {
    await store.close();
  }
}

describe('the walk from the tables of one database pass', () => {
  it('vouches for every commitment of a whole directory, as the walk by key finds them', async () => {
    const { fast, byKey } = await bothWalks(await small);
    expect(fast.readByKey).toBe(0);
    expect(fast.problems).toEqual([]);
    expect(fast.tips.length).toBe(6);
    expect(fast.inDatabase).toBe(3000);
    expect(fast.commitmentKeys).toBe(3000);
    expectSame(fast, byKey);
  });

  it('hands the paths through a missing leaf, concatenation, tree node or commitment to the walk by key, with the same reports', async () => {
    const dir = await copy();
    const a = await pathOf(dir, 1234);
    const b = await pathOf(dir, 77);
    const c = await pathOf(dir, 2500);
    await python(['drop', dir, a.leaf.toString('hex')]).catch(() => undefined);
    await python(['drop', dir, b.concat.toString('hex')]).catch(() => undefined);
    await python(['drop', dir, c.parent.toString('hex')]).catch(() => undefined);
    await python(['drop', dir, (entries(dir)[1999] as Buffer).toString('hex')]).catch(() => undefined);
    const { fast, byKey } = await bothWalks(dir, 512);
    expect(fast.readByKey).toBeGreaterThan(0);
    expect(fast.readByKey).toBeLessThan(3000);
    expect(fast.problems.map((p) => p.problem)).toEqual(
      expect.arrayContaining([
        `the database lacks node ${a.leaf.toString('hex')} of its proof`,
        `the database lacks node ${b.concat.toString('hex')} of its proof`,
        `the database lacks node ${c.parent.toString('hex')} of its proof`,
      ]),
    );
    expect(fast.tipOf[1999]).toBe(-1);
    expectSame(fast, byKey);
  });

  it('agrees on journals that do not match the database: short, reordered, with an entry twice, of another calendar', async () => {
    const whole = readFileSync(join(await small, 'journal'));
    const cases = [
      whole.subarray(0, 2900 * 44),
      Buffer.concat([whole.subarray(44), whole.subarray(0, 44)]),
      Buffer.concat([whole, whole.subarray(44 * 10, 44 * 11)]),
      Buffer.concat([whole.subarray(0, 44 * 5), Buffer.alloc(44 * 20, 0x5a), whole.subarray(44 * 5)]),
    ];
    for (const journal of cases) {
      const dir = await copy();
      writeFileSync(join(dir, 'journal'), journal);
      const { fast, byKey } = await bothWalks(dir);
      expectSame(fast, byKey);
    }
  });

  it('reads by key the commitment whose leaf shares its fingerprint with another key', async () => {
    const dir = await copy();
    const { leaf } = await pathOf(dir, 42);
    // a key that no reference writes: the leaf's first 8 bytes, then others (a made-up node, never on a path)
    const twin = Buffer.concat([leaf.subarray(0, 8), Buffer.alloc(24, leaf[8] === 0xff ? 0 : 0xff)]);
    const { ClassicLevel } = await import('classic-level');
    const db = new ClassicLevel<Uint8Array, Uint8Array>(join(dir, 'db'), { keyEncoding: 'view', valueEncoding: 'view' });
    await db.put(twin, Uint8Array.from([0, 1, 8]));
    await db.close();
    const { fast, byKey } = await bothWalks(dir);
    expect(fast.readByKey).toBe(1);
    expect(fast.problems).toEqual([]);
    expectSame(fast, byKey);
  });
});
