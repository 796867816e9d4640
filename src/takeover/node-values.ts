/**
 * @module The reference's node values below a transaction's tip (reference-server §4.3, §5.6): a plain `sha256`, a
 * merkle step `append|prepend(32-byte sibling)`, or anything else, which is a tip or a node that breaks the proof.
 */
import { decodeNodeValue } from '../backup/index.js';
import { TAG_APPEND, TAG_PREPEND, TAG_SHA256 } from '../ots/index.js';

/** `00 01 08`: no attestation, one sha256. */
export function isSha256Only(v: Uint8Array): boolean {
  return v.length === 3 && v[0] === 0 && v[1] === 1 && v[2] === TAG_SHA256;
}

/** `00 01 f0|f1 20 <32 bytes>`: 0 for append (a left child), 1 for prepend (a right child), -1 for anything else. */
export function treeStep(v: Uint8Array): number {
  return v.length === 36 && v[0] === 0 && v[1] === 1 && v[3] === 32 ? (v[2] === TAG_APPEND ? 0 : v[2] === TAG_PREPEND ? 1 : -1) : -1;
}

/** Why a node that is no tree step is not a tip either; undefined for a tip. */
export function notATip(v: Uint8Array): string | undefined {
  let decoded: ReturnType<typeof decodeNodeValue>;
  try {
    decoded = decodeNodeValue(v);
  } catch (err) {
    return `its database value does not decode: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (decoded.ops.some((op) => (op.tag === TAG_APPEND || op.tag === TAG_PREPEND) && op.arg?.length === 32)) {
    return 'it forks inside the merkle tree (more than one op, or attestations, beside a 32-byte append/prepend)';
  }
  if (decoded.ops.length === 0) return 'it ends the proof below any transaction (no op leads on)';
  return undefined;
}
