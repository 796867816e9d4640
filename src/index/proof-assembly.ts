/**
 * @module Proof assembly, pure: a commitment's complete proof from the merkle levels of its block of leaves, the anchor's stored upper levels and the anchor's timestamp. No I/O: the caller reads the levels.
 *
 *   commitment → sha256 → path inside its block of BLOCK_LEAVES leaves → path in the upper tree → tip → the
 *   anchor's timestamp (tip → attestation)
 *
 * The leaf positions of an anchor are its commit-number ranges laid end to end (not always contiguous after a
 * reorg re-anchored some of them).
 */
import { TAG_SHA256, merklePathSize, writeMerklePath } from '../ots/index.js';
import { BLOCK_LEAVES } from './tree-store.js';

export type Ranges = ReadonlyArray<{ start: number; end: number }>;

/** The serialized timestamp from leaf `i`'s commitment to the anchor's attestation. */
export function assembleProof(args: { leaf: number; blockLevels: readonly Uint8Array[][]; upperLevels: readonly Uint8Array[][]; timestamp: Uint8Array }): Uint8Array {
  const { leaf, blockLevels, upperLevels, timestamp } = args;
  const block = Math.floor(leaf / BLOCK_LEAVES);
  const inBlock = leaf - block * BLOCK_LEAVES;
  const size = 1 + merklePathSize(blockLevels, inBlock) + merklePathSize(upperLevels, block) + timestamp.length;
  const out = new Uint8Array(size);
  out[0] = TAG_SHA256;
  let at = writeMerklePath(blockLevels, inBlock, out, 1);
  at = writeMerklePath(upperLevels, block, out, at);
  out.set(timestamp, at);
  return out;
}

/** The leaf positions [first, first + count) of an anchor, as commit-number ranges. */
export function sliceRanges(ranges: Ranges, first: number, count: number): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let pos = 0;
  for (const r of ranges) {
    const len = r.end - r.start;
    const from = Math.max(first, pos);
    const to = Math.min(first + count, pos + len);
    if (from < to) out.push({ start: r.start + (from - pos), end: r.start + (to - pos) });
    pos += len;
    if (pos >= first + count) break;
  }
  return out;
}

/** Leaves of an anchor: the commitments its ranges name. */
export function countLeaves(ranges: Ranges): number {
  return ranges.reduce((s, x) => s + (x.end - x.start), 0);
}
