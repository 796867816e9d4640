/** @module commits.idx: a dense, time-sorted file of fixed 20-byte entries mapping commit numbers to journal locations, searched by time. */
import { openSync, closeSync, fstatSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync, ftruncateSync, constants } from 'node:fs';
import { readExactly } from './file-reads.js';

/**
 * Entry n describes the n-th commit record of the journal (the reference server's "commitment index"):
 *
 *   offset size field
 *   0      4    unix time of the commitment (big-endian, = its first 4 bytes)
 *   4      4    fingerprint: the first 4 bytes of its merkle root (= commitment bytes 4..8)
 *   8      8    journal sequence number of the record (big-endian)
 *   16     4    byte offset of the record inside its journal segment (big-endian)
 *
 * 20 bytes per commitment keeps journal + index under 100 bytes a commitment. The file is derived:
 * it is written without fsync and checked against the journal on open.
 */
export const ENTRY_SIZE = 20;
/** One in-memory time sample per block of entries: a lookup reads one block (5 KB) with one pread. */
const BLOCK_ENTRIES = 256;

/**
 * The time samples and out-of-order entries of a prefix of the file, kept beside it (`commits.idx.samples`) so
 * that opening a long index reads the entries written since instead of all of them (30 million entries are
 * 600 MB). Derived like the file: written without fsync (at close and every SAMPLES_EVERY entries), checked
 * against the file on open (the last entry it covers and spread samples must match), ignored when it does not.
 *
 *   offset size  field
 *   0      4     magic "OTS1"
 *   4      4     entries covered N (a multiple of BLOCK_ENTRIES)
 *   8      4     time of the last in-order entry up to N
 *   12     8     entry N-1: time, fingerprint
 *   20     4     sample count S (= N / BLOCK_ENTRIES)
 *   24     4·S   the samples
 *   then   4     out-of-order count K, then K × (entry number u32, fingerprint u32)
 */
export const SAMPLES_SUFFIX = '.samples';
const SAMPLES_MAGIC = 0x4f545331;
/** Entries between rewrites of the samples file: a crash re-reads at most this many on open (20 MB). */
const SAMPLES_EVERY = 1 << 20;
/** Samples compared with the file on open. */
const SAMPLES_CHECKED = 32;

