/**
 * @module One pass over the reference's LevelDB in key order, keeping in compact arrays what the merkle trees below the
 * tips need (reference-server §4.3): per 32-byte node its fingerprint, kind and parent; per commitment key its
 * fingerprint. tree-walk.ts then walks every commitment's path from memory instead of reading node by node.
 *
 * A fingerprint is a key's first 8 bytes: for a tree node, of a sha256 output; for a commitment key, its time and 4
 * bytes of its root. Keys arrive in key order, so each table is sorted as it fills, and a lookup is a binary search
 * in one of 65,536 buckets. Two keys sharing a fingerprint are both marked ambiguous, and the walk reads by key every
 * commitment whose path meets one. Cost: 17 bytes per 32-byte node, 9 per commitment key.
 *
 * What one entry tells about the tree (values as in node-values.ts):
 * - a left child L, `append(S)`: its parent is sha256(L ‖ S), and its concatenation L ‖ S, a plain sha256, must be the
 *   very next key (L is a prefix of it; only a key that starts with L could sort between them);
 * - a right child R, `prepend(S)`: its parent is sha256(S ‖ R); its concatenation S ‖ R is the one found after S, so a
 *   right step holds only when its parent also has a left child whose concatenation was found: the two
 *   concatenations hash to the same parent, so they are the same bytes.
 */
import { hash } from 'node:crypto';
import type { NodeStore } from './reference-db.js';
import { isSha256Only, notATip, treeStep } from './node-values.js';

/** Node kinds (the low 3 bits of a node's flags). */
export const LEFT = 1;
export const RIGHT = 2;
export const TIP = 3;
/** A node no proof below a tip may pass: the walk reads it by key to say why. */
export const BROKEN = 4;
export const KIND = 7;
/** LEFT: the next key was its concatenation, with a plain sha256. */
export const CONCAT_FOUND = 8;
/** Another key of the same table has the same fingerprint. */
export const AMBIGUOUS = 16;
/** A LEFT node with CONCAT_FOUND names this node as its parent. */
export const HAS_LEFT = 32;
/** A RIGHT node names this node as its parent. */
export const HAS_RIGHT = 64;
/** Two children on one side: only fingerprints can agree so, the walk reads by key. */
export const EXTRA_CHILD = 128;
/** Commitment keys: the value is the plain sha256 to the leaf. */
export const SHA256_ONLY = 1;

/** Buckets of a table's index: one per value of a fingerprint's first 16 bits. */
const BUCKETS = 1 << 16;

function be32(b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0;
}

/** Keys' fingerprints in key order, growing by half when full. */
export class FingerprintTable {
  hi: Uint32Array;
  lo: Uint32Array;
  flags: Uint8Array;
  size = 0;
  /** False when a key came out of order (not LevelDB's bytewise order): lookups cannot be trusted, the walk reads by key. */
  ordered = true;

  constructor(capacity: number) {
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  protected resize(capacity: number): void {
    const grow = <T extends Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, this.size));
      return b;
    };
    this.hi = grow(this.hi, (n) => new Uint32Array(n));
    this.lo = grow(this.lo, (n) => new Uint32Array(n));
    this.flags = grow(this.flags, (n) => new Uint8Array(n));
  }

  /** Appends the fingerprint of `key`; returns its index. */
  push(key: Uint8Array, flags: number): number {
    if (this.size === this.hi.length) this.resize(Math.ceil(this.size * 1.5) + 1024);
    const h = be32(key, 0);
    const l = be32(key, 4);
    const j = this.size++;
    this.hi[j] = h;
    this.lo[j] = l;
    this.flags[j] = flags;
    if (j > 0) {
      const ph = this.hi[j - 1] as number;
      const pl = this.lo[j - 1] as number;
      if (ph === h && pl === l) {
        this.flags[j - 1] = (this.flags[j - 1] as number) | AMBIGUOUS;
        this.flags[j] = flags | AMBIGUOUS;
      } else if (ph > h || (ph === h && pl > l)) {
        this.ordered = false;
      }
    }
    return j;
  }

  /**
   * Where each value of a fingerprint's first 16 bits starts (after `seal`): a lookup then searches one bucket, a few
   * dozen entries when the keys are sha256 outputs.
   */
  #buckets: Uint32Array | undefined;

  /** Ends the filling: builds the buckets. */
  seal(): void {
    const buckets = new Uint32Array(BUCKETS + 1);
    for (let j = 0; j < this.size; j++) {
      const b = ((this.hi[j] as number) >>> 16) + 1;
      buckets[b] = (buckets[b] as number) + 1;
    }
    for (let b = 0; b < BUCKETS; b++) buckets[b + 1] = (buckets[b + 1] as number) + (buckets[b] as number);
    this.#buckets = buckets;
  }

  /** The first index with this fingerprint, or -1. */
  find(h: number, l: number): number {
    let a = 0;
    let b = this.size;
    if (this.#buckets && this.ordered) {
      a = this.#buckets[h >>> 16] as number;
      b = this.#buckets[(h >>> 16) + 1] as number;
    }
    while (a < b) {
      const m = (a + b) >>> 1;
      const mh = this.hi[m] as number;
      if (mh < h || (mh === h && (this.lo[m] as number) < l)) a = m + 1;
      else b = m;
    }
    return a < this.size && this.hi[a] === h && this.lo[a] === l ? a : -1;
  }

  /** `find` by the fingerprint of `bytes` (its first 8 bytes). */
  findBytes(bytes: Uint8Array): number {
    return this.find(be32(bytes, 0), be32(bytes, 4));
  }
}

