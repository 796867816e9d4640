/** @module The record frame: length, type, seq, payload and CRC-32, encoded and strictly decoded (src/journal/README.md "Format"). */
import { crc32 } from 'node:zlib';
import { ChecksumMismatchError, MalformedRecordError, TrailingBytesError, TruncatedRecordError } from './errors.js';
import {
  COMMITMENT_BYTES,
  LEGACY_COMMITMENT_BYTES,
  MAX_U53,
  decodeAnchor,
  decodeCommitment,
  decodeRevocation,
  encodeAnchor,
  isCommitmentLength,
  encodeCommitment,
  encodeRevocation,
} from './payload-codec.js';
import type { JournalEntry, JournalRecord, RecordType } from './types.js';

/**
 * Frame layout, all integers little-endian:
 *
 *   offset  size  field
 *   0       4     payload length n (u32, n ≤ MAX_RECORD_PAYLOAD)
 *   4       1     type: 1 commit, 2 anchor, 3 revocation
 *   5       8     seq (u64, ≤ 2^53−1): the record's position in the journal
 *   13      n     payload (payload-codec.ts)
 *   13+n    4     CRC-32 (zlib polynomial) of bytes [0, 13+n)
 *
 * A commit record is 13 + 44 + 4 = 61 bytes (53 for a legacy 36-byte commitment).
 */
export const FRAME_HEADER_BYTES = 13;
export const FRAME_TRAILER_BYTES = 4;
export const FRAME_OVERHEAD = FRAME_HEADER_BYTES + FRAME_TRAILER_BYTES;
export const COMMIT_RECORD_BYTES = FRAME_OVERHEAD + COMMITMENT_BYTES;
/**
 * Largest payload. Anchors are the only variable-size records: a timestamp from a tip to a block header is a
 * few hundred bytes to a few kB. 1 MiB leaves room for long collaborative paths while a corrupt length field
 * cannot make a reader allocate or read more than that.
 */
export const MAX_RECORD_PAYLOAD = 1 << 20;

const TYPE_CODE: Readonly<Record<RecordType, number>> = { commit: 1, anchor: 2, revocation: 3 };
const TYPE_OF_CODE: ReadonlyArray<RecordType | undefined> = [undefined, 'commit', 'anchor', 'revocation'];

/** A checked frame whose payload is not decoded yet. `payload` is a view into the input bytes. */
export interface Frame {
  type: RecordType;
  seq: number;
  payload: Uint8Array;
  /** Total bytes of the frame: FRAME_OVERHEAD + payload length. */
  length: number;
}

// Byte-level little-endian access: a DataView per frame costs an allocation on the scan's hot path.
function u32At(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

/** Total frame length announced by the header at `offset`, or -1 if fewer than FRAME_HEADER_BYTES remain. */
export function frameLengthAt(bytes: Uint8Array, offset: number): number {
  if (bytes.length - offset < FRAME_HEADER_BYTES) return -1;
  return FRAME_OVERHEAD + u32At(bytes, offset);
}

/**
 * Checks the frame at `offset`: header present, length within bounds (before anything is read or allocated),
 * whole frame present, CRC, type, seq range, and the fixed commit length. Bytes after the frame are ignored.
 */
export function readFrame(bytes: Uint8Array, offset = 0): Frame {
  const available = bytes.length - offset;
  if (available < FRAME_HEADER_BYTES) throw new TruncatedRecordError(FRAME_HEADER_BYTES, Math.max(available, 0));
  const n = u32At(bytes, offset);
  if (n > MAX_RECORD_PAYLOAD) throw new MalformedRecordError('length', `payload length ${n} exceeds ${MAX_RECORD_PAYLOAD}`);
  const length = FRAME_OVERHEAD + n;
  if (available < length) throw new TruncatedRecordError(length, available);
  const end = offset + FRAME_HEADER_BYTES + n;
  const stored = u32At(bytes, end);
  const computed = crc32(bytes.subarray(offset, end));
  if (stored !== computed) throw new ChecksumMismatchError(stored, computed);
  const type = TYPE_OF_CODE[bytes[offset + 4] as number];
  if (type === undefined) throw new MalformedRecordError('type', `unknown record type ${bytes[offset + 4]}`);
  const hi = u32At(bytes, offset + 9);
  if (hi >= 2 ** 21) throw new MalformedRecordError('seq', 'seq exceeds 2^53');
  const seq = hi * 2 ** 32 + u32At(bytes, offset + 5);
  if (type === 'commit' && !isCommitmentLength(n)) {
    throw new MalformedRecordError('commit-length', `commit payload of ${n} bytes, expected ${COMMITMENT_BYTES} (or legacy ${LEGACY_COMMITMENT_BYTES})`);
  }
  return { type, seq, payload: bytes.subarray(offset + FRAME_HEADER_BYTES, end), length };
}

/** Frames an already-encoded payload. */
export function encodeFrame(type: RecordType, seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_OVERHEAD + payload.length);
  encodeFrameInto(out, 0, type, seq, payload);
  return out;
}