/** Writes to an index file (fs.writeSync by default; injectable so tests can make it fail like a full disk). */
export type IndexWrite = (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => number;

export interface CommitEntry {
  time: number;
  fingerprint: number;
  seq: number;
  offset: number;
}

export class CommitIndexFile {
  readonly #fd: number;
  #count: number;
  /** time of entry k * BLOCK_ENTRIES */
  #samples: number[] = [];
  #lastTime = 0;
  /** Entries whose time is below their predecessor's (only a mirrored foreign calendar can have them). */
  readonly #outOfOrder = new Map<number, number[]>();
  readonly #one = Buffer.alloc(ENTRY_SIZE);
  /** Scratch for one block read by `candidates` (lookups are synchronous, so one buffer serves all). */
  readonly #block = Buffer.alloc(BLOCK_ENTRIES * ENTRY_SIZE);
  /** Entries [#blockFirst, #blockFirst + #blockCount) are in #block: the proof of a candidate reads its neighbours there. */
  #blockFirst = 0;
  #blockCount = 0;

  readonly #write: IndexWrite;
  readonly #samplesPath: string;
  /** Entries the samples file covers (as last written or read). */
  #samplesSaved = 0;

  private constructor(fd: number, count: number, write: IndexWrite, samplesPath: string) {
    this.#fd = fd;
    this.#count = count;
    this.#write = write;
    this.#samplesPath = samplesPath;
  }

  /** Opens (creating) the file; a torn trailing partial entry is cut. Reads it once to build the time samples. */
  static open(path: string, write: IndexWrite = writeSync): CommitIndexFile {
    // read-write without O_APPEND: on Linux O_APPEND makes positional writes ignore their position
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    const size = fstatSync(fd).size;
    const count = Math.floor(size / ENTRY_SIZE);
    if (size % ENTRY_SIZE !== 0) ftruncateSync(fd, count * ENTRY_SIZE);
    const f = new CommitIndexFile(fd, 0, write, path + SAMPLES_SUFFIX);
    f.#load(count, f.#readSamples(count));
    return f;
  }

  /** Reads the samples of the file's first entries from the samples file; returns how many entries it covered (0: none usable). */
  #readSamples(count: number): number {
    let b: Buffer;
    try {
      b = readFileSync(this.#samplesPath);
    } catch {
      return 0;
    }
    if (b.length < 28 || b.readUInt32BE(0) !== SAMPLES_MAGIC) return 0;
    const n = b.readUInt32BE(4);
    const s = b.readUInt32BE(20);
    if (n === 0 || n > count || n % BLOCK_ENTRIES !== 0 || s !== n / BLOCK_ENTRIES || b.length < 28 + 4 * s) return 0;
    const k = b.readUInt32BE(24 + 4 * s);
    if (b.length !== 28 + 4 * s + 8 * k) return 0;
    const last = this.#readEntryAt(n - 1);
    if (last.time !== b.readUInt32BE(12) || last.fingerprint !== b.readUInt32BE(16)) return 0;
    const samples: number[] = new Array<number>(s);
    for (let i = 0; i < s; i++) samples[i] = b.readUInt32BE(24 + 4 * i);
    const step = Math.max(1, Math.floor(s / SAMPLES_CHECKED));
    for (let i = 0; i < s; i += step) if (this.#readEntryAt(i * BLOCK_ENTRIES).time !== samples[i]) return 0;
    this.#samples = samples;
    this.#lastTime = b.readUInt32BE(8);
    for (let i = 0, at = 28 + 4 * s; i < k; i++, at += 8) {
      const e = b.readUInt32BE(at);
      const fp = b.readUInt32BE(at + 4);
      const list = this.#outOfOrder.get(fp);
      if (list) list.push(e);
      else this.#outOfOrder.set(fp, [e]);
    }
    this.#samplesSaved = n;
    return n;
  }

  /** Writes the samples of the whole blocks written so far beside the file (derived: no fsync; a failure only costs a longer open). */
  saveSamples(): void {
    try {
      this.#writeSamples();
    } catch {
      // derived: the next open reads the entries instead
    }
  }

  #writeSamples(): void {
    const n = this.#count - (this.#count % BLOCK_ENTRIES);
    if (n === 0 || n === this.#samplesSaved) return;
    const s = n / BLOCK_ENTRIES;
    const outOfOrder = [...this.#outOfOrder].flatMap(([fp, list]) => list.filter((e) => e < n).map((e) => [e, fp] as const));
    const b = Buffer.alloc(28 + 4 * s + 8 * outOfOrder.length);
    const last = this.#readEntryAt(n - 1);
    b.writeUInt32BE(SAMPLES_MAGIC, 0);
    b.writeUInt32BE(n, 4);
    b.writeUInt32BE(this.#lastTimeUpTo(n), 8);
    b.writeUInt32BE(last.time, 12);
    b.writeUInt32BE(last.fingerprint, 16);
    b.writeUInt32BE(s, 20);
    for (let i = 0; i < s; i++) b.writeUInt32BE(this.#samples[i] as number, 24 + 4 * i);
    b.writeUInt32BE(outOfOrder.length, 24 + 4 * s);
    outOfOrder.forEach(([e, fp], i) => {
      b.writeUInt32BE(e, 28 + 4 * s + 8 * i);
      b.writeUInt32BE(fp, 32 + 4 * s + 8 * i);
    });
    writeFileSync(this.#samplesPath + '.tmp', b);
    renameSync(this.#samplesPath + '.tmp', this.#samplesPath);
    this.#samplesSaved = n;
  }

  /** The time of the last in-order entry before `n` (the file's lastTime when n is its count). */
  #lastTimeUpTo(n: number): number {
    if (n === this.#count) return this.#lastTime;
    const outOfOrder = new Set([...this.#outOfOrder.values()].flat());
    for (let e = n - 1; e >= 0; e--) if (!outOfOrder.has(e)) return this.#readEntryAt(e).time;
    return 0;
  }

  #readEntryAt(n: number): CommitEntry {
    readExactly(this.#fd, this.#one, ENTRY_SIZE, n * ENTRY_SIZE, 'commits.idx');
    return decodeEntry(this.#one, 0);
  }

  /** Notes entries [from, count) (those not covered by the samples file). */
  #load(count: number, from = 0): void {
    const chunkEntries = 1 << 16;
    const buf = Buffer.alloc(chunkEntries * ENTRY_SIZE);
    for (let start = from; start < count; start += chunkEntries) {
      const n = Math.min(chunkEntries, count - start);
      readExactly(this.#fd, buf, n * ENTRY_SIZE, start * ENTRY_SIZE, 'commits.idx');
      for (let i = 0; i < n; i++) this.#note(start + i, buf.readUInt32BE(i * ENTRY_SIZE), buf.readUInt32BE(i * ENTRY_SIZE + 4));
    }
    this.#count = count;
  }

  #note(n: number, time: number, fingerprint: number): void {
    if (n % BLOCK_ENTRIES === 0) this.#samples.push(time);
    if (n > 0 && time < this.#lastTime) {
      const list = this.#outOfOrder.get(fingerprint);
      if (list) list.push(n);
      else this.#outOfOrder.set(fingerprint, [n]);
    } else {
      this.#lastTime = time;
    }
  }

  get count(): number {
    return this.#count;
  }

  get lastTime(): number {
    return this.#lastTime;
  }

  entry(n: number): CommitEntry {
    if (!(n >= 0 && n < this.#count)) throw new RangeError(`commit number ${n} out of range 0..${this.#count - 1}`);
    return this.#readEntryAt(n);
  }

  /** Entries [from, from + count) in one read. */
  entries(from: number, count: number): CommitEntry[] {
    if (from < 0 || count < 0 || from + count > this.#count) throw new RangeError(`entries ${from}+${count} out of range`);
    const out: CommitEntry[] = new Array(count);
    if (from >= this.#blockFirst && from + count <= this.#blockFirst + this.#blockCount) {
      // entries never change once written, so the block the last lookup read still holds them
      for (let i = 0; i < count; i++) out[i] = decodeEntry(this.#block, (from - this.#blockFirst + i) * ENTRY_SIZE);
      return out;
    }
    const buf = Buffer.allocUnsafe(count * ENTRY_SIZE);
    readExactly(this.#fd, buf, buf.length, from * ENTRY_SIZE, 'commits.idx');
    for (let i = 0; i < count; i++) out[i] = decodeEntry(buf, i * ENTRY_SIZE);
    return out;
  }

  append(entries: readonly CommitEntry[]): void {
    if (entries.length === 0) return;
    const buf = Buffer.alloc(entries.length * ENTRY_SIZE);
    entries.forEach((e, i) => encodeEntry(buf, i * ENTRY_SIZE, e));
    let written = 0;
    while (written < buf.length) written += this.#write(this.#fd, buf, written, buf.length - written, this.#count * ENTRY_SIZE + written);
    for (const e of entries) this.#note(this.#count++, e.time, e.fingerprint);
    if (this.#count - this.#samplesSaved >= SAMPLES_EVERY) this.saveSamples();
  }

  /** Cuts what a failed append left after the last whole entry. */
  dropPartial(): void {
    ftruncateSync(this.#fd, this.#count * ENTRY_SIZE);
  }

  /** Drops entries n and later (used when the journal holds fewer records than the index claims). */
  truncate(n: number): void {
    if (n >= this.#count) return;
    ftruncateSync(this.#fd, n * ENTRY_SIZE);
    rmSync(this.#samplesPath, { force: true });
    this.#samplesSaved = 0;
    this.#blockCount = 0;
    this.#samples = [];
    this.#outOfOrder.clear();
    this.#lastTime = 0;
    this.#count = 0;
    this.#load(n);
  }

  /** The last `n` entries of an index file, oldest first, reading only them (fewer when the file holds fewer). */
  static lastEntries(path: string, n: number): CommitEntry[] {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const count = Math.floor(size / ENTRY_SIZE);
      const k = Math.min(n, count);
      if (k === 0) return [];
      const buf = Buffer.alloc(k * ENTRY_SIZE);
      readExactly(fd, buf, k * ENTRY_SIZE, (count - k) * ENTRY_SIZE, 'commits.idx');
      return Array.from({ length: k }, (_, i) => decodeEntry(buf, i * ENTRY_SIZE));
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Candidate commit numbers (with their entries) for a commitment with this time and fingerprint, in order.
   * The caller confirms each against the journal (the fingerprint is 4 bytes of a hash, so a false candidate
   * is rare but possible).
   */
  candidates(time: number, fingerprint: number): Array<{ n: number; entry: CommitEntry }> {
    const out: Array<{ n: number; entry: CommitEntry }> = [];
    const samples = this.#samples;
    if (this.#count > 0) {
      // First block that may hold `time`: the last block whose first time is < time (or block 0).
      let lo = 0;
      let hi = samples.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if ((samples[mid] as number) < time) lo = mid;
        else hi = mid - 1;
      }
      const buf = this.#block;
      for (let block = lo; block < samples.length; block++) {
        if (block > lo && (samples[block] as number) > time) break;
        const first = block * BLOCK_ENTRIES;
        const n = Math.min(BLOCK_ENTRIES, this.#count - first);
        this.#blockCount = 0;
        readExactly(this.#fd, buf, n * ENTRY_SIZE, first * ENTRY_SIZE, 'commits.idx');
        this.#blockFirst = first;
        this.#blockCount = n;
        let past = false;
        // an entry with this time after a later one was out of order when appended, so #outOfOrder lists it:
        // the block is read up to its first later time only
        for (let i = 0; i < n; i++) {
          const t = readU32(buf, i * ENTRY_SIZE);
          if (t === time && readU32(buf, i * ENTRY_SIZE + 4) === fingerprint) out.push({ n: first + i, entry: decodeEntry(buf, i * ENTRY_SIZE) });
          else if (t > time) {
            past = true;
            break;
          }
        }
        if (past) break;
      }
    }
    const extra = this.#outOfOrder.get(fingerprint);
    if (extra) for (const n of extra) if (!out.some((c) => c.n === n)) out.push({ n, entry: this.entry(n) });
    return out;
  }

  close(): void {
    this.saveSamples();
    closeSync(this.#fd);
  }
}

function decodeEntry(buf: Buffer, at: number): CommitEntry {
  return {
    time: buf.readUInt32BE(at),
    fingerprint: buf.readUInt32BE(at + 4),
    seq: buf.readUInt32BE(at + 8) * 0x1_0000_0000 + buf.readUInt32BE(at + 12),
    offset: buf.readUInt32BE(at + 16),
  };
}

function encodeEntry(buf: Buffer, at: number, e: CommitEntry): void {
  buf.writeUInt32BE(e.time, at);
  buf.writeUInt32BE(e.fingerprint, at + 4);
  buf.writeUInt32BE(Math.floor(e.seq / 0x1_0000_0000), at + 8);
  buf.writeUInt32BE(e.seq % 0x1_0000_0000, at + 12);
  buf.writeUInt32BE(e.offset, at + 16);
}

/**
 * Big-endian u32 at `at`, as plain loads: a commitment's first four bytes are its unix time, and the scan of an
 * index block reads two an entry, where Buffer's readUInt32BE checks cost more than the read.
 */
export function readU32(b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0;
}

/** Fingerprint of a commitment (44 bytes, or 36 legacy ones): bytes 4..8 (the start of its merkle root) as a big-endian u32. */
export function fingerprintOf(commitment: Uint8Array): number {
  return ((commitment[4] as number) * 0x1000000 + ((commitment[5] as number) << 16) + ((commitment[6] as number) << 8) + (commitment[7] as number)) >>> 0;
}
