/** @module Bitcoin's block merkle tree over txids (internal byte order): sha256d(left ‖ right), an odd level pairs its last node with itself. */
import { concatBytes } from './bytes.js';
import { sha256d } from './hashes.js';
import { type Op, OP_SHA256, opAppend, opPrepend } from './op.js';

function checkTxids(txids: readonly Uint8Array[]): void {
  if (txids.length === 0) throw new RangeError('"txids" expected at least one txid, got none');
  for (const t of txids) if (t.length !== 32) throw new RangeError(`"txids" expected 32-byte txids, got ${t.length} bytes`);
}

function parentLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const left = level[i] as Uint8Array;
    // Bitcoin duplicates the last node of an odd level (the CVE-2012-2459 shape; harmless for proofs).
    const right = level[i + 1] ?? left;
    out.push(sha256d(concatBytes(left, right)));
  }
  return out;
}

/** The block header's merkle root, in raw (internal) byte order. */
export function blockMerkleRoot(txids: readonly Uint8Array[]): Uint8Array {
  checkTxids(txids);
  let level: readonly Uint8Array[] = txids;
  while (level.length > 1) level = parentLevel(level);
  return new Uint8Array(level[0] as Uint8Array);
}

/**
 * Ops from txid `index` to the block merkle root: per level append(right sibling) or prepend(left
 * sibling), then sha256 twice. The last node of an odd level appends itself.
 */
export function blockMerklePath(txids: readonly Uint8Array[], index: number): Op[] {
  checkTxids(txids);
  if (!Number.isInteger(index) || index < 0 || index >= txids.length) {
    throw new RangeError(`"index" expected 0..${txids.length - 1}, got ${index}`);
  }
  const ops: Op[] = [];
  let level: readonly Uint8Array[] = txids;
  let i = index;
  while (level.length > 1) {
    if (i % 2 === 1) ops.push(opPrepend(level[i - 1] as Uint8Array));
    else ops.push(opAppend(level[i + 1] ?? (level[i] as Uint8Array)));
    ops.push(OP_SHA256, OP_SHA256);
    level = parentLevel(level);
    i >>= 1;
  }
  return ops;
}
