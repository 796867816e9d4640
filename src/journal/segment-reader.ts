/** @module Reading durable records from segment files: one record by location, byte ranges, and per-segment offset tables. */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { JournalCorruptError, RecordDecodeError, RecordNotFoundError } from './errors.js';
import { segmentName } from './layout.js';
import { COMMIT_RECORD_BYTES, FRAME_OVERHEAD, MAX_RECORD_PAYLOAD, decodeFrame, decodeRecordAt, frameLengthAt, readFrame } from './record-codec.js';
import type { JournalRecord, RecordLocation } from './types.js';

/**
 * Segment files kept open for reading by default. Proofs are asked for commitments of any age, so the index reads
 * segments in no order: with fewer descriptors than segments, most lookups of a large calendar closed one file and
 * opened another (about 4 µs, a sixth of a lookup). 512 covers 33 million records, a year of a commitment a second,
 * at the default 65,536 records a segment; the units in contrib/systemd allow 65,536 descriptors.
 */
export const OPEN_SEGMENTS = 512;
/** Offset tables of sealed segments kept in memory (8 bytes a record). */
const MAX_OFFSET_TABLES = 4;
/** Largest synchronous read made into the reused buffer (a block of a proof, a run of an anchor's leaves); longer ones get their own. */
const SCRATCH_BYTES = 64 * 1024;

function readAsync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((res, rej) => fs.read(fd, buf, offset, length, position, (err, n) => (err ? rej(err) : res(n))));
}

