/**
 * @module The head mark: where the active segment ended at the last clean close (`<segment>.head`), so the next
 * open checks the records up to there with one CRC over their bytes instead of walking and hashing each again
 * (src/journal/README.md "Recovery", step 5).
 *
 * A mark stays true for as long as the segment's first `segmentBytes` bytes are the ones it names, and a
 * segment is only ever appended to: records written after the mark, or a torn tail cut after it, leave it true.
 * Whatever makes it false (a damaged byte below it, a segment shorter than it, a mark from another journal) is
 * caught by its checks, and recovery then walks the whole segment as it does without a mark. It is derived:
 * losing it costs one slower open, never a record.
 *
 *   offset  size  field
 *   0       8     journal size at the mark (u64 LE)
 *   8       8     active segment bytes at the mark (u64 LE)
 *   16      32    head hash at the mark
 *   48      32    head hash at the segment's start (the previous sidecar's)
 *   80      4     CRC-32 of the segment's bytes [0, segment bytes)
 *   84      4     CRC-32 of bytes [0, 84)
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { type FileIo, errnoOf, writeFileDurably } from '../durable/index.js';
import { HASH_BYTES } from './head-hash.js';
import { HEAD_MARK_SUFFIX, headMarkName, segmentName } from './layout.js';
import { FRAME_OVERHEAD, MAX_RECORD_PAYLOAD, frameLengthAt } from './record-codec.js';

const MARK_BYTES = 88;

export interface HeadMark {
  size: number;
  segmentBytes: number;
  hash: Uint8Array;
  startHash: Uint8Array;
  prefixCrc: number;
}

export function encodeHeadMark(m: HeadMark): Uint8Array {
  const out = new Uint8Array(MARK_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, m.size % 2 ** 32, true);
  view.setUint32(4, Math.floor(m.size / 2 ** 32), true);
  view.setUint32(8, m.segmentBytes % 2 ** 32, true);
  view.setUint32(12, Math.floor(m.segmentBytes / 2 ** 32), true);
  out.set(m.hash, 16);
  out.set(m.startHash, 48);
  view.setUint32(80, m.prefixCrc, true);
  view.setUint32(84, crc32(out.subarray(0, 84)), true);
  return out;
}

/** The mark, or undefined when its bytes are not a whole, intact mark. */
export function decodeHeadMark(bytes: Uint8Array): HeadMark | undefined {
  if (bytes.length !== MARK_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(84, true) !== crc32(bytes.subarray(0, 84))) return undefined;
  return {
    size: view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true),
    segmentBytes: view.getUint32(12, true) * 2 ** 32 + view.getUint32(8, true),
    hash: new Uint8Array(bytes.subarray(16, 16 + HASH_BYTES)),
    startHash: new Uint8Array(bytes.subarray(48, 48 + HASH_BYTES)),
    prefixCrc: view.getUint32(80, true),
  };
}

/** Reads the active segment's mark; undefined when there is none or it is damaged. */
export function readHeadMark(dir: string, firstSeq: number): HeadMark | undefined {
  try {
    return decodeHeadMark(fs.readFileSync(join(dir, headMarkName(firstSeq))));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** Where a walk of the active segment may start instead of at its first record. */
export interface ResumePoint {
  at: number;
  offsets: number[];
  hash: Uint8Array;
}

/**
 * Where the walk of the active segment `bytes` (first record `firstSeq`, chain hash `startHash` before it) may
 * resume, if `mark` still describes its first bytes; undefined otherwise (walk it all). The records below the
 * mark are located by their length fields alone: the CRC over their bytes says they are the ones the writer
 * wrote and walked before.
 */
export function resumePoint(bytes: Uint8Array, mark: HeadMark, firstSeq: number, segmentRecords: number, startHash: Uint8Array): ResumePoint | undefined {
  const records = mark.size - firstSeq;
  if (records <= 0 || records > segmentRecords || mark.segmentBytes > bytes.length) return undefined;
  if (Buffer.compare(mark.startHash, startHash) !== 0) return undefined;
  if (crc32(bytes.subarray(0, mark.segmentBytes)) !== mark.prefixCrc) return undefined;
  const offsets: number[] = [];
  let at = 0;
  while (at < mark.segmentBytes && offsets.length < records) {
    const length = frameLengthAt(bytes, at);
    if (length < FRAME_OVERHEAD || length > FRAME_OVERHEAD + MAX_RECORD_PAYLOAD) return undefined;
    offsets.push(at);
    at += length;
  }
  if (at !== mark.segmentBytes || offsets.length !== records) return undefined;
  return { at, offsets, hash: mark.hash };
}

/**
 * Writes the mark of a clean close: `size` records, the active segment (first record `firstSeq`) holding
 * `segmentBytes` durable bytes, read back here for their CRC. Marks of earlier segments are removed.
 */
export async function writeHeadMark(
  io: FileIo,
  dir: string,
  at: { firstSeq: number; size: number; segmentBytes: number; hash: Uint8Array; startHash: Uint8Array },
): Promise<void> {
  const fd = fs.openSync(join(dir, segmentName(at.firstSeq)), 'r');
  let prefix: Buffer;
  try {
    prefix = Buffer.alloc(at.segmentBytes);
    let done = 0;
    while (done < prefix.length) {
      const n = fs.readSync(fd, prefix, done, prefix.length - done, done);
      if (n === 0) throw new RangeError(`${segmentName(at.firstSeq)} is shorter than its ${at.segmentBytes} durable bytes`);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  const name = headMarkName(at.firstSeq);
  await writeFileDurably(io, dir, name, encodeHeadMark({ size: at.size, segmentBytes: at.segmentBytes, hash: at.hash, startHash: at.startHash, prefixCrc: crc32(prefix) }));
  for (const other of fs.readdirSync(dir)) {
    if (other.endsWith(HEAD_MARK_SUFFIX) && other !== name) fs.rmSync(join(dir, other), { force: true });
  }
}