/** Frames a payload into `out` at `at` (a flush encodes all its records into one buffer); returns the frame length. */
export function encodeFrameInto(out: Uint8Array, at: number, type: RecordType, seq: number, payload: Uint8Array): number {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > MAX_U53) throw new RangeError(`"seq" expected an integer in [0, 2^53), got ${seq}`);
  if (payload.length > MAX_RECORD_PAYLOAD) {
    throw new RangeError(`"payload" expected at most ${MAX_RECORD_PAYLOAD} bytes, got ${payload.length}`);
  }
  putU32(out, at, payload.length);
  out[at + 4] = TYPE_CODE[type];
  putU32(out, at + 5, seq % 2 ** 32);
  putU32(out, at + 9, Math.floor(seq / 2 ** 32));
  out.set(payload, at + FRAME_HEADER_BYTES);
  const end = at + FRAME_HEADER_BYTES + payload.length;
  putU32(out, end, crc32(out.subarray(at, end)));
  return FRAME_OVERHEAD + payload.length;
}

/** Encodes an entry's payload (validating it: misuse is a RangeError/TypeError, raised at the caller's call). */
export function encodePayload(entry: JournalEntry): Uint8Array {
  switch (entry.type) {
    case 'commit':
      return encodeCommitment(entry.commitment);
    case 'anchor':
      return encodeAnchor(entry.anchor);
    case 'revocation':
      return encodeRevocation(entry.revocation);
    default:
      throw new TypeError(`"type" expected commit, anchor or revocation, got ${String((entry as { type: unknown }).type)}`);
  }
}

/**
 * Decodes a checked frame's payload into a record. Its fields are copies, so they do not pin the read buffer;
 * with `copy` false they are views into it, for a caller that reads a file whole once and keeps what it decodes.
 */
export function decodeFrame(frame: Frame, copy = true): JournalRecord {
  const { seq, payload } = frame;
  switch (frame.type) {
    case 'commit':
      return { seq, type: 'commit', commitment: decodeCommitment(payload, copy) };
    case 'anchor':
      return { seq, type: 'anchor', anchor: decodeAnchor(payload, copy) };
    case 'revocation':
      return { seq, type: 'revocation', revocation: decodeRevocation(payload) };
  }
}

export function encodeRecord(record: JournalRecord): Uint8Array {
  return encodeFrame(record.type, record.seq, encodePayload(record));
}

/** Decodes the record at `offset`; returns it with its frame length. Bytes after it are left to the caller; `copy` as decodeFrame's. */
export function decodeRecordAt(bytes: Uint8Array, offset = 0, copy = true): { record: JournalRecord; length: number } {
  const frame = readFrame(bytes, offset);
  return { record: decodeFrame(frame, copy), length: frame.length };
}

/** Decodes exactly one record: trailing bytes are an error. */
export function decodeRecord(bytes: Uint8Array): JournalRecord {
  const { record, length } = decodeRecordAt(bytes, 0);
  if (bytes.length > length) throw new TrailingBytesError(bytes.length - length);
  return record;
}
