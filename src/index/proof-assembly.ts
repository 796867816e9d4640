/**
 * @module Proof assembly, pure: a commitment's complete proof from its path through its block of leaves, its block's path through the anchor's stored upper tree and the anchor's timestamp. No I/O: the caller reads the nodes.
 *
 *   commitment → sha256 → path inside its block of BLOCK_LEAVES leaves → path in the upper tree → tip → the
 *   anchor's timestamp (tip → attestation)
 *
 * The leaf positions of an anchor are its commit-number ranges laid end to end (not always contiguous after a
 * reorg re-anchored some of them).
 */
import { type SiblingPath, TAG_SHA256, leafHashRootInto, siblingPathSize, writeSiblingPath } from '../ots/index.js';
import { BLOCK_LEAVES } from './tree-store.js';

export type Ranges = ReadonlyArray<{ start: number; end: number }>;

/** The serialized timestamp from leaf `i`'s commitment to the anchor's attestation. */
export function assembleProof(args: { leaf: number; blockPath: SiblingPath; upperPath: SiblingPath; timestamp: Uint8Array }): Uint8Array {
  const { leaf, blockPath, upperPath, timestamp } = args;
  const block = Math.floor(leaf / BLOCK_LEAVES);
  const inBlock = leaf - block * BLOCK_LEAVES;
  const size = 1 + siblingPathSize(blockPath) + siblingPathSize(upperPath) + timestamp.length;
  const out = new Uint8Array(size);
  out[0] = TAG_SHA256;
  let at = writeSiblingPath(blockPath, inBlock, out, 1);
  at = writeSiblingPath(upperPath, block, out, at);
  out.set(timestamp, at);
  return out;
}

/**
 * Leaf `inBlock`'s path through its block of leaves (`commitments`, in leaf order): the sibling on each level, the
 * root of the leaves under it. Only these are hashed: a full block of 4 costs 4 hashes (1 + 3) where all its
 * levels cost 7, and the leaf's own hash is not needed at all.
 */
export function blockPath(commitments: readonly Uint8Array[], inBlock: number): Array<Uint8Array | undefined> {
  let depth = 0;
  for (let length = commitments.length; length > 1; length = Math.ceil(length / 2)) depth++;
  // the siblings as views of one buffer, a slice of node's pool: they live only while the proof is assembled,
  // which copies them
  const nodes = Buffer.allocUnsafe(32 * depth);
  const path = new Array<Uint8Array | undefined>(depth);
  for (let length = commitments.length, l = 0; length > 1; length = Math.ceil(length / 2), l++) {
    const sibling = (inBlock >> l) ^ 1;
    if (sibling < length) {
      const first = sibling << l;
      leafHashRootInto(commitments, first, Math.min(1 << l, commitments.length - first), nodes, 32 * l);
      path[l] = new Uint8Array(nodes.buffer, nodes.byteOffset + 32 * l, 32);
    }
  }
  return path;
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
