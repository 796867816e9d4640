/** @module Payload codecs of the three record kinds: fixed-width little-endian fields and length-prefixed bytes, strictly decoded. */
import { MalformedRecordError, TrailingBytesError, TruncatedRecordError } from './errors.js';
import type { AnchorRecord, CommitRange, RevocationRecord } from './types.js';

/** A commitment is 4-byte unix time ‖ 32-byte merkle root ‖ 8-byte MAC (reference-server §4.1). */
export const COMMITMENT_BYTES = 44;
/**
 * A commitment from before the reference server added MACs (2016): 4-byte time ‖ 32-byte root. Its journal
 * holds it with 8 zero bytes in place of the MAC, its readers strip them, and its proofs start from the 36
 * bytes; a calendar taken over from it keeps such entries as they are (a padded one is another commitment).
 */
export const LEGACY_COMMITMENT_BYTES = 36;

/** The lengths a commit record's payload may have: 44, or 36 for a legacy commitment. */
export function isCommitmentLength(n: number): boolean {
  return n === COMMITMENT_BYTES || n === LEGACY_COMMITMENT_BYTES;
}
/** sha256 output: the anchor's merkle tip. */
export const TIP_BYTES = 32;
/**
 * Ranges one anchor may name. A reorg splits an anchor's commitments into a few ranges; 65,536 is far beyond
 * any real history and bounds the work a corrupt count can cause.
 */
export const MAX_ANCHOR_RANGES = 65_536;
/** A revocation reason is a short log line, not a document. */
export const MAX_REASON_BYTES = 1_024;
/** Largest integer a record field may hold: seqs and commit numbers stay exact JavaScript numbers. */
export const MAX_U53 = Number.MAX_SAFE_INTEGER;

const TWO_32 = 2 ** 32;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Writes `n` (0 ≤ n ≤ 2^53−1) as a little-endian u64. */
export function writeU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, n % TWO_32, true);
  view.setUint32(at + 4, Math.floor(n / TWO_32), true);
}

/** Reads a little-endian u64, or returns -1 when it exceeds 2^53−1 (callers turn that into a typed error). */
export function readU64(view: DataView, at: number): number {
  const hi = view.getUint32(at + 4, true);
  if (hi >= 2 ** 21) return -1;
  return hi * TWO_32 + view.getUint32(at, true);
}

function checkU53(n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`"${name}" expected an integer in [0, 2^53), got ${n}`);
}

function checkBytes(b: unknown, name: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`"${name}" expected Uint8Array, got ${typeof b}`);
}

/**
 * A plain Uint8Array copy of `bytes[start, end)`. Not `.slice()`: on a Buffer that returns a view into the
 * caller's (or a read buffer's) memory.
 */
export function copyBytes(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  const out = new Uint8Array(end - start);
  // a byte loop beats a subarray allocation for commitment-sized copies, which the scan makes per record
  if (end - start <= 64) for (let i = start; i < end; i++) out[i - start] = bytes[i] as number;
  else out.set(bytes.subarray(start, end));
  return out;
}

