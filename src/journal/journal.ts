/** @module The Journal: the calendar's append-only source of truth, durable on acknowledge (DESIGN §2, src/journal/README.md). */
import * as fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { lockDirectory } from './dir-lock.js';
import { type FileIo, fsyncDir, makeIo } from '../durable/index.js';
import { JournalClosedError, JournalCorruptError, RecordNotFoundError } from './errors.js';
import { GroupCommitWriter, type DurableRecords } from './group-commit.js';
import { emptyHeadHash } from './head-hash.js';
import { decodeSidecar, sidecarName } from './layout.js';
import { type Frame, encodePayload, readFrame, decodeFrame } from './record-codec.js';
import { recoverJournal } from './recovery.js';
import { type ScannedRecord, scanRecords } from './scan.js';
import { OPEN_SEGMENTS, SegmentReader } from './segment-reader.js';
import type { JournalEntry, JournalHead, JournalRecord, RecordLocation } from './types.js';
import type { Log, LogFields, LogLevel } from '../log/log.js';

export interface OpenOptions {
  dir: string;
  /** Records per segment; only used when creating the journal (stored in its format file), checked otherwise. */
  segmentRecords?: number;
  /** Where recovery and write failures are reported; by default warn and error lines go to stderr as JSON. */
  log?: Log;
  /**
   * The caller (the index) already saw records up to and including this one durable. Recovery then refuses to
   * cut it or anything before it: losing an acknowledged record is corruption, not a torn tail.
   */
  verifiedUpTo?: RecordLocation;
  /** Who verified `verifiedUpTo` (named in the error when the journal lost it), e.g. "the index". */
  verifiedBy?: string;
  /** File operations of the write and recovery paths (fault injection in tests); defaults to node:fs. */
  io?: Partial<FileIo>;
  /** Segment files kept open for reading (least recently used closed first); default OPEN_SEGMENTS. */
  openSegments?: number;
}

export type AppendListener = (records: Array<{ record: JournalRecord; loc: RecordLocation }>) => void;

/** The default for a library user who passes no log: warnings and errors on stderr. */
function stderrLog(level: LogLevel, msg: string, fields?: LogFields): void {
  if (level === 'warn' || level === 'error') process.stderr.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
}

/**
 * Contract (style rule 8):
 * - `append`/`appendRaw` resolve only when their records are written and fdatasynced; safe to call
 *   concurrently (calls are grouped, in call order, into one write + fsync); not idempotent.
 * - reads see durable records only; "not found" is RecordNotFoundError.
 * - listeners run after each durable flush, before the appends of that flush resolve.
 * - one Journal per directory at a time (JournalLockedError otherwise).
 */
export class Journal {
  readonly dir: string;
  readonly segmentRecords: number;
  readonly #writer: GroupCommitWriter;
  readonly #reader: SegmentReader;
  readonly #listeners = new Set<AppendListener>();
  readonly #log: Log;
  readonly #unlock: () => void;
  #closed = false;

  private constructor(dir: string, segmentRecords: number, writer: GroupCommitWriter, log: Log, unlock: () => void, openSegments: number) {
    this.dir = dir;
    this.segmentRecords = segmentRecords;
    this.#writer = writer;
    this.#reader = new SegmentReader(dir, segmentRecords, openSegments);
    this.#log = log;
    this.#unlock = unlock;
  }