/** The 32-byte nodes: fingerprint, kind, and the parent (until `link`, its fingerprint; after, its index). */
export class NodeTable extends FingerprintTable {
  private parentHi: Uint32Array;
  private parentLo: Uint32Array;
  /** After `link`: per node the index of its parent (LEFT, RIGHT; -1 when it has none in the table) or of its key in `tipKeys` (TIP). */
  up: Int32Array = new Int32Array(0);
  /** The keys of TIP nodes. */
  readonly tipKeys: Uint8Array[] = [];

  constructor(capacity: number) {
    super(capacity);
    this.parentHi = new Uint32Array(capacity);
    this.parentLo = new Uint32Array(capacity);
  }

  protected override resize(capacity: number): void {
    const size = this.size;
    super.resize(capacity);
    const hi = new Uint32Array(capacity);
    hi.set(this.parentHi.subarray(0, size));
    this.parentHi = hi;
    const lo = new Uint32Array(capacity);
    lo.set(this.parentLo.subarray(0, size));
    this.parentLo = lo;
  }

  /** A LEFT or RIGHT node whose parent is `parent` (a sha256 output). */
  pushStep(key: Uint8Array, kind: number, parent: Uint8Array): number {
    const j = this.push(key, kind);
    this.parentHi[j] = be32(parent, 0);
    this.parentLo[j] = be32(parent, 4);
    return j;
  }

  pushTip(key: Uint8Array): number {
    const j = this.push(key, TIP);
    this.parentHi[j] = this.tipKeys.length;
    this.tipKeys.push(Uint8Array.from(key));
    return j;
  }

  /** Turns every parent fingerprint into an index and marks each parent's children; the fingerprints are dropped. */
  link(): void {
    const up = new Int32Array(this.parentHi.buffer, 0, this.size);
    const flags = this.flags;
    for (let j = 0; j < this.size; j++) {
      const f = flags[j] as number;
      const kind = f & KIND;
      if (kind === TIP) continue;
      if (kind === BROKEN || (kind === LEFT && !(f & CONCAT_FOUND))) {
        up[j] = -1;
        continue;
      }
      const p = this.find(this.parentHi[j] as number, this.parentLo[j] as number);
      up[j] = p;
      if (p < 0) continue;
      const side = kind === LEFT ? HAS_LEFT : HAS_RIGHT;
      const pf = flags[p] as number;
      flags[p] = pf & side ? pf | EXTRA_CHILD : pf | side;
    }
    this.up = up;
    this.parentLo = new Uint32Array(0);
  }
}

export interface DatabaseTables {
  nodes: NodeTable;
  /** Fingerprints of the 36- and 44-byte keys (commitments, legacy and with a MAC), flags SHA256_ONLY. */
  commitments: FingerprintTable;
  /** Entries read. */
  entries: number;
}

const PROGRESS_EVERY = 1 << 20;

/**
 * The database's entries, estimated from `done` read up to the 32-byte key `at`: those are sha256 outputs, spread
 * evenly over the key space, while the commitment keys all start with the few bytes of recent times.
 */
function estimateEntries(done: number, commitmentKeys: number, expected: number, at: Uint8Array): number {
  const position = ((((at[0] as number) << 16) | ((at[1] as number) << 8) | (at[2] as number)) + 1) / (1 << 24);
  return Math.max(done + 1, Math.round((done - commitmentKeys) / position + Math.max(expected, commitmentKeys)));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < b.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * Reads every entry once, in key order. `expected` (the journal's commitments) sizes the tables: the trees over n
 * commitments have 2n 32-byte nodes less two a transaction, and each transaction's part above its tip a few dozen
 * more. The room to spare costs address space only (fresh arrays are zero pages until written); a table that
 * must grow all the same is copied, and holds both copies for that moment.
 */
export async function readDatabaseTables(store: NodeStore, expected: number, progress?: (done: number, total: number) => void): Promise<DatabaseTables> {
  const nodes = new NodeTable(2 * expected + (expected >>> 3) + 65_536);
  const commitments = new FingerprintTable(expected + (expected >>> 6) + 1024);
  const pair = Buffer.allocUnsafe(64);
  let entries = 0;
  let reportAt = PROGRESS_EVERY;
  // the node of the last key when it was a left child: its concatenation (in `pair`) must come next
  let leftAt = -1;
  await store.forEachEntry((k, v) => {
    if (++entries >= reportAt && progress && k.length === 32) {
      progress(entries, estimateEntries(entries, commitments.size, expected, k));
      reportAt += PROGRESS_EVERY;
    }
    if (leftAt >= 0) {
      if (k.length === 64 && isSha256Only(v) && sameBytes(k, pair)) {
        nodes.flags[leftAt] = (nodes.flags[leftAt] as number) | CONCAT_FOUND;
      }
      leftAt = -1;
    }
    if (k.length === 32) {
      const d = treeStep(v);
      if (d < 0) {
        if (notATip(v) === undefined) nodes.pushTip(k);
        else nodes.push(k, BROKEN);
        return;
      }
      const sibling = v.subarray(4, 36);
      pair.set(d === 0 ? k : sibling, 0);
      pair.set(d === 0 ? sibling : k, 32);
      const j = nodes.pushStep(k, d === 0 ? LEFT : RIGHT, hash('sha256', pair, 'buffer'));
      if (d === 0) leftAt = j;
    } else if (k.length === 44 || k.length === 36) {
      commitments.push(k, isSha256Only(v) ? SHA256_ONLY : 0);
    }
  });
  progress?.(entries, entries);
  // every table the pass mapped stays resident while the database is open (reference-db.ts)
  await store.reopen();
  nodes.seal();
  commitments.seal();
  nodes.link();
  return { nodes, commitments, entries };
}
