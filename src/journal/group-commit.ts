/** @module Group commit: queued appends become one write and one fdatasync per segment touched, acknowledged only once durable. */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { DurableWriteError, type FileIo, errnoOf, fsyncDir, writeAll, writeFileDurably } from '../durable/index.js';
import { FatalJournalError, JournalSequenceError, JournalWriteError } from './errors.js';
import { HeadHasher } from './head-hash.js';
import { encodeSidecar, segmentName, sidecarName } from './layout.js';
import { writeHeadMark } from './head-mark.js';
import { FRAME_OVERHEAD, type Frame, decodeFrame, encodeFrameInto } from './record-codec.js';
import type { RecoveredJournal } from './recovery.js';
import type { JournalRecord, RecordLocation, RecordType } from './types.js';
import type { Log } from '../log/log.js';

/** One call to append or appendRaw, waiting in the queue. */
export interface PendingAppend {
  /** append: payloads encoded and validated when the caller called. */
  entries?: ReadonlyArray<{ type: RecordType; payload: Uint8Array }>;
  /** appendRaw: checked frames with consecutive seqs, and their bytes as received. */
  frames?: ReadonlyArray<{ frame: Frame; raw: Uint8Array }>;
  resolve(locs: RecordLocation[]): void;
  reject(err: unknown): void;
}

export type DurableRecords = Array<{ record: JournalRecord; loc: RecordLocation }>;

interface Planned {
  seq: number;
  type: RecordType;
  payload: Uint8Array;
  /** appendRaw: the frame as received; append: undefined until #writeGroup encodes it into the group buffer. */
  raw: Uint8Array | undefined;
  offset: number;
  /** True for payloads the journal encoded itself (a private copy, safe to hand to listeners as is). */
  own: boolean;
}

/**
 * The single writer of a journal directory. Durable state (size, hash, active segment, its length and record
 * offsets) changes only in #writeGroup after an fdatasync succeeded, so readers that look at it never see a
 * record that is not durable. Owner of all fields: the flush loop (#run), one batch at a time.
 */
export class GroupCommitWriter {
  readonly #dir: string;
  readonly #segmentRecords: number;
  readonly #io: FileIo;
  readonly #log: Log;
  readonly #onDurable: (records: DurableRecords) => void;
  #size: number;
  readonly #hasher: HeadHasher;
  /** Segment files that exist; the last is the active one. */
  #segments: number;
  #activeFd: number | undefined;
  #activeBytes: number;
  #activeOffsets: number[];
  /** Head hash before the active segment's first record. */
  #activeStartHash: Uint8Array;
  /** The active segment is full but its sidecar could not be written: write it before creating the next. */
  #sealPending = false;
  #queue: PendingAppend[] = [];
  #running: Promise<void> | undefined;
  #failed: FatalJournalError | undefined;

  private constructor(dir: string, io: FileIo, log: Log, state: RecoveredJournal, fd: number | undefined, onDurable: (r: DurableRecords) => void) {
    this.#dir = dir;
    this.#io = io;
    this.#log = log;
    this.#onDurable = onDurable;
    this.#segmentRecords = state.segmentRecords;
    this.#size = state.size;
    this.#hasher = new HeadHasher(state.hash);
    this.#segments = state.segments;
    this.#activeFd = fd;
    this.#activeBytes = state.activeBytes;
    this.#activeOffsets = state.activeOffsets;
    this.#activeStartHash = state.activeStartHash;
  }

  static async start(dir: string, io: FileIo, log: Log, state: RecoveredJournal, onDurable: (r: DurableRecords) => void): Promise<GroupCommitWriter> {
    const fd = state.segments > 0 ? await io.open(join(dir, segmentName((state.segments - 1) * state.segmentRecords)), 'r+') : undefined;
    return new GroupCommitWriter(dir, io, log, state, fd, onDurable);
  }

  get size(): number {
    return this.#size;
  }

  get hash(): Uint8Array {
    return this.#hasher.hash;
  }

  get failed(): FatalJournalError | undefined {
    return this.#failed;
  }

  /** Index of the active segment, -1 before the first record. */
  get activeSegment(): number {
    return this.#segments - 1;
  }

  /** Start offsets of the active segment's durable records (do not modify). */
  get activeOffsets(): readonly number[] {
    return this.#activeOffsets;
  }

