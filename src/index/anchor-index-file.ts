/** @module anchors.idx: the journal locations of every anchor and revocation record, so opening the index never rescans the journal. */
import { openSync, closeSync, fstatSync, readSync, writeSync, ftruncateSync, constants } from 'node:fs';
import type { IndexWrite } from './commit-index.js';

/** 16-byte entries: kind (u32 BE: 1 anchor, 2 revocation), journal seq (u64 BE), offset in segment (u32 BE). Derived, not fsynced. */
const ENTRY = 16;

export interface AnchorEntry {
  kind: 'anchor' | 'revocation';
  seq: number;
  offset: number;
}

export class AnchorIndexFile {
  readonly #fd: number;
  #entries: AnchorEntry[];

  readonly #write: IndexWrite;

  private constructor(fd: number, entries: AnchorEntry[], write: IndexWrite) {
    this.#fd = fd;
    this.#entries = entries;
    this.#write = write;
  }

  static open(path: string, write: IndexWrite = writeSync): AnchorIndexFile {
    // read-write without O_APPEND, which would make positional writes ignore their position
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    const size = fstatSync(fd).size;
    const count = Math.floor(size / ENTRY);
    if (size % ENTRY !== 0) ftruncateSync(fd, count * ENTRY);
    const buf = Buffer.alloc(count * ENTRY);
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, done);
      if (n === 0) break;
      done += n;
    }
    const entries: AnchorEntry[] = [];
    for (let i = 0; i < count; i++) {
      const kind = buf.readUInt32BE(i * ENTRY);
      if (kind !== 1 && kind !== 2) break; // garbage from a torn write: the rest is re-derived from the journal
      entries.push({
        kind: kind === 1 ? 'anchor' : 'revocation',
        seq: buf.readUInt32BE(i * ENTRY + 4) * 0x1_0000_0000 + buf.readUInt32BE(i * ENTRY + 8),
        offset: buf.readUInt32BE(i * ENTRY + 12),
      });
    }
    const f = new AnchorIndexFile(fd, entries, write);
    if (entries.length !== count) f.truncateToCount(entries.length);
    return f;
  }

  get entries(): readonly AnchorEntry[] {
    return this.#entries;
  }

  append(e: AnchorEntry): void {
    const buf = Buffer.alloc(ENTRY);
    buf.writeUInt32BE(e.kind === 'anchor' ? 1 : 2, 0);
    buf.writeUInt32BE(Math.floor(e.seq / 0x1_0000_0000), 4);
    buf.writeUInt32BE(e.seq % 0x1_0000_0000, 8);
    buf.writeUInt32BE(e.offset, 12);
    if (this.#write(this.#fd, buf, 0, ENTRY, this.#entries.length * ENTRY) !== ENTRY) throw new RangeError('anchors.idx: short write');
    this.#entries.push(e);
  }

  truncateToCount(count: number): void {
    ftruncateSync(this.#fd, count * ENTRY);
    this.#entries = this.#entries.slice(0, count);
  }

  close(): void {
    closeSync(this.#fd);
  }
}