/** Reads exactly `length` bytes at `position`, or fewer only at end of file. */
export async function preadFull(fd: number, length: number, position: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = await readAsync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

export function preadFullSync(fd: number, length: number, position: number): Uint8Array {
  return preadFullSyncInto(fd, new Uint8Array(length), length, position);
}

/** As preadFullSync, into the start of `buf` (at least `length` bytes); the bytes read are a view of it. */
function preadFullSyncInto(fd: number, buf: Uint8Array, length: number, position: number): Uint8Array {
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * Reads only below the durable end that the journal reports, so a record being written is never seen.
 * Owner: the Journal; not safe to use after `close()`.
 */
interface OpenSegment {
  fd: number;
  /** Asynchronous reads in flight on this descriptor: it is closed only once they are done. */
  busy: number;
  evicted: boolean;
}

export class SegmentReader {
  readonly #dir: string;
  readonly #segmentRecords: number;
  /** segment index → read-only descriptor, in least-recently-used order */
  readonly #open = new Map<number, OpenSegment>();
  /** segment index → start offsets of its records plus the end offset (sealed segments only) */
  readonly #tables = new Map<number, Float64Array>();
  /** Reused by the synchronous reads, whose decode copies every field it returns (#readScratch). */
  #scratch = new Uint8Array(0);

  readonly #maxOpen: number;

  constructor(dir: string, segmentRecords: number, maxOpen = OPEN_SEGMENTS) {
    if (!Number.isSafeInteger(maxOpen) || maxOpen < 1) throw new RangeError(`"maxOpen" expected a positive integer, got ${maxOpen}`);
    this.#dir = dir;
    this.#segmentRecords = segmentRecords;
    this.#maxOpen = maxOpen;
  }

  #get(segment: number): OpenSegment {
    const cached = this.#open.get(segment);
    if (cached !== undefined) {
      this.#open.delete(segment);
      this.#open.set(segment, cached);
      return cached;
    }
    const entry: OpenSegment = { fd: fs.openSync(join(this.#dir, segmentName(segment * this.#segmentRecords)), 'r'), busy: 0, evicted: false };
    this.#open.set(segment, entry);
    if (this.#open.size > this.#maxOpen) {
      const [oldest, old] = this.#open.entries().next().value as [number, OpenSegment];
      this.#open.delete(oldest);
      this.#evict(old);
    }
    return entry;
  }

  #evict(entry: OpenSegment): void {
    entry.evicted = true;
    // a descriptor closed under an async read could be reused for another file before the read runs
    if (entry.busy === 0) fs.closeSync(entry.fd);
  }

  /** Runs an async read on a segment's descriptor, keeping it open until the read is done. */
  async #using<T>(segment: number, read: (fd: number) => Promise<T>): Promise<T> {
    const entry = this.#get(segment);
    entry.busy++;
    try {
      return await read(entry.fd);
    } finally {
      entry.busy--;
      if (entry.evicted && entry.busy === 0) fs.closeSync(entry.fd);
    }
  }

  /**
   * Bytes [position, position + length) of `fd` (fewer only at end of file) for a synchronous decode that copies
   * what it keeps: read into a buffer this reader reuses up to SCRATCH_BYTES, so a proof's read of its block
   * allocates no buffer of its own (a backing store and its sweep, for 244 bytes, cost more than the pread).
   */
  #readScratch(fd: number, length: number, position: number): Uint8Array {
    if (length > SCRATCH_BYTES) return preadFullSync(fd, length, position);
    if (this.#scratch.length < length) this.#scratch = new Uint8Array(Math.min(SCRATCH_BYTES, Math.max(length, 2 * this.#scratch.length)));
    return preadFullSyncInto(fd, this.#scratch, length, position);
  }

  /** One pread of a commit record's size; a second one only for a longer record. */
  readSync(loc: RecordLocation): JournalRecord {
    const fd = this.#get(Math.floor(loc.seq / this.#segmentRecords)).fd;
    let bytes = this.#readScratch(fd, COMMIT_RECORD_BYTES, loc.offset);
    const length = frameLengthAt(bytes, 0);
    if (length > bytes.length && length <= MAX_RECORD_PAYLOAD + FRAME_OVERHEAD) bytes = this.#readScratch(fd, length, loc.offset);
    return this.#decodeAt(bytes, loc);
  }

  /**
   * Every record from `first` through `last` (same segment, `last` a commit record) with one pread: for
   * reading runs of commitments (anchor trees) without a syscall per record.
   */
  readSpanSync(first: RecordLocation, last: RecordLocation): JournalRecord[] {
    const segment = Math.floor(first.seq / this.#segmentRecords);
    if (Math.floor(last.seq / this.#segmentRecords) !== segment || last.offset < first.offset) {
      throw new RangeError(`records ${first.seq}..${last.seq} are not one span of a segment`);
    }
    const fd = this.#get(segment).fd;
    const bytes = this.#readScratch(fd, last.offset + COMMIT_RECORD_BYTES - first.offset, first.offset);
    const out: JournalRecord[] = [];
    for (let at = 0; at <= last.offset - first.offset; ) {
      let decoded: { record: JournalRecord; length: number };
      try {
        decoded = decodeRecordAt(bytes, at);
      } catch (err) {
        if (err instanceof RecordDecodeError) throw new RecordNotFoundError(first.seq + out.length, `no record at offset ${first.offset + at}: ${err.message}`);
        throw err;
      }
      out.push(decoded.record);
      at += decoded.length;
    }
    if (out.at(-1)?.seq !== last.seq) throw new RecordNotFoundError(last.seq, `offset ${last.offset} does not hold record ${last.seq}`);
    return out;
  }

  async read(loc: RecordLocation): Promise<JournalRecord> {
    const bytes = await this.#using(Math.floor(loc.seq / this.#segmentRecords), async (fd) => {
      const head = await preadFull(fd, COMMIT_RECORD_BYTES, loc.offset);
      const length = frameLengthAt(head, 0);
      return length > head.length && length <= MAX_RECORD_PAYLOAD + FRAME_OVERHEAD ? preadFull(fd, length, loc.offset) : head;
    });
    return this.#decodeAt(bytes, loc);
  }

  #decodeAt(bytes: Uint8Array, loc: RecordLocation): JournalRecord {
    let record: JournalRecord;
    try {
      record = decodeFrame(readFrame(bytes, 0));
    } catch (err) {
      if (err instanceof RecordDecodeError) throw new RecordNotFoundError(loc.seq, `no record at offset ${loc.offset}: ${err.message}`);
      throw err;
    }
    if (record.seq !== loc.seq) throw new RecordNotFoundError(loc.seq, `offset ${loc.offset} holds record ${record.seq}`);
    return record;
  }

  /** Raw bytes [from, to) of a segment; must lie below its durable end. */
  async readBytes(segment: number, from: number, to: number): Promise<Uint8Array> {
    const bytes = await this.#using(segment, (fd) => preadFull(fd, to - from, from));
    if (bytes.length !== to - from) {
      throw new JournalCorruptError(`${segmentName(segment * this.#segmentRecords)} ends at ${from + bytes.length}, expected ${to}`);
    }
    return bytes;
  }

  /**
   * Start offsets of every record of a sealed segment (plus its end), built by one read of the file and a walk
   * over its frames, each checked: the table is trusted by readRange afterwards.
   */
  async offsetTable(segment: number): Promise<Float64Array> {
    const cached = this.#tables.get(segment);
    if (cached) {
      this.#tables.delete(segment);
      this.#tables.set(segment, cached);
      return cached;
    }
    const name = segmentName(segment * this.#segmentRecords);
    const bytes = await fs.promises.readFile(join(this.#dir, name));
    const table = new Float64Array(this.#segmentRecords + 1);
    let at = 0;
    for (let i = 0; i < this.#segmentRecords; i++) {
      table[i] = at;
      try {
        const frame = readFrame(bytes, at);
        if (frame.seq !== segment * this.#segmentRecords + i) throw new JournalCorruptError(`${name}: record ${i} has seq ${frame.seq}`);
        at += frame.length;
      } catch (err) {
        if (err instanceof RecordDecodeError) throw new JournalCorruptError(`${name}: record ${i} at ${at}: ${err.message}`, { cause: err });
        throw err;
      }
    }
    table[this.#segmentRecords] = at;
    this.#tables.set(segment, table);
    if (this.#tables.size > MAX_OFFSET_TABLES) this.#tables.delete(this.#tables.keys().next().value as number);
    return table;
  }

  close(): void {
    for (const entry of this.#open.values()) this.#evict(entry);
    this.#open.clear();
    this.#tables.clear();
  }
}
