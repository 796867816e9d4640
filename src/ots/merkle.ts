/** @module The OpenTimestamps merkle tree: parent = sha256(left ‖ right), an odd node carried up unchanged, one item is its own root (ots-format.md §9). */
import { sha256Into } from './hashes.js';
import { type Op, OP_SHA256, TAG_APPEND, TAG_PREPEND, TAG_SHA256, opAppend, opPrepend } from './op.js';
import { Timestamp } from './timestamp.js';

/** left → append(right.msg) and right → prepend(left.msg) meet in one shared node, then sha256 (python cat_sha256). */
function catSha256(left: Timestamp, right: Timestamp): Timestamp {
  const joined = right.add(opPrepend(left.msg));
  left.setChild(opAppend(right.msg), joined);
  return joined.add(OP_SHA256);
}

/**
 * Python `make_merkle_tree`: pairs neighbours level by level (an odd last one moves up as is), adding
 * the ops to the given stamps in place. Returns the tip; one stamp is its own tip.
 */
export function makeMerkleTree(stamps: readonly Timestamp[]): Timestamp {
  if (stamps.length === 0) throw new RangeError('"stamps" expected at least one timestamp, got none');
  let level: readonly Timestamp[] = stamps;
  while (level.length > 1) {
    const next: Timestamp[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(catSha256(level[i] as Timestamp, level[i + 1] as Timestamp));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Timestamp);
    level = next;
  }
  return level[0] as Timestamp;
}

/**
 * The 64 bytes a pair of 32-byte nodes is hashed from: one for the module, as each level is computed
 * synchronously (a new one per tree cost more than the hashing of a small tree).
 */
const PAIR = Buffer.allocUnsafe(64);

/**
 * One level up. The common all-32-byte case hashes through one reused 64-byte buffer, and a level's nodes are
 * views of one buffer of its own: no ArrayBuffer per node (sha256Into).
 */
function parentLevel(level: readonly Uint8Array[], pair: Buffer): Uint8Array[] {
  const n = level.length;
  const m = (n + 1) >> 1;
  const out: Uint8Array[] = new Array<Uint8Array>(m);
  const flat = Buffer.allocUnsafeSlow(32 * (n >> 1));
  let j = 0;
  for (let i = 0; i + 1 < n; i += 2) {
    const left = level[i] as Uint8Array;
    const right = level[i + 1] as Uint8Array;
    if (left.length === 32 && right.length === 32) {
      pair.set(left, 0);
      pair.set(right, 32);
      sha256Into(pair, flat, 32 * j);
    } else {
      sha256Into(Buffer.concat([left, right]), flat, 32 * j);
    }
    out[j] = new Uint8Array(flat.buffer, 32 * j, 32);
    j++;
  }
  if (n % 2 === 1) out[j] = level[n - 1] as Uint8Array;
  return out;
}

/** All levels of the tree over `leaves`: levels[0] is `leaves`, the last level is `[root]`. */
export function merkleLevels(leaves: readonly Uint8Array[]): Uint8Array[][] {
  if (leaves.length === 0) throw new RangeError('"leaves" expected at least one leaf, got none');
  const pair = PAIR;
  const levels: Uint8Array[][] = [[...leaves]];
  let level = levels[0] as Uint8Array[];
  while (level.length > 1) {
    level = parentLevel(level, pair);
    levels.push(level);
  }
  return levels;
}

/**
 * The root alone. With 32-byte leaves (every tree the calendar builds) the levels are computed in place in one
 * buffer, no object per node; other leaves go level by level.
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw new RangeError('"leaves" expected at least one leaf, got none');
  const pair = PAIR;
  if (leaves.length === 1 || !leaves.every((l) => l.length === 32)) {
    let level: readonly Uint8Array[] = leaves;
    while (level.length > 1) level = parentLevel(level, pair);
    return level[0] as Uint8Array;
  }
  const flat = Buffer.allocUnsafeSlow(32 * leaves.length);
  for (let i = 0; i < leaves.length; i++) flat.set(leaves[i] as Uint8Array, 32 * i);
  reduceInPlace(flat, leaves.length, pair);
  // a copy, so a root kept does not keep the whole buffer
  return new Uint8Array(flat.subarray(0, 32));
}

/** The `n` 32-byte nodes at the start of `flat` reduced level by level to their root, left in its first 32 bytes. */
function reduceInPlace(flat: Buffer, n: number, pair: Buffer): void {
  // node j of the next level overwrites node 2j of this one only after the pair 2j, 2j + 1 was copied out
  for (; n > 1; n = (n + 1) >> 1) {
    let j = 0;
    for (let i = 0; i + 1 < n; i += 2, j++) {
      flat.copy(pair, 0, 32 * i, 32 * i + 64);
      sha256Into(pair, flat, 32 * j);
    }
    if (n % 2 === 1) flat.copy(flat, 32 * j, 32 * (n - 1), 32 * n);
  }
}

/** Where leafHashRootInto computes its nodes: grown as needed, reused by every call (they are synchronous). */
let work = Buffer.allocUnsafeSlow(32 * 8);

