/** @module commits.idx: a dense, time-sorted file of fixed 20-byte entries mapping commit numbers to journal locations, searched by time. */
import { openSync, closeSync, fstatSync, readSync, writeSync, ftruncateSync, constants } from 'node:fs';

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

  readonly #write: IndexWrite;

  private constructor(fd: number, count: number, write: IndexWrite) {
    this.#fd = fd;
    this.#count = count;
    this.#write = write;
  }

  /** Opens (creating) the file; a torn trailing partial entry is cut. Reads it once to build the time samples. */
  static open(path: string, write: IndexWrite = writeSync): CommitIndexFile {
    // read-write without O_APPEND: on Linux O_APPEND makes positional writes ignore their position
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    const size = fstatSync(fd).size;
    const count = Math.floor(size / ENTRY_SIZE);
    if (size % ENTRY_SIZE !== 0) ftruncateSync(fd, count * ENTRY_SIZE);
    const f = new CommitIndexFile(fd, 0, write);
    f.#load(count);
    return f;
  }

  #load(count: number): void {
    const chunkEntries = 1 << 16;
    const buf = Buffer.alloc(chunkEntries * ENTRY_SIZE);
    for (let start = 0; start < count; start += chunkEntries) {
      const n = Math.min(chunkEntries, count - start);
      readFull(this.#fd, buf, n * ENTRY_SIZE, start * ENTRY_SIZE);
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
    readFull(this.#fd, this.#one, ENTRY_SIZE, n * ENTRY_SIZE);
    return decodeEntry(this.#one, 0);
  }

  /** Entries [from, from + count) in one read. */
  entries(from: number, count: number): CommitEntry[] {
    if (from < 0 || count < 0 || from + count > this.#count) throw new RangeError(`entries ${from}+${count} out of range`);
    const buf = Buffer.alloc(count * ENTRY_SIZE);
    readFull(this.#fd, buf, buf.length, from * ENTRY_SIZE);
    const out: CommitEntry[] = new Array(count);
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
  }

  /** Cuts what a failed append left after the last whole entry. */
  dropPartial(): void {
    ftruncateSync(this.#fd, this.#count * ENTRY_SIZE);
  }

  /** Drops entries n and later (used when the journal holds fewer records than the index claims). */
  truncate(n: number): void {
    if (n >= this.#count) return;
    ftruncateSync(this.#fd, n * ENTRY_SIZE);
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
      readFull(fd, buf, k * ENTRY_SIZE, (count - k) * ENTRY_SIZE);
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
        readFull(this.#fd, buf, n * ENTRY_SIZE, first * ENTRY_SIZE);
        let past = false;
        for (let i = 0; i < n; i++) {
          const t = buf.readUInt32BE(i * ENTRY_SIZE);
          if (t === time && buf.readUInt32BE(i * ENTRY_SIZE + 4) === fingerprint) out.push({ n: first + i, entry: decodeEntry(buf, i * ENTRY_SIZE) });
          else if (t > time) past = true;
        }
        if (past) break;
      }
    }
    const extra = this.#outOfOrder.get(fingerprint);
    if (extra) for (const n of extra) if (!out.some((c) => c.n === n)) out.push({ n, entry: this.entry(n) });
    return out;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

function readFull(fd: number, buf: Buffer, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new RangeError(`commits.idx ends at ${position + done}, expected ${position + length}`);
    done += n;
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

/** Fingerprint of a commitment (44 bytes, or 36 legacy ones): bytes 4..8 (the start of its merkle root) as a big-endian u32. */
export function fingerprintOf(commitment: Uint8Array): number {
  return ((commitment[4] as number) * 0x1000000 + ((commitment[5] as number) << 16) + ((commitment[6] as number) << 8) + (commitment[7] as number)) >>> 0;
}
