/** @module The journal directory: file names, the format file and the per-segment sidecar (src/journal/README.md "Files"). */
import { crc32 } from 'node:zlib';
import { JournalFormatError } from './errors.js';
import { HASH_BYTES } from './head-hash.js';

/** Records per segment unless the format file says otherwise: 65,536 commits ≈ 4 MB ≈ 18 hours of ticks. */
export const DEFAULT_SEGMENT_RECORDS = 65_536;
/** Bounds on segmentRecords: 1 is only useful in tests; 2^24 keeps a segment's commit bytes under 1 GB. */
export const MIN_SEGMENT_RECORDS = 1;
export const MAX_SEGMENT_RECORDS = 1 << 24;

export const FORMAT_FILE = 'journal.format';
export const LOCK_FILE = 'journal.lock';
const FORMAT_NAME = 'ots-calendar-journal';
const FORMAT_VERSION = 1;

/** Segment names are the first seq, zero-padded to 16 digits (2^53 has 16), so `ls` order is seq order. */
const SEQ_DIGITS = 16;
export const SEGMENT_SUFFIX = '.seg';
export const SIDECAR_SUFFIX = '.end';
export const CUT_SUFFIX = '.cut';
/** The active segment's end at the last clean close (head-mark.ts). */
export const HEAD_MARK_SUFFIX = '.head';
const SEGMENT_NAME = /^(\d{16})\.seg$/;

export function segmentName(firstSeq: number): string {
  return String(firstSeq).padStart(SEQ_DIGITS, '0') + SEGMENT_SUFFIX;
}

export function sidecarName(firstSeq: number): string {
  return String(firstSeq).padStart(SEQ_DIGITS, '0') + SIDECAR_SUFFIX;
}

export function headMarkName(firstSeq: number): string {
  return String(firstSeq).padStart(SEQ_DIGITS, '0') + HEAD_MARK_SUFFIX;
}

/** First seq named by a segment file name, or -1 when the name is not a well-formed segment name. */
export function parseSegmentName(name: string): number {
  const m = SEGMENT_NAME.exec(name);
  return m?.[1] === undefined ? -1 : Number(m[1]);
}

/** True for names that claim to be segments (end in .seg), well-formed or not: misnamed ones are fatal. */
export function looksLikeSegment(name: string): boolean {
  return name.endsWith(SEGMENT_SUFFIX);
}

export interface JournalFormat {
  segmentRecords: number;
}

export function checkSegmentRecords(n: number): void {
  if (!Number.isInteger(n) || n < MIN_SEGMENT_RECORDS || n > MAX_SEGMENT_RECORDS) {
    throw new RangeError(`"segmentRecords" expected an integer in [${MIN_SEGMENT_RECORDS}, ${MAX_SEGMENT_RECORDS}], got ${n}`);
  }
}

/** The format file: one line of JSON, so an operator can read it with `cat`. */
export function encodeFormat(format: JournalFormat): Uint8Array {
  checkSegmentRecords(format.segmentRecords);
  const text = JSON.stringify({ format: FORMAT_NAME, version: FORMAT_VERSION, segmentRecords: format.segmentRecords }) + '\n';
  return new TextEncoder().encode(text);
}

export function decodeFormat(bytes: Uint8Array): JournalFormat {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new JournalFormatError(`${FORMAT_FILE} is not JSON`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new JournalFormatError(`${FORMAT_FILE} is not an object`);
  const f = parsed as Record<string, unknown>;
  if (f.format !== FORMAT_NAME) throw new JournalFormatError(`${FORMAT_FILE} names format ${String(f.format)}`);
  if (f.version !== FORMAT_VERSION) throw new JournalFormatError(`${FORMAT_FILE} has version ${String(f.version)}, this build reads ${FORMAT_VERSION}`);
  const n = f.segmentRecords;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < MIN_SEGMENT_RECORDS || n > MAX_SEGMENT_RECORDS) {
    throw new JournalFormatError(`${FORMAT_FILE} has segmentRecords ${String(n)}`);
  }
  return { segmentRecords: n };
}

/**
 * Sidecar of a sealed segment, written once the segment holds segmentRecords records:
 *
 *   offset  size  field
 *   0       8     journal size at the segment's end (u64 LE) = (index + 1) · segmentRecords
 *   8       8     segment file length in bytes (u64 LE): a truncated sealed segment is caught by a stat
 *   16      32    head hash at the segment's end
 *   48      4     CRC-32 of bytes [0, 48)
 */
export const SIDECAR_BYTES = 52;

export interface Sidecar {
  size: number;
  segmentBytes: number;
  hash: Uint8Array;
}

export function encodeSidecar(s: Sidecar): Uint8Array {
  const out = new Uint8Array(SIDECAR_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, s.size % 2 ** 32, true);
  view.setUint32(4, Math.floor(s.size / 2 ** 32), true);
  view.setUint32(8, s.segmentBytes % 2 ** 32, true);
  view.setUint32(12, Math.floor(s.segmentBytes / 2 ** 32), true);
  out.set(s.hash, 16);
  view.setUint32(48, crc32(out.subarray(0, 48)), true);
  return out;
}

/** Returns the sidecar, or a string saying what is wrong with it. */
export function decodeSidecar(bytes: Uint8Array): Sidecar | string {
  if (bytes.length !== SIDECAR_BYTES) return `sidecar has ${bytes.length} bytes, expected ${SIDECAR_BYTES}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(48, true) !== crc32(bytes.subarray(0, 48))) return 'sidecar checksum mismatch';
  const size = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  const segmentBytes = view.getUint32(12, true) * 2 ** 32 + view.getUint32(8, true);
  return { size, segmentBytes, hash: new Uint8Array(bytes.subarray(16, 16 + HASH_BYTES)) };
}