/**
 * Writes into `out` at `at` the root of the tree whose leaves are the sha256 of `items[first, first + count)`:
 * the leaves and levels are computed in one buffer every call reuses, so nothing is allocated (a proof's block
 * of commitments, for answers assembled by the thousand).
 */
export function leafHashRootInto(items: readonly Uint8Array[], first: number, count: number, out: Uint8Array, at: number): void {
  if (!(count >= 1 && first >= 0 && first + count <= items.length)) throw new RangeError(`items ${first}+${count} of ${items.length}`);
  if (work.length < 32 * count) work = Buffer.allocUnsafeSlow(32 * count);
  for (let i = 0; i < count; i++) sha256Into(items[first + i] as Uint8Array, work, 32 * i);
  reduceInPlace(work, count, PAIR);
  work.copy(out, at, 0, 32);
}

/**
 * Ops from leaf `index` to the root: per level, append(right sibling) or prepend(left sibling) then
 * sha256; nothing on a level where the node is the odd one carried up. The same ops makeMerkleTree adds.
 */
export function merklePath(levels: readonly (readonly Uint8Array[])[], index: number): Op[] {
  const leaves = levels[0];
  if (leaves === undefined || !Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`"index" expected 0..${(leaves?.length ?? 0) - 1}, got ${index}`);
  }
  const ops: Op[] = [];
  let i = index;
  for (let l = 0; l + 1 < levels.length; l++) {
    const level = levels[l] as readonly Uint8Array[];
    if (i % 2 === 1) {
      ops.push(opPrepend(level[i - 1] as Uint8Array), OP_SHA256);
    } else if (i + 1 < level.length) {
      ops.push(opAppend(level[i + 1] as Uint8Array), OP_SHA256);
    }
    i >>= 1;
  }
  return ops;
}

function varuintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Bytes of `encodeOps(merklePath(levels, index))`, without building the ops. */
export function merklePathSize(levels: readonly (readonly Uint8Array[])[], index: number): number {
  let size = 0;
  for (let l = 0, i = index; l + 1 < levels.length; l++, i >>= 1) {
    const level = levels[l] as readonly Uint8Array[];
    size += stepSize(i % 2 === 1 ? level[i - 1] : level[i + 1]);
  }
  return size;
}

/**
 * A leaf's merkle path as the nodes it meets: `siblings[l]` is the node beside it on level l (the last entry is
 * on the level below the root), undefined where it is the odd node carried up; the side each is on follows from
 * the leaf's index. The path writeMerklePath writes from whole levels, without them: a proof assembled from
 * stored trees has no use for the rest of a level (the upper levels of a 3,600-leaf anchor are 1,800 slots).
 */
export type SiblingPath = ReadonlyArray<Uint8Array | undefined>;

/** Bytes writeSiblingPath writes for this path. */
export function siblingPathSize(siblings: SiblingPath): number {
  let size = 0;
  for (const sibling of siblings) size += stepSize(sibling);
  return size;
}

/**
 * Writes the ops from leaf `index` along `siblings` into `out` at `at` (siblingPathSize bytes free) and returns the
 * offset after them: the bytes writeMerklePath writes for the same leaf from the tree's whole levels.
 */
export function writeSiblingPath(siblings: SiblingPath, index: number, out: Uint8Array, at: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** siblings.length) throw new RangeError(`"index" expected 0..${2 ** siblings.length - 1}, got ${index}`);
  for (let l = 0, i = index; l < siblings.length; l++, i >>= 1) at = writeStep(siblings[l], i % 2 === 1, out, at);
  return at;
}

/** Bytes of one level's ops: none for a node carried up. */
function stepSize(sibling: Uint8Array | undefined): number {
  return sibling ? 2 + varuintSize(sibling.length) + sibling.length : 0;
}

/** One level's ops into `out` at `at`: prepend the left sibling or append the right one, then sha256. */
function writeStep(sibling: Uint8Array | undefined, left: boolean, out: Uint8Array, at: number): number {
  if (!sibling) return at; // the odd node, carried up unchanged
  out[at++] = left ? TAG_PREPEND : TAG_APPEND;
  for (let n = sibling.length; ; n = Math.floor(n / 0x80)) {
    if (n < 0x80) {
      out[at++] = n;
      break;
    }
    out[at++] = (n % 0x80) | 0x80;
  }
  out.set(sibling, at);
  at += sibling.length;
  out[at++] = TAG_SHA256;
  return at;
}

/**
 * Writes `encodeOps(merklePath(levels, index))` into `out` at `at` and returns the offset after it: the same
 * bytes without an op object or a writer per path, for answers served by the thousand (a tick's waiting
 * requests, proofs assembled from an anchor's tree). `out` must have merklePathSize bytes free at `at`.
 */
export function writeMerklePath(levels: readonly (readonly Uint8Array[])[], index: number, out: Uint8Array, at: number): number {
  const leaves = levels[0];
  if (leaves === undefined || !Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`"index" expected 0..${(leaves?.length ?? 0) - 1}, got ${index}`);
  }
  for (let l = 0, i = index; l + 1 < levels.length; l++, i >>= 1) {
    const level = levels[l] as readonly Uint8Array[];
    const left = i % 2 === 1;
    at = writeStep(left ? level[i - 1] : level[i + 1], left, out, at);
  }
  return at;
}
