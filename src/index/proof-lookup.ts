/**
 * @module Answering a commitment: unknown, pending (its commit number), or complete (its proof), with a cache of assembled proofs bounded by bytes. Synchronous; never modifies the index.
 */
import { type AnchorInfo, AnchorSet } from './anchor-set.js';
import type { AnchorTrees } from './anchor-trees.js';
import { BoundedCache } from './bounded-cache.js';
import type { CommitReader } from './commit-reader.js';
import { assembleProof } from './proof-assembly.js';
import { BLOCK_LEAVES } from './tree-store.js';

export type Lookup =
  | { kind: 'complete'; proof: Uint8Array; anchor: AnchorInfo; commitNumber: number }
  | { kind: 'pending'; commitNumber: number }
  | { kind: 'unknown' };

/**
 * What a cached proof costs beyond its bytes, as a heap snapshot counts it: its Uint8Array and ArrayBuffer with
 * the backing store's malloc overhead (about 460 B), the 88-character hex key, the map slot and the Lookup and
 * AnchorInfo reference (about 1.5 KB in all for a 965-byte proof).
 */
const ENTRY_COST = 600;

export class ProofLookup {
  readonly #reader: CommitReader;
  readonly #anchors: AnchorSet;
  readonly #trees: AnchorTrees;
  readonly #proofs: BoundedCache<string, Lookup>;

  constructor(reader: CommitReader, anchors: AnchorSet, trees: AnchorTrees, proofCacheBytes: number) {
    this.#reader = reader;
    this.#anchors = anchors;
    this.#trees = trees;
    this.#proofs = new BoundedCache(proofCacheBytes, (l) => (l.kind === 'complete' ? l.proof.length + ENTRY_COST : 100));
  }

  /** `key`: the commitment in lower-case hex, when the caller has it already (it keys the proof cache). */
  lookup(commitment: Uint8Array, key = Buffer.from(commitment.buffer, commitment.byteOffset, commitment.byteLength).toString('hex')): Lookup {
    const cached = this.#proofs.get(key);
    if (cached) return cached;
    for (const { n, entry } of this.#reader.candidates(commitment)) {
      const anchor = this.#anchors.find(n);
      if (!anchor) {
        if (Buffer.compare(this.#reader.commitmentAt(entry, n), commitment) === 0) return { kind: 'pending', commitNumber: n };
        continue;
      }
      // an anchored candidate is checked against the commitment stored at its leaf, read with the block its
      // proof needs anyway: one read of the journal instead of two, and no hash
      const i = AnchorSet.leafIndex(anchor, n);
      const block = this.#trees.block(anchor, i);
      if (Buffer.compare(block.commitment, commitment) !== 0) continue;
      const proof = assembleProof({ leaf: i, blockPath: block.path, upperPath: this.#trees.upperPath(anchor, Math.floor(i / BLOCK_LEAVES)), timestamp: anchor.timestamp });
      const found: Lookup = { kind: 'complete', proof, anchor, commitNumber: n };
      this.#proofs.set(key, found);
      return found;
    }
    return { kind: 'unknown' };
  }

  /**
   * The complete proof cached under `key` (a commitment's lower-case hex), or undefined: for a caller that has
   * the key before the bytes (a request's path), so a cached proof is found without decoding the hex.
   */
  cached(key: string): Uint8Array | undefined {
    const found = this.#proofs.get(key);
    return found?.kind === 'complete' ? found.proof : undefined;
  }

  /** Forgets every cached answer (after a revocation). */
  clear(): void {
    this.#proofs.clear();
  }
}
