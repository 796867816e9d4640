/**
 * @module The reference's backup chunk bytes (reference-server §6.1, §4.3): a key-sorted map from every proof node's message to its LevelDB value.
 *
 *   chunk = ( varuint(len key) ‖ key ‖ varuint(len value) ‖ value )*      keys strictly increasing, bytewise
 *   value = varuint(n_att) ‖ attestation* ‖ varuint(n_ops) ‖ op*           attestation = tag8 ‖ varbytes(payload)
 *                                                                          op = tag ‖ varbytes(arg) for append/prepend
 *
 * Op results are not stored: they are recomputed from the key. The reference writes a value's items in Python's
 * set order; this encoder writes them in canonical order (sorted as in a serialized timestamp), so two servers
 * holding the same proofs produce the same bytes. The decoder accepts any order.
 */
import {
  BytesReader,
  BytesWriter,
  MAX_MSG_LENGTH,
  compareAttestations,
  compareBytes,
  compareOps,
  decodeAttestation,
  decodeOp,
  encodeAttestation,
  encodeOp,
  type Attestation,
  type Op,
} from '../ots/index.js';

/** Commitments per chunk: chunk n covers commitment numbers [1000n, 1000n + 1000) (the reference's PAGING). */
export const BACKUP_CHUNK_COMMITMENTS = 1000;
/** Largest value: far above any real node (one op or one attestation), small enough to bound a hostile one. */
export const MAX_BACKUP_VALUE = 64 * 1024;

/** One proof node: its message and what hangs off it. */
export interface BackupNode {
  msg: Uint8Array;
  attestations: Attestation[];
  ops: Op[];
}

/** A malformed chunk; `offset` is where reading failed. */
export class BackupFormatError extends Error {
  readonly code = 'backup-format';
  constructor(readonly offset: number, detail: string, options?: { cause?: unknown }) {
    super(`backup chunk malformed at byte ${offset}: ${detail}`, options);
    this.name = 'BackupFormatError';
  }
}

/** The LevelDB value of a node, items in canonical order. */
export function encodeNodeValue(node: Pick<BackupNode, 'attestations' | 'ops'>): Uint8Array {
  const w = new BytesWriter(64);
  const atts = [...node.attestations].sort(compareAttestations);
  const ops = [...node.ops].sort(compareOps);
  w.writeVaruint(atts.length);
  for (const a of atts) encodeAttestation(w, a);
  w.writeVaruint(ops.length);
  for (const op of ops) encodeOp(w, op);
  return w.toBytes();
}

/** Reads a value strictly: counts bounded by the bytes left (before allocating), no trailing bytes. */
export function decodeNodeValue(value: Uint8Array): { attestations: Attestation[]; ops: Op[] } {
  const r = new BytesReader(value);
  const nAtt = r.readVaruint();
  // an attestation takes at least 9 bytes (tag and an empty payload)
  if (nAtt * 9 > r.remaining()) throw new RangeError(`${nAtt} attestations cannot fit in ${r.remaining()} bytes`);
  const attestations: Attestation[] = [];
  for (let i = 0; i < nAtt; i++) attestations.push(decodeAttestation(r));
  const nOps = r.readVaruint();
  if (nOps > r.remaining()) throw new RangeError(`${nOps} ops cannot fit in ${r.remaining()} bytes`);
  const ops: Op[] = [];
  for (let i = 0; i < nOps; i++) ops.push(decodeOp(r));
  r.assertEof();
  return { attestations, ops };
}

/** The chunk bytes for `nodes` (any order; sorted here by message). */
export function encodeBackupChunk(nodes: Iterable<BackupNode>): Uint8Array {
  const sorted = [...nodes].sort((a, b) => compareBytes(a.msg, b.msg));
  const w = new BytesWriter(sorted.length * 80);
  for (const node of sorted) {
    w.writeVarbytes(node.msg);
    w.writeVarbytes(encodeNodeValue(node));
  }
  return w.toBytes();
}

/** Every node of a chunk, in key order; a BackupFormatError names the first problem. */
export function decodeBackupChunk(bytes: Uint8Array): BackupNode[] {
  const r = new BytesReader(bytes);
  const nodes: BackupNode[] = [];
  let prev: Uint8Array | undefined;
  while (r.remaining() > 0) {
    const at = r.pos;
    let key: Uint8Array;
    let value: Uint8Array;
    try {
      key = r.readVarbytes(MAX_MSG_LENGTH, 1);
      value = r.readVarbytes(MAX_BACKUP_VALUE);
    } catch (cause) {
      throw new BackupFormatError(at, cause instanceof Error ? cause.message : String(cause), { cause });
    }
    if (prev && compareBytes(prev, key) >= 0) throw new BackupFormatError(at, 'keys are not strictly increasing');
    let decoded: { attestations: Attestation[]; ops: Op[] };
    try {
      decoded = decodeNodeValue(value);
    } catch (cause) {
      throw new BackupFormatError(at, `value of key ${Buffer.from(key).toString('hex')}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    nodes.push({ msg: key, ...decoded });
    prev = key;
  }
  return nodes;
}
