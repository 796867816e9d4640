/**
 * @module The exact walk: commitments up through the reference's database to the merkle tips of their transactions,
 * reading every node by key (reference-server §4.3, §5.6), with one report per node that breaks a proof. tree-walk.ts
 * walks from memory and hands here only the commitments whose paths it cannot vouch for.
 *
 * The reference stores a commitment's proof as nodes keyed by message. Below the tip every node has exactly
 * one op: the commitment `sha256`; a tree node `append(sibling)` or `prepend(sibling)` of 32 bytes; the
 * 64-byte concatenation `sha256`. The tip is the first node whose ops are none of these (the transaction's
 * `prepend(prefix)`). A node below the tip with other ops or any attestation would change the reference's
 * answer, so it is a problem, as is a missing node: both are reported with a commitment that needs it.
 */
import { hash } from 'node:crypto';
import { bytesToHex } from '../ots/index.js';
import type { ImportProblem } from './errors.js';
import { isSha256Only, notATip, treeStep } from './node-values.js';
import type { NodeStore } from './reference-db.js';
import { MAX_TURNS } from './tree-shape.js';

/** `tipOf` for a commitment the database does not hold: pending. */
export const PENDING = -1;
/** `tipOf` for a commitment whose walk found a problem (reported). */
export const FAILED = -2;

/** The tips met so far, each once, numbered in the order they were met. */
export class TipList {
  readonly keys: Uint8Array[] = [];
  private readonly ids = new Map<string, number>();

  idOf(tip: Uint8Array): number {
    const key = latin1(tip);
    let t = this.ids.get(key);
    if (t === undefined) {
      t = this.keys.length;
      this.keys.push(tip);
      this.ids.set(key, t);
    }
    return t;
  }
}

/** What a walk finds, per commitment number (filled by both walks). */
export interface WalkState {
  /** The index of its tip in `tips`, PENDING or FAILED. */
  tipOf: Int32Array;
  /** Its turns from the leaf up, bit k = 1 when the k-th step was a prepend (a right child). */
  bits: Uint32Array;
  turns: Uint8Array;
  tips: TipList;
  problems: ImportProblem[];
}

const DEFAULT_WINDOW = 65_536;
/** Node states in one step of the walk; 0 is a tree step. */
const TIP = 1;
const BAD = 2;

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

function sha256(b: Uint8Array): Buffer {
  return hash('sha256', b, 'buffer');
}

export interface WalkByKeyOptions {
  /** Commitments walked together; their shared nodes are read once. */
  window?: number;
  progress?: (done: number, total: number) => void;
}

/**
 * Walks the commitments `numbers` (commit numbers, `entry(i)` gives commitment i) up to their tips, filling `state` at
 * their numbers. Returns how many of them the database holds.
 */
export async function walkByKey(store: NodeStore, entry: (i: number) => Uint8Array, numbers: ArrayLike<number>, state: WalkState, opts: WalkByKeyOptions = {}): Promise<number> {
  const window = opts.window ?? DEFAULT_WINDOW;
  const { tipOf, bits, turns, tips, problems } = state;
  const count = numbers.length;
  let inDatabase = 0;
  const problem = (i: number, text: string): void => {
    problems.push({ commitNumber: i, commitment: bytesToHex(entry(i)), problem: text });
    tipOf[i] = FAILED;
  };

  for (let w0 = 0; w0 < count; w0 += window) {
    const m = Math.min(window, count - w0);
    const own = await store.getMany(Array.from({ length: m }, (_, k) => entry(numbers[w0 + k] as number)));
    /** cur[k]: frontier index of commitment w0 + k's current node, -1 once it is done */
    const cur = new Int32Array(m).fill(-1);
    let frontier: Uint8Array[] = [];
    let seen = new Map<string, number>();
    const enter = (node: Uint8Array): number => {
      const key = latin1(node);
      let j = seen.get(key);
      if (j === undefined) {
        j = frontier.length;
        frontier.push(node);
        seen.set(key, j);
      }
      return j;
    };
    for (let k = 0; k < m; k++) {
      const v = own[k];
      const i = numbers[w0 + k] as number;
      if (v === undefined) {
        tipOf[i] = PENDING;
        continue;
      }
      inDatabase++;
      if (!isSha256Only(v)) {
        problem(i, 'its database node holds other ops or attestations than the sha256 to its leaf');
        continue;
      }
      cur[k] = enter(sha256(entry(i)));
    }
    while (frontier.length > 0) {
      const nodes = frontier;
      const values = await store.getMany(nodes);
      const kind = new Uint8Array(nodes.length);
      const dir = new Uint8Array(nodes.length);
      const why: Array<string | undefined> = new Array(nodes.length);
      const tipId = new Int32Array(nodes.length);
      const concats: Uint8Array[] = [];
      const concatOf = new Int32Array(nodes.length).fill(-1);
      nodes.forEach((node, j) => {
        const v = values[j];
        if (v === undefined) {
          kind[j] = BAD;
          why[j] = `the database lacks node ${bytesToHex(node)} of its proof`;
          return;
        }
        const d = treeStep(v);
        if (d >= 0) {
          const sibling = v.subarray(4, 36);
          dir[j] = d;
          concatOf[j] = concats.length;
          concats.push(d === 0 ? Buffer.concat([node, sibling]) : Buffer.concat([sibling, node]));
          return;
        }
        const bad = notATip(v);
        if (bad) {
          kind[j] = BAD;
          why[j] = `node ${bytesToHex(node)} of its proof: ${bad}`;
          return;
        }
        kind[j] = TIP;
        tipId[j] = tips.idOf(node);
      });
      const concatValues = await store.getMany(concats);
      frontier = [];
      seen = new Map();
      const next = new Int32Array(nodes.length).fill(-1);
      nodes.forEach((_, j) => {
        const q = concatOf[j] as number;
        if (q < 0) return;
        const c = concats[q] as Uint8Array;
        const v = concatValues[q];
        if (v === undefined || !isSha256Only(v)) {
          kind[j] = BAD;
          why[j] = v === undefined ? `the database lacks node ${bytesToHex(c)} of its proof` : `node ${bytesToHex(c)} of its proof holds other ops or attestations than its sha256`;
          return;
        }
        next[j] = enter(sha256(c));
      });
      const reported = new Uint8Array(nodes.length);
      for (let k = 0; k < m; k++) {
        const j = cur[k] as number;
        if (j < 0) continue;
        const i = numbers[w0 + k] as number;
        if (kind[j] === TIP) {
          tipOf[i] = tipId[j] as number;
          cur[k] = -1;
        } else if (kind[j] === BAD) {
          // one report per node, with the first commitment that needs it; the others fail silently with it
          if (!reported[j]) problem(i, why[j] as string);
          else tipOf[i] = FAILED;
          reported[j] = 1;
          cur[k] = -1;
        } else if ((turns[i] as number) >= MAX_TURNS) {
          problem(i, `its path in the merkle tree is longer than ${MAX_TURNS} steps`);
          cur[k] = -1;
        } else {
          bits[i] = ((bits[i] as number) | ((dir[j] as number) << (turns[i] as number))) >>> 0;
          turns[i] = (turns[i] as number) + 1;
          cur[k] = next[j] as number;
        }
      }
    }
    opts.progress?.(w0 + m, count);
  }
  return inDatabase;
}