/** A plain Uint8Array over `bytes[start, end)`, sharing its memory (a Buffer's subarray would be a Buffer). */
function viewBytes(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Ranges must be non-empty and must not overlap: one commitment is one leaf of one anchor. */
function checkRanges(ranges: ReadonlyArray<CommitRange>): string | undefined {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  let prevEnd = -1;
  for (const r of sorted) {
    if (r.start >= r.end) return `empty range [${r.start}, ${r.end})`;
    if (r.start < prevEnd) return `overlapping ranges at ${r.start}`;
    prevEnd = r.end;
  }
  return undefined;
}

/** The commit payload is the commitment itself; a copy, so later changes to the caller's array change nothing. */
export function encodeCommitment(commitment: Uint8Array): Uint8Array {
  checkBytes(commitment, 'commitment');
  if (!isCommitmentLength(commitment.length)) {
    throw new RangeError(`"commitment" expected ${COMMITMENT_BYTES} (or legacy ${LEGACY_COMMITMENT_BYTES}) bytes, got ${commitment.length}`);
  }
  return copyBytes(commitment);
}

/** `copy` false: the commitment is a view into `payload` (which the caller keeps whole and never reuses). */
export function decodeCommitment(payload: Uint8Array, copy = true): Uint8Array {
  if (!isCommitmentLength(payload.length)) {
    throw new MalformedRecordError('commit-length', `expected ${COMMITMENT_BYTES} (or legacy ${LEGACY_COMMITMENT_BYTES}) bytes, got ${payload.length}`);
  }
  return copy ? copyBytes(payload) : viewBytes(payload, 0, payload.length);
}

/**
 * Anchor payload:
 *
 *   size   field
 *   32     tip
 *   4      range count k (u32, 1 ≤ k ≤ MAX_ANCHOR_RANGES)
 *   16·k   ranges: start (u64), end (u64), end exclusive, start < end, no overlaps, in leaf order
 *   4      timestamp length m (u32, m ≥ 1)
 *   m      serialized timestamp from the tip to its attestation
 */
export function encodeAnchor(anchor: AnchorRecord): Uint8Array {
  checkBytes(anchor.tip, 'tip');
  if (anchor.tip.length !== TIP_BYTES) throw new RangeError(`"tip" expected ${TIP_BYTES} bytes, got ${anchor.tip.length}`);
  const k = anchor.ranges.length;
  if (k < 1 || k > MAX_ANCHOR_RANGES) throw new RangeError(`"ranges" expected 1..${MAX_ANCHOR_RANGES} ranges, got ${k}`);
  for (const r of anchor.ranges) {
    checkU53(r.start, 'range.start');
    checkU53(r.end, 'range.end');
  }
  const bad = checkRanges(anchor.ranges);
  if (bad) throw new RangeError(`"ranges" ${bad}`);
  checkBytes(anchor.timestamp, 'timestamp');
  if (anchor.timestamp.length < 1) throw new RangeError('"timestamp" expected at least 1 byte, got 0');
  const out = new Uint8Array(TIP_BYTES + 4 + 16 * k + 4 + anchor.timestamp.length);
  const view = viewOf(out);
  out.set(anchor.tip, 0);
  let at = TIP_BYTES;
  view.setUint32(at, k, true);
  at += 4;
  for (const r of anchor.ranges) {
    writeU64(view, at, r.start);
    writeU64(view, at + 8, r.end);
    at += 16;
  }
  view.setUint32(at, anchor.timestamp.length, true);
  out.set(anchor.timestamp, at + 4);
  return out;
}

/** `copy` false: tip and timestamp are views into `payload` (which the caller keeps whole and never reuses). */
export function decodeAnchor(payload: Uint8Array, copy = true): AnchorRecord {
  const view = viewOf(payload);
  const need = (n: number): void => {
    if (payload.length < n) throw new TruncatedRecordError(n, payload.length);
  };
  need(TIP_BYTES + 4);
  const k = view.getUint32(TIP_BYTES, true);
  if (k < 1 || k > MAX_ANCHOR_RANGES) throw new MalformedRecordError('anchor-ranges', `range count ${k}`);
  // length checked before the ranges array is allocated
  need(TIP_BYTES + 4 + 16 * k + 4);
  const ranges: CommitRange[] = [];
  let at = TIP_BYTES + 4;
  for (let i = 0; i < k; i++, at += 16) {
    const start = readU64(view, at);
    const end = readU64(view, at + 8);
    if (start < 0 || end < 0) throw new MalformedRecordError('anchor-range', `range ${i} exceeds 2^53`);
    ranges.push({ start, end });
  }
  const bad = checkRanges(ranges);
  if (bad) throw new MalformedRecordError('anchor-range', bad);
  const m = view.getUint32(at, true);
  at += 4;
  if (m < 1) throw new MalformedRecordError('anchor-timestamp', 'empty timestamp');
  need(at + m);
  if (payload.length > at + m) throw new TrailingBytesError(payload.length - at - m);
  if (!copy) return { tip: viewBytes(payload, 0, TIP_BYTES), ranges, timestamp: viewBytes(payload, at, at + m) };
  return { tip: copyBytes(payload, 0, TIP_BYTES), ranges, timestamp: copyBytes(payload, at, at + m) };
}

/**
 * Revocation payload:
 *
 *   size   field
 *   8      seq of the revoked anchor record (u64)
 *   2      reason length r (u16, r ≤ MAX_REASON_BYTES)
 *   r      reason, UTF-8
 */
export function encodeRevocation(revocation: RevocationRecord): Uint8Array {
  checkU53(revocation.anchorSeq, 'anchorSeq');
  if (typeof revocation.reason !== 'string') throw new TypeError(`"reason" expected string, got ${typeof revocation.reason}`);
  const reason = utf8.encode(revocation.reason);
  if (reason.length > MAX_REASON_BYTES) throw new RangeError(`"reason" expected at most ${MAX_REASON_BYTES} bytes, got ${reason.length}`);
  // a lone surrogate would be stored as U+FFFD and read back as a different string
  if (strictUtf8.decode(reason) !== revocation.reason) throw new RangeError('"reason" expected well-formed Unicode');
  const out = new Uint8Array(10 + reason.length);
  const view = viewOf(out);
  writeU64(view, 0, revocation.anchorSeq);
  view.setUint16(8, reason.length, true);
  out.set(reason, 10);
  return out;
}

export function decodeRevocation(payload: Uint8Array): RevocationRecord {
  if (payload.length < 10) throw new TruncatedRecordError(10, payload.length);
  const view = viewOf(payload);
  const anchorSeq = readU64(view, 0);
  if (anchorSeq < 0) throw new MalformedRecordError('revocation-anchor', 'anchor seq exceeds 2^53');
  const r = view.getUint16(8, true);
  if (r > MAX_REASON_BYTES) throw new MalformedRecordError('revocation-reason', `reason length ${r}`);
  if (payload.length < 10 + r) throw new TruncatedRecordError(10 + r, payload.length);
  if (payload.length > 10 + r) throw new TrailingBytesError(payload.length - 10 - r);
  let reason: string;
  try {
    reason = strictUtf8.decode(payload.subarray(10, 10 + r));
  } catch (cause) {
    throw new MalformedRecordError('revocation-reason', `invalid UTF-8: ${String(cause)}`);
  }
  return { anchorSeq, reason };
}
