/**
 * @module Anchor checking and trees: an anchor is checked (its ranges name indexed commitments, its tip is their merkle tip) before its tree is stored, and the levels any proof needs are read from the stored upper tree and a recomputed block of leaves.
 *
 * Contract: `check` and `store` only hash and write derived files (trees/, no fsync); `upper` and
 * `blockLevels` rebuild whatever is missing. Lookups are synchronous, so one instance serves them all.
 */
import { merkleLevels } from '../ots/index.js';
import type { AnchorInfo } from './anchor-set.js';
import { BoundedCache } from './bounded-cache.js';
import type { CommitReader } from './commit-reader.js';
import { AnchorOutOfRangeError, AnchorTipMismatchError, IndexMismatchError } from './errors.js';
import { type Ranges, sliceRanges } from './proof-assembly.js';
import { BLOCK_LEAVES, type TreeStore, type UpperTree } from './tree-store.js';

/** Memory a cached 32-byte node costs with its object header (for cache budgets). */
const NODE_COST = 128;
/** Bytes of recently used blocks of leaves kept: the other proofs of a block skip their reads and hashing. */
const BLOCK_CACHE_BYTES = 16 << 20;

export class AnchorTrees {
  readonly #trees: TreeStore;
  readonly #reader: CommitReader;
  readonly #commitCount: () => number;
  readonly #blocks = new BoundedCache<string, Uint8Array[][]>(BLOCK_CACHE_BYTES, (levels) => levels.reduce((sum, l) => sum + l.length * NODE_COST, 200));
  /** The last anchor checked: checking an anchor before appending it and indexing it right after hash its tree once. */
  #lastChecked: { key: string; levels: Uint8Array[][] } | undefined;

  constructor(trees: TreeStore, reader: CommitReader, commitCount: () => number) {
    this.#trees = trees;
    this.#reader = reader;
    this.#commitCount = commitCount;
  }

  /**
   * The merkle levels of an anchor's leaves, after checking that its ranges name indexed commitments and that
   * its tip is their merkle tip (AnchorOutOfRangeError, AnchorTipMismatchError; `seq` names the anchor in them).
   */
  check(anchor: { tip: Uint8Array; ranges: Ranges }, seq: number): Uint8Array[][] {
    const key = `${Buffer.from(anchor.tip).toString('hex')}:${anchor.ranges.map((r) => `${r.start}-${r.end}`).join(',')}`;
    if (this.#lastChecked?.key === key) return this.#lastChecked.levels;
    const count = this.#commitCount();
    if (anchor.ranges.length === 0 || anchor.ranges.some((x) => !(x.start >= 0 && x.end > x.start && x.end <= count))) {
      throw new AnchorOutOfRangeError(seq, count);
    }
    const levels = merkleLevels(this.#reader.leaves(anchor.ranges));
    if (Buffer.compare(levels.at(-1)?.[0] ?? new Uint8Array(), anchor.tip) !== 0) throw new AnchorTipMismatchError(seq);
    this.#lastChecked = { key, levels };
    return levels;
  }

  /** Checks the anchor and stores its upper tree (throws as `check`). */
  store(anchor: AnchorInfo): void {
    this.#trees.write(anchor.seq, this.check(anchor, anchor.seq));
    this.#lastChecked = undefined;
  }

  /** Whether the anchor's upper tree is on disk with the right size. */
  has(anchor: Pick<AnchorInfo, 'seq' | 'leafCount'>): boolean {
    return this.#trees.read(anchor.seq, anchor.leafCount) !== undefined;
  }

  /** The anchor's stored upper tree, rebuilt if it is missing. */
  upper(anchor: AnchorInfo): UpperTree {
    const stored = this.#trees.read(anchor.seq, anchor.leafCount);
    if (stored) return stored;
    this.store(anchor);
    const built = this.#trees.read(anchor.seq, anchor.leafCount);
    if (!built) throw new IndexMismatchError(`the tree of anchor ${anchor.seq} could not be stored`, 'trees/');
    return built;
  }

  /** The merkle levels of the block of BLOCK_LEAVES leaves holding leaf `i` of an anchor (cached). */
  blockLevels(anchor: AnchorInfo, i: number): Uint8Array[][] {
    const block = Math.floor(i / BLOCK_LEAVES);
    const first = block * BLOCK_LEAVES;
    const blockKey = `${anchor.seq}:${block}`;
    let levels = this.#blocks.get(blockKey);
    if (!levels) {
      levels = merkleLevels(this.#reader.leaves(sliceRanges(anchor.ranges, first, Math.min(BLOCK_LEAVES, anchor.leafCount - first))));
      this.#blocks.set(blockKey, levels);
    }
    return levels;
  }

  /** Forgets cached blocks (after a revocation changed which anchor covers what). */
  clearCache(): void {
    this.#blocks.clear();
  }

  /** Removes every stored tree (a rebuild from the first record). */
  clear(): void {
    this.#trees.clear();
    this.#blocks.clear();
    this.#lastChecked = undefined;
  }
}
