/**
 * @module From every journal commitment up through the reference's database to the merkle tip of its transaction:
 * which tip, and the left/right turns on the way (reference-server §4.3, §5.6).
 *
 * One pass over the database in key order fills compact tables (database-pass.ts), and every commitment's path is
 * walked from them. A commitment whose path the tables cannot vouch for (a node missing or breaking the proof, a
 * concatenation not found where it belongs, a fingerprint two keys share) is walked again by key (walk-by-key.ts),
 * which reads each node of its path and says exactly what is wrong. Both walks give the same answer for every
 * commitment; the tables only spare the reads.
 */
import { hash } from 'node:crypto';
import type { ImportProblem } from './errors.js';
import { AMBIGUOUS, EXTRA_CHILD, HAS_LEFT, KIND, RIGHT, SHA256_ONLY, TIP, readDatabaseTables, type DatabaseTables } from './database-pass.js';
import type { NodeStore } from './reference-db.js';
import { MAX_TURNS } from './tree-shape.js';
import { PENDING, TipList, walkByKey, type WalkState } from './walk-by-key.js';

export { FAILED, PENDING } from './walk-by-key.js';

export interface WalkResult {
  /** Per commitment: the index of its tip in `tips`, PENDING or FAILED. */
  tipOf: Int32Array;
  /** Per commitment: its turns from the leaf up, bit k = 1 when the k-th step was a prepend (a right child). */
  bits: Uint32Array;
  turns: Uint8Array;
  tips: Uint8Array[];
  /** Commitments whose own node the database holds. */
  inDatabase: number;
  /** The database's 36- and 44-byte keys: each one is a commitment (no other node has those lengths). */
  commitmentKeys: number;
  /** Entries in the database. */
  entries: number;
  /** Commitments walked by key, not from the tables. */
  readByKey: number;
  problems: ImportProblem[];
}

export interface WalkOptions {
  /** Commitments walked by key together; their shared nodes are read once. */
  window?: number;
  /** Walk every commitment by key (the tables are still filled, for the count of commitment keys). */
  byKeyOnly?: boolean;
  progress?: (phase: string, done: number, total: number) => void;
}

const PROGRESS_EVERY = 65_536;
/** Node flags that make any path through the node a matter for the walk by key. */
const DOUBTFUL = AMBIGUOUS | EXTRA_CHILD;

function sha256(b: Uint8Array): Buffer {
  return hash('sha256', b, 'buffer');
}

/**
 * Walks commitments [0, count) from the tables; fills `state` for every commitment it can vouch for and returns the
 * others' numbers, and how many of the vouched ones the database holds.
 */
function walkFromTables(db: DatabaseTables, entry: (i: number) => Uint8Array, count: number, state: WalkState, progress?: WalkOptions['progress']): { byKey: number[]; found: number } {
  const { nodes, commitments } = db;
  const { tipOf, bits, turns } = state;
  const flags = nodes.flags;
  const up = nodes.up;
  const tipIds = new Int32Array(nodes.tipKeys.length).fill(-1);
  const byKey: number[] = [];
  let found = 0;
  for (let i = 0; i < count; i++) {
    if (progress && i % PROGRESS_EVERY === 0 && i > 0) progress('walking the trees', i, count);
    const e = entry(i);
    const c = commitments.findBytes(e);
    if (c < 0) {
      // a key equal to e would have e's fingerprint: e is not in the database
      tipOf[i] = PENDING;
      continue;
    }
    const cf = commitments.flags[c] as number;
    if (cf & AMBIGUOUS || !(cf & SHA256_ONLY)) {
      byKey.push(i);
      continue;
    }
    let j = nodes.findBytes(sha256(e));
    let b = 0;
    let t = 0;
    let tip = -1;
    while (j >= 0) {
      const f = flags[j] as number;
      if (f & DOUBTFUL) break;
      const kind = f & KIND;
      if (kind === TIP) {
        const k = up[j] as number;
        tip = tipIds[k] as number;
        if (tip < 0) tip = tipIds[k] = state.tips.idOf(nodes.tipKeys[k] as Uint8Array);
        break;
      }
      // a broken node, a path too long: the walk by key says which
      if (t >= MAX_TURNS) break;
      const p = up[j] as number;
      if (p < 0) break;
      if (kind === RIGHT) {
        if (!((flags[p] as number) & HAS_LEFT)) break;
        b |= 1 << t;
      }
      t++;
      j = p;
    }
    if (tip < 0) {
      byKey.push(i);
      continue;
    }
    tipOf[i] = tip;
    bits[i] = b >>> 0;
    turns[i] = t;
    found++;
  }
  return { byKey, found };
}

/** The pass over the database, and the walk from its tables; the tables are dropped on return. */
async function walkWithTables(store: NodeStore, entry: (i: number) => Uint8Array, count: number, state: WalkState, opts: WalkOptions): Promise<{ byKey: ArrayLike<number>; found: number; entries: number; commitmentKeys: number }> {
  const progress = opts.progress;
  const db = await readDatabaseTables(store, count, progress && ((d, t) => progress('reading the database', d, t)));
  const counts = { entries: db.entries, commitmentKeys: db.commitments.size };
  if (opts.byKeyOnly || !db.nodes.ordered || !db.commitments.ordered) return { byKey: Array.from({ length: count }, (_, i) => i), found: 0, ...counts };
  return { ...walkFromTables(db, entry, count, state, progress), ...counts };
}

/** Walks commitments [0, count) (`entry(i)` gives commitment i) up to their tips. */
export async function walkToTips(store: NodeStore, entry: (i: number) => Uint8Array, count: number, opts: WalkOptions = {}): Promise<WalkResult> {
  const state: WalkState = { tipOf: new Int32Array(count), bits: new Uint32Array(count), turns: new Uint8Array(count), tips: new TipList(), problems: [] };
  const { byKey, found, entries, commitmentKeys } = await walkWithTables(store, entry, count, state, opts);
  const progress = opts.progress;
  const inDatabase =
    found +
    (await walkByKey(store, entry, byKey, state, {
      ...(opts.window ? { window: opts.window } : {}),
      ...(progress ? { progress: (d: number, t: number) => progress('reading proofs by key', d, t) } : {}),
    }));
  return { tipOf: state.tipOf, bits: state.bits, turns: state.turns, tips: state.tips.keys, inDatabase, commitmentKeys, entries, readByKey: byKey.length, problems: state.problems };
}