  /** Creates the directory and format file on first use, then runs recovery (recovery.ts). */
  static async open(opts: OpenOptions): Promise<Journal> {
    const io = makeIo(opts.io);
    const log = opts.log ?? stderrLog;
    const dir = resolve(opts.dir);
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      await fsyncDir(io, dirname(dir));
    }
    const unlock = lockDirectory(dir);
    try {
      const recoverOpts: Parameters<typeof recoverJournal>[0] = { dir, io, log };
      if (opts.segmentRecords !== undefined) recoverOpts.segmentRecords = opts.segmentRecords;
      if (opts.verifiedUpTo !== undefined) recoverOpts.verifiedUpTo = opts.verifiedUpTo;
      if (opts.verifiedBy !== undefined) recoverOpts.verifiedBy = opts.verifiedBy;
      const state = await recoverJournal(recoverOpts);
      // the writer is created first; its flushes can only start after `emit` points at the journal
      let emit: (records: DurableRecords) => void = () => undefined;
      const writer = await GroupCommitWriter.start(dir, io, log, state, (records) => emit(records));
      const journal = new Journal(dir, state.segmentRecords, writer, log, unlock, opts.openSegments ?? OPEN_SEGMENTS);
      emit = (records) => journal.#emit(records);
      log('info', 'journal opened', { dir, records: state.size, segments: state.segments });
      return journal;
    } catch (err) {
      unlock();
      throw err;
    }
  }

  /** The durable end: number of records and the running hash over them. */
  head(): JournalHead {
    return { size: this.#writer.size, hash: new Uint8Array(this.#writer.hash) };
  }

  /** Set once an fsync failed: every append is then rejected with it until a restart. */
  get failure(): Error | undefined {
    return this.#writer.failed;
  }

  append(entries: ReadonlyArray<JournalEntry>): Promise<RecordLocation[]> {
    if (this.#closed) return Promise.reject(new JournalClosedError());
    let encoded: Array<{ type: JournalEntry['type']; payload: Uint8Array }>;
    try {
      encoded = entries.map((e) => ({ type: e.type, payload: encodePayload(e) }));
    } catch (err) {
      return Promise.reject(err);
    }
    if (encoded.length === 0) return Promise.resolve([]);
    return new Promise((res, rej) => this.#writer.submit({ entries: encoded, resolve: res, reject: rej }));
  }

  /**
   * Appends whole records exactly as stored upstream (mirrors). Every frame, CRC, payload and the seq
   * continuity inside `bytes` are checked before anything is written; the first seq must be the journal's
   * next seq when the batch is written (JournalSequenceError otherwise). Same durability as `append`.
   */
  appendRaw(bytes: Uint8Array): Promise<RecordLocation[]> {
    if (this.#closed) return Promise.reject(new JournalClosedError());
    const frames: Array<{ frame: Frame; raw: Uint8Array }> = [];
    try {
      const copy = new Uint8Array(bytes);
      for (let at = 0; at < copy.length; ) {
        const frame = readFrame(copy, at);
        decodeFrame(frame);
        const prev = frames.at(-1);
        if (prev && frame.seq !== prev.frame.seq + 1) {
          throw new RangeError(`"bytes" expected consecutive records, got seq ${frame.seq} after ${prev.frame.seq}`);
        }
        frames.push({ frame, raw: copy.subarray(at, at + frame.length) });
        at += frame.length;
      }
    } catch (err) {
      return Promise.reject(err);
    }
    if (frames.length === 0) return Promise.resolve([]);
    return new Promise((res, rej) => this.#writer.submit({ frames, resolve: res, reject: rej }));
  }

  #checkReadable(seq: number): void {
    if (this.#closed) throw new JournalClosedError();
    if (!Number.isSafeInteger(seq) || seq < 0 || seq >= this.#writer.size) {
      throw new RecordNotFoundError(seq, `the journal holds ${this.#writer.size} records`);
    }
  }

  /** One record by location (one pread for a commit record). */
  readSync(loc: RecordLocation): JournalRecord {
    this.#checkReadable(loc.seq);
    return this.#reader.readSync(loc);
  }

  /** Every record from `first` through the commit record `last` of the same segment, in one pread. */
  readSpanSync(first: RecordLocation, last: RecordLocation): JournalRecord[] {
    this.#checkReadable(first.seq);
    this.#checkReadable(last.seq);
    return this.#reader.readSpanSync(first, last);
  }

  async read(loc: RecordLocation): Promise<JournalRecord> {
    this.#checkReadable(loc.seq);
    return this.#reader.read(loc);
  }

  /** Where record `seq` is stored. */
  async locate(seq: number): Promise<RecordLocation> {
    this.#checkReadable(seq);
    const segment = Math.floor(seq / this.segmentRecords);
    const i = seq - segment * this.segmentRecords;
    if (segment === this.#writer.activeSegment) return { seq, offset: this.#writer.activeOffsets[i] as number };
    return { seq, offset: (await this.#reader.offsetTable(segment))[i] as number };
  }

  /** Raw bytes of records [fromSeq, fromSeq + count) as stored: what a mirror appends with appendRaw. */
  async readRange(fromSeq: number, count: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`"count" expected a non-negative integer, got ${count}`);
    if (count === 0) {
      if (this.#closed) throw new JournalClosedError();
      return new Uint8Array(0);
    }
    this.#checkReadable(fromSeq);
    this.#checkReadable(fromSeq + count - 1);
    const R = this.segmentRecords;
    const parts: Uint8Array[] = [];
    for (let seq = fromSeq; seq < fromSeq + count; ) {
      const segment = Math.floor(seq / R);
      const last = Math.min(fromSeq + count, (segment + 1) * R);
      let from: number;
      let to: number;
      if (segment === this.#writer.activeSegment) {
        const offsets = this.#writer.activeOffsets;
        from = offsets[seq - segment * R] as number;
        to = last - segment * R < offsets.length ? (offsets[last - segment * R] as number) : this.#writer.durableBytes(segment);
      } else {
        const table = await this.#reader.offsetTable(segment);
        from = table[seq - segment * R] as number;
        to = table[last - segment * R] as number;
      }
      parts.push(await this.#reader.readBytes(segment, from, to));
      seq = last;
    }
    return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
  }

  /**
   * Every durable record from `fromSeq`, in order, following appends made during the scan; 1 MiB reads.
   * Breaking out of the loop releases the file.
   */
  scan(fromSeq = 0): AsyncIterable<ScannedRecord> {
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 0) throw new RangeError(`"fromSeq" expected a non-negative integer, got ${fromSeq}`);
    const writer = this.#writer;
    const R = this.segmentRecords;
    const segment = Math.floor(fromSeq / R);
    const offset = segment === writer.activeSegment ? writer.activeOffsets[fromSeq - segment * R] : undefined;
    const start = offset === undefined ? undefined : { seq: fromSeq, offset };
    const bounds = { size: () => (this.#closed ? 0 : writer.size), durableBytes: (s: number) => writer.durableBytes(s) };
    return scanRecords(this.dir, R, fromSeq, bounds, start);
  }

  /** Calls `listener` after every durable flush with that flush's records; returns the unsubscribe function. */
  onAppend(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(records: DurableRecords): void {
    for (const listener of this.#listeners) {
      try {
        listener(records);
      } catch (err) {
        this.#log('error', 'journal: an append listener threw', { error: String(err), firstSeq: records[0]?.loc.seq });
      }
    }
  }

  /** Head hash when the journal held `size` records; `size` must be 0, a segment boundary, or the current size. */
  hashAt(size: number): Uint8Array {
    if (this.#closed) throw new JournalClosedError();
    if (size === this.#writer.size) return new Uint8Array(this.#writer.hash);
    if (size === 0) return emptyHeadHash();
    if (!Number.isSafeInteger(size) || size < 0 || size > this.#writer.size || size % this.segmentRecords !== 0) {
      throw new RangeError(`"size" expected 0, a multiple of ${this.segmentRecords} up to ${this.#writer.size}, or the head size; got ${size}`);
    }
    const name = sidecarName(size - this.segmentRecords);
    const sidecar = decodeSidecar(fs.readFileSync(join(this.dir, name)));
    if (typeof sidecar === 'string' || sidecar.size !== size) throw new JournalCorruptError(`${name}: ${typeof sidecar === 'string' ? sidecar : `ends at ${sidecar.size}`}`);
    return sidecar.hash;
  }

  /** Waits for queued appends to settle, then releases files and the directory lock. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#writer.close();
    } finally {
      this.#reader.close();
      this.#listeners.clear();
      this.#unlock();
    }
  }
}
