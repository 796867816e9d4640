/** @module Single-branch paths (a list of ops ending in one attestation): the server's cheap way to build proof bytes (ots-format.md §4). */
import { type Op, applyOp, encodeOp } from './op.js';
import { type Attestation, encodeAttestation } from './attestation.js';
import { BytesWriter } from './serialize.js';

/** Just the ops, back to back. Pieces can be concatenated: a linear tree has no fork markers. */
export function encodeOps(ops: readonly Op[]): Uint8Array {
  const w = new BytesWriter(ops.length * 34 + 16);
  for (const op of ops) encodeOp(w, op);
  return w.toBytes();
}

/**
 * The bytes of a linear timestamp: each op, then `00` and the attestation. Identical to what
 * `Timestamp.encode` writes for the same single path.
 */
export function encodePath(ops: readonly Op[], attestation: Attestation): Uint8Array {
  const w = new BytesWriter(ops.length * 34 + 64);
  for (const op of ops) encodeOp(w, op);
  w.writeUint8(0x00);
  encodeAttestation(w, attestation);
  return w.toBytes();
}

/** The message at the end of the path, every op limit enforced. */
export function applyPath(ops: readonly Op[], msg: Uint8Array): Uint8Array {
  let m = msg;
  for (const op of ops) m = applyOp(op, m);
  return m;
}
