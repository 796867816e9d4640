/** @module Sequential reading of durable records with large buffered reads (reindex, mirrors catching up). */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { JournalCorruptError, RecordDecodeError } from './errors.js';
import { segmentName } from './layout.js';
import { FRAME_HEADER_BYTES, FRAME_OVERHEAD, MAX_RECORD_PAYLOAD, decodeFrame, frameLengthAt, readFrame } from './record-codec.js';
import type { JournalRecord, RecordLocation } from './types.js';

/** One read per MiB: about 17,000 commit records a syscall. */
const CHUNK_BYTES = 1 << 20;

export interface ScannedRecord {
  record: JournalRecord;
  loc: RecordLocation;
  /** The record's bytes as stored: a view into a read buffer, so copy it to keep it for long. */
  raw: Uint8Array;
}

/** What the scanner needs to know about the live journal, asked again before every read. */
export interface ScanBounds {
  /** Records durable now (the journal's size). */
  size(): number;
  /** Bytes of a segment that are durable now: below this they never change. */
  durableBytes(segment: number): number;
}

function readAsync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((res, rej) => fs.read(fd, buf, offset, length, position, (err, n) => (err ? rej(err) : res(n))));
}

function openAsync(path: string): Promise<number> {
  return new Promise((res, rej) => fs.open(path, 'r', (err, fd) => (err ? rej(err) : res(fd))));
}

/**
 * Yields records from `fromSeq` up to the journal's size, following it while it grows during the scan. Each
 * frame is checked (CRC, seq continuity); a bad one among durable records is a JournalCorruptError.
 * `start`, when known, is the location of `fromSeq`; otherwise the walk starts at its segment's first record.
 */
export async function* scanRecords(
  dir: string,
  segmentRecords: number,
  fromSeq: number,
  bounds: ScanBounds,
  start?: RecordLocation,
): AsyncGenerator<ScannedRecord> {
  let segment = Math.floor(fromSeq / segmentRecords);
  let next = start ? start.seq : segment * segmentRecords;
  let position = start ? start.offset : 0;
  while (next < bounds.size()) {
    const name = segmentName(segment * segmentRecords);
    const fd = await openAsync(join(dir, name));
    try {
      let buf = new Uint8Array(0);
      let bufPos = position;
      let at = 0;
      const segmentEnd = (segment + 1) * segmentRecords;
      while (next < segmentEnd && next < bounds.size()) {
        const announced = frameLengthAt(buf, at);
        // an absurd length is left for readFrame to reject without reading it
        if (announced < 0 || (announced <= FRAME_OVERHEAD + MAX_RECORD_PAYLOAD && announced > buf.length - at)) {
          const need = Math.max(announced, FRAME_HEADER_BYTES);
          // only bytes below the durable end taken before the read are trusted: above it a write may be in flight
          const trusted = bounds.durableBytes(segment) - (bufPos + at);
          const keep = buf.subarray(at);
          const size = Math.max(Math.min(Math.max(CHUNK_BYTES, need), trusted), keep.length);
          const fresh = Buffer.allocUnsafe(size);
          fresh.set(keep, 0);
          let filled = keep.length;
          while (filled < size) {
            const n = await readAsync(fd, fresh, filled, size - filled, bufPos + at + filled);
            if (n === 0) break;
            filled += n;
          }
          bufPos += at;
          buf = fresh.subarray(0, filled);
          at = 0;
        }
        let record: JournalRecord;
        let length: number;
        try {
          const frame = readFrame(buf, at);
          if (frame.seq !== next) throw new JournalCorruptError(`${name}: record at ${bufPos + at} has seq ${frame.seq}, expected ${next}`);
          record = decodeFrame(frame);
          length = frame.length;
        } catch (err) {
          if (err instanceof RecordDecodeError) {
            throw new JournalCorruptError(`${name}: durable record ${next} at ${bufPos + at}: ${err.message}`, { cause: err });
          }
          throw err;
        }
        if (next >= fromSeq) yield { record, loc: { seq: next, offset: bufPos + at }, raw: buf.subarray(at, at + length) };
        at += length;
        next++;
      }
    } finally {
      fs.closeSync(fd);
    }
    segment++;
    position = 0;
  }
}