  /** Durable bytes of a segment: all of a sealed one, the durable prefix of the active one. */
  durableBytes(segment: number): number {
    if (segment < this.#segments - 1) return Number.POSITIVE_INFINITY;
    return segment === this.#segments - 1 ? this.#activeBytes : 0;
  }

  /** Queues an append. The flush starts in a microtask, so appends made in the same tick share it. */
  submit(item: PendingAppend): void {
    if (this.#failed) {
      item.reject(this.#failed);
      return;
    }
    this.#queue.push(item);
    this.#running ??= Promise.resolve().then(() => this.#run());
  }

  /** Resolves once every queued append has been settled. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Settles every queued append, leaves the head mark of a clean close (head-mark.ts) and closes the active segment. */
  async close(): Promise<void> {
    await this.drain();
    await this.#markHead();
    if (this.#activeFd !== undefined) {
      const fd = this.#activeFd;
      this.#activeFd = undefined;
      await this.#io.close(fd);
    }
  }

  /** Only after a clean run, and only for a segment that is not full (a full one has its sidecar). Never fails the close. */
  async #markHead(): Promise<void> {
    const records = this.#activeOffsets.length;
    if (this.#failed || this.#activeFd === undefined || records === 0 || records === this.#segmentRecords) return;
    const at = { firstSeq: (this.#segments - 1) * this.#segmentRecords, size: this.#size, segmentBytes: this.#activeBytes, hash: this.#hasher.hash, startHash: this.#activeStartHash };
    try {
      await writeHeadMark(this.#io, this.#dir, at);
    } catch (err) {
      this.#log('warn', 'journal: could not leave the mark of a clean close; the next open walks the whole active segment', { error: String(err) });
    }
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        if (this.#failed) {
          for (const item of batch) item.reject(this.#failed);
          continue;
        }
        try {
          await this.#writeBatch(batch);
        } catch (err) {
          // #writeBatch routes every write error to its callers; reaching here is a bug, never a silent hang
          const fatal = this.#fail('unexpected error in the flush loop', err);
          for (const item of batch) item.reject(fatal);
        }
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #writeBatch(batch: PendingAppend[]): Promise<void> {
    const planned: Planned[] = [];
    const owners: Array<{ item: PendingAppend; first: number; count: number }> = [];
    let next = this.#size;
    for (const item of batch) {
      const first = next;
      if (item.frames) {
        const got = item.frames[0]?.frame.seq ?? next;
        if (got !== next) {
          item.reject(new JournalSequenceError(next, got));
          continue;
        }
        for (const { frame, raw } of item.frames) planned.push({ seq: next++, type: frame.type, payload: frame.payload, raw, offset: -1, own: false });
      } else {
        for (const e of item.entries ?? []) {
          planned.push({ seq: next++, type: e.type, payload: e.payload, raw: undefined, offset: -1, own: true });
        }
      }
      owners.push({ item, first, count: next - first });
    }

    let error: unknown;
    for (let i = 0; i < planned.length && error === undefined; ) {
      const segment = Math.floor((planned[i] as Planned).seq / this.#segmentRecords);
      let j = i;
      while (j < planned.length && Math.floor((planned[j] as Planned).seq / this.#segmentRecords) === segment) j++;
      try {
        await this.#writeGroup(segment, planned.slice(i, j));
      } catch (err) {
        error = err instanceof JournalWriteError || err instanceof FatalJournalError ? err : this.#fail('unexpected error while writing', err);
      }
      i = j;
    }

    const durable = planned.filter((p) => p.seq < this.#size);
    if (durable.length > 0) {
      const records: DurableRecords = durable.map((p) => ({
        record:
          p.own && p.type === 'commit'
            ? { seq: p.seq, type: 'commit', commitment: p.payload }
            : decodeFrame({ type: p.type, seq: p.seq, payload: p.payload, length: FRAME_OVERHEAD + p.payload.length }),
        loc: { seq: p.seq, offset: p.offset },
      }));
      this.#onDurable(records);
    }
    const base = planned[0]?.seq ?? 0;
    for (const { item, first, count } of owners) {
      if (first + count <= this.#size) {
        item.resolve(planned.slice(first - base, first - base + count).map((p) => ({ seq: p.seq, offset: p.offset })));
      } else {
        item.reject(error ?? this.#fail('a record was neither written nor failed', undefined));
      }
    }
  }

  /**
   * The durable append of one segment's share of a batch:
   *
   *   1. (new segment) seal the previous one if still pending, open(O_CREAT|O_EXCL), fsync(dir)
   *   2. pwrite(all records, at the durable end)      failure → ftruncate back, JournalWriteError
   *   3. fdatasync(segment)                           failure → failed state, FatalJournalError
   *   4. advance size, hash, offsets                  only now can readers and listeners see them
   *   5. (segment full) write the sidecar durably     failure → sealed again before the next segment
   */
  async #writeGroup(segment: number, records: Planned[]): Promise<void> {
    if (segment !== this.#segments - 1) await this.#startSegment(segment);
    const fd = this.#activeFd as number;
    const name = segmentName(segment * this.#segmentRecords);
    const position = this.#activeBytes;
    const bytes = encodeGroup(records);
    try {
      await writeAll(this.#io, fd, bytes, position);
    } catch (cause) {
      try {
        await this.#io.ftruncate(fd, position);
      } catch (truncateError) {
        throw this.#fail(`ftruncate of ${name} after a failed write`, truncateError);
      }
      throw new JournalWriteError(`${errnoOf(cause) ?? String(cause)} writing ${records.length} records to ${name}`, { cause });
    }
    try {
      await this.#io.fdatasync(fd);
    } catch (cause) {
      throw this.#fail(`fdatasync of ${name}`, cause);
    }
    let at = 0;
    for (const r of records) {
      const length = FRAME_OVERHEAD + r.payload.length;
      r.offset = position + at;
      this.#activeOffsets.push(position + at);
      this.#hasher.add(bytes.subarray(at, at + length));
      at += length;
    }
    this.#activeBytes = position + at;
    this.#size += records.length;
    if (this.#activeOffsets.length === this.#segmentRecords) await this.#seal(false);
  }

  /** Writes the active segment's sidecar. After a commit its failure only defers sealing (`mustSucceed` false). */
  async #seal(mustSucceed: boolean): Promise<void> {
    const first = (this.#segments - 1) * this.#segmentRecords;
    const sidecar = encodeSidecar({ size: this.#size, segmentBytes: this.#activeBytes, hash: this.#hasher.hash });
    try {
      await writeFileDurably(this.#io, this.#dir, sidecarName(first), sidecar);
      this.#sealPending = false;
    } catch (err) {
      this.#sealPending = true;
      if (err instanceof DurableWriteError && err.syncFailed) {
        const fatal = this.#fail(`sealing ${segmentName(first)}`, err);
        if (mustSucceed) throw fatal;
        return;
      }
      this.#log('error', 'journal: could not write a sidecar; will retry before the next segment', { segment: segmentName(first), error: String(err) });
      if (mustSucceed) throw new JournalWriteError(`sealing ${segmentName(first)}: ${String(err)}`, { cause: err });
    }
  }

  async #startSegment(segment: number): Promise<void> {
    if (segment !== this.#segments || this.#size !== segment * this.#segmentRecords) {
      throw this.#fail(`segment ${segment} requested with ${this.#segments} segments and ${this.#size} records`, undefined);
    }
    if (this.#sealPending) await this.#seal(true);
    const name = segmentName(segment * this.#segmentRecords);
    const path = join(this.#dir, name);
    let fd: number;
    try {
      fd = await this.#io.open(path, 'wx+');
    } catch (cause) {
      if (errnoOf(cause) !== 'EEXIST') throw new JournalWriteError(`${errnoOf(cause) ?? String(cause)} creating ${name}`, { cause });
      // an earlier attempt created the file and then reported failure: empty, it holds nothing and is reused
      if (fs.statSync(path).size !== 0) throw this.#fail(`${name} appeared with data while the journal was open`, cause);
      fd = await this.#io.open(path, 'r+');
    }
    try {
      await fsyncDir(this.#io, this.#dir);
    } catch (cause) {
      await this.#io.close(fd).catch(() => undefined);
      throw this.#fail(`fsync of the directory after creating ${name}`, cause);
    }
    const old = this.#activeFd;
    this.#activeFd = fd;
    this.#segments++;
    this.#activeBytes = 0;
    this.#activeOffsets = [];
    this.#activeStartHash = this.#hasher.hash;
    if (old !== undefined) await this.#io.close(old).catch((err: unknown) => this.#log('warn', 'journal: close of a sealed segment failed', { error: String(err) }));
  }

  /** Enters the failed state (once) and returns the error every later append gets. */
  #fail(what: string, cause: unknown): FatalJournalError {
    if (!this.#failed) {
      this.#failed = new FatalJournalError(`${what}: ${errnoOf(cause) ?? String(cause)}`, { cause });
      this.#log('error', 'journal: entering the failed state; a restart runs recovery', { error: this.#failed.message });
    }
    return this.#failed;
  }
}

/** One buffer holding a group's frames, so a flush is one allocation and one write whatever its size. */
function encodeGroup(records: Planned[]): Uint8Array {
  let total = 0;
  for (const r of records) total += FRAME_OVERHEAD + r.payload.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const r of records) {
    if (r.raw) out.set(r.raw, at);
    else encodeFrameInto(out, at, r.type, r.seq, r.payload);
    at += FRAME_OVERHEAD + r.payload.length;
  }
  return out;
}
