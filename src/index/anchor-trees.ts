/**
 * @module Anchor checking and trees: an anchor is checked (its ranges name indexed commitments, its tip is their merkle tip) before its tree is stored, and the levels any proof needs are read from the stored upper tree and a recomputed block of leaves.
 *
 * Contract: `check` and `store` only hash and write derived files (trees/, no fsync); `upperPath` rebuilds a
 * missing tree and `block` reads only the journal. Lookups are synchronous, so one instance serves them all.
 */
import { type SiblingPath, merkleLevels } from '../ots/index.js';
import type { AnchorInfo } from './anchor-set.js';
import type { CommitReader } from './commit-reader.js';
import { AnchorOutOfRangeError, AnchorTipMismatchError, IndexMismatchError } from './errors.js';
import { type Ranges, blockPath, sliceRanges } from './proof-assembly.js';
import { BLOCK_LEAVES, type TreeStore, type UpperPath } from './tree-store.js';


export class AnchorTrees {
  readonly #trees: TreeStore;
  readonly #reader: CommitReader;
  readonly #commitCount: () => number;
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
    return this.#trees.has(anchor.seq, anchor.leafCount);
  }

  /** The anchors whose upper tree has a file (one directory listing; see TreeStore.storedSeqs). */
  storedSeqs(): Set<number> {
    return this.#trees.storedSeqs();
  }

  /** The stored upper tree's nodes on the path of block `block` of an anchor, the tree rebuilt if it is missing. */
  upperPath(anchor: AnchorInfo, block: number): UpperPath {
    const stored = this.#trees.path(anchor.seq, anchor.leafCount, block);
    if (stored) return stored;
    this.store(anchor);
    const built = this.#trees.path(anchor.seq, anchor.leafCount, block);
    if (!built) throw new IndexMismatchError(`the tree of anchor ${anchor.seq} could not be stored`, 'trees/');
    return built;
  }

  /**
   * The block of BLOCK_LEAVES leaves holding leaf `i` of an anchor: the commitment stored there, and leaf i's path
   * through the block (proof-assembly.ts `blockPath`). One read of the block's commitments and only the hashes the
   * path needs; nothing is kept (the proof cache keeps what is asked again).
   */
  block(anchor: AnchorInfo, i: number): { commitment: Uint8Array; path: SiblingPath } {
    const first = i - (i % BLOCK_LEAVES);
    const commitments = this.#reader.commitmentsOf(sliceRanges(anchor.ranges, first, Math.min(BLOCK_LEAVES, anchor.leafCount - first)));
    const commitment = commitments[i - first];
    if (commitment === undefined) throw new IndexMismatchError(`anchor ${anchor.seq} has no leaf ${i}`, 'anchors.idx');
    return { commitment, path: blockPath(commitments, i - first) };
  }

  /** Closes the tree file kept open for reading. */
  close(): void {
    this.#trees.close();
  }

  /** Removes every stored tree (a rebuild from the first record). */
  clear(): void {
    this.#trees.clear();
    this.#lastChecked = undefined;
  }
}
