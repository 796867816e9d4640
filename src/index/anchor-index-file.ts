/**
 * @module anchors.idx: the journal locations of every anchor and revocation record, so opening the index never
 * rescans the journal; and anchors.idx.records, a copy of those records in the same order, so opening reads them
 * in one sequential read instead of one journal read each.
 */
import { openSync, closeSync, writeSync, ftruncateSync, constants } from 'node:fs';
import { type JournalRecord, decodeRecordAt, encodeRecord } from '../journal/index.js';
import type { IndexWrite } from './commit-index.js';
import { readWhole } from './file-reads.js';

/** 16-byte entries: kind (u32 BE: 1 anchor, 2 revocation), journal seq (u64 BE), offset in segment (u32 BE). Derived, not fsynced. */
const ENTRY = 16;

/**
 * The copy of each listed record: its journal frame as the journal holds it (length, type, seq, payload, CRC), one
 * after the other. Derived and not fsynced, like anchors.idx: on open, the copy is used up to the first frame that
 * is torn, damaged or not the record its entry names, and the rest is read from the journal and copied again.
 */
export const RECORDS_SUFFIX = '.records';

export type AnchorKind = 'anchor' | 'revocation';

export interface AnchorEntry {
  kind: AnchorKind;
  seq: number;
  offset: number;
}

export class AnchorIndexFile {
  readonly #fd: number;
  readonly #recordsFd: number;
  #entries: AnchorEntry[];
  /** End offset in anchors.idx.records of each copied record: the copy covers entries [0, #ends.length). */
  #ends: number[];
  /** The copies as read on open, until `takeCopies`. */
  #copies: JournalRecord[] | undefined;

  readonly #write: IndexWrite;

  private constructor(fd: number, entries: AnchorEntry[], recordsFd: number, ends: number[], copies: JournalRecord[], write: IndexWrite) {
    this.#fd = fd;
    this.#entries = entries;
    this.#recordsFd = recordsFd;
    this.#ends = ends;
    this.#copies = copies;
    this.#write = write;
  }

  static open(path: string, write: IndexWrite = writeSync): AnchorIndexFile {
    // read-write without O_APPEND, which would make positional writes ignore their position
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    const buf = readWhole(fd);
    const count = Math.floor(buf.length / ENTRY);
    if (buf.length % ENTRY !== 0) ftruncateSync(fd, count * ENTRY);
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
    const recordsFd = openSync(path + RECORDS_SUFFIX, constants.O_RDWR | constants.O_CREAT, 0o644);
    const { ends, copies } = readCopies(readWhole(recordsFd), entries);
    ftruncateSync(recordsFd, ends.at(-1) ?? 0);
    const f = new AnchorIndexFile(fd, entries, recordsFd, ends, copies, write);
    if (entries.length !== count) f.truncateToCount(entries.length);
    return f;
  }

  get entries(): readonly AnchorEntry[] {
    return this.#entries;
  }

  /**
   * The records copied for the first entries, as read on open (each is the record its entry names: same kind and
   * seq), handed over once: the index keeps what it needs of them.
   */
  takeCopies(): readonly JournalRecord[] {
    const copies = this.#copies ?? [];
    this.#copies = undefined;
    return copies;
  }

  /** Copies the records of the entries the copy does not cover yet, in entry order (read from the journal on open). */
  copy(records: readonly JournalRecord[]): void {
    for (const r of records) {
      const e = this.#entries[this.#ends.length];
      if (e === undefined || e.seq !== r.seq || e.kind !== r.type) throw new RangeError(`anchors.idx.records: record ${r.seq} is not the next listed one`);
      this.#appendCopy(r);
    }
  }

  append(e: AnchorEntry, record: JournalRecord): void {
    if (this.#ends.length === this.#entries.length) this.#appendCopy(record);
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
    if (this.#ends.length > count) this.#ends = this.#ends.slice(0, count);
    ftruncateSync(this.#recordsFd, this.#ends.at(-1) ?? 0);
  }

  close(): void {
    closeSync(this.#fd);
    closeSync(this.#recordsFd);
  }

  #appendCopy(record: JournalRecord): void {
    const bytes = encodeRecord(record);
    const at = this.#ends.at(-1) ?? 0;
    if (this.#write(this.#recordsFd, bytes, 0, bytes.length, at) !== bytes.length) throw new RangeError('anchors.idx.records: short write');
    this.#ends.push(at + bytes.length);
  }
}

/** The copies that are each the record their entry names, up to the first that is not (or is torn). */
function readCopies(bytes: Uint8Array, entries: readonly AnchorEntry[]): { ends: number[]; copies: JournalRecord[] } {
  const ends: number[] = [];
  const copies: JournalRecord[] = [];
  let at = 0;
  for (const e of entries) {
    if (at >= bytes.length) break;
    let decoded: ReturnType<typeof decodeRecordAt>;
    try {
      // views into the file's bytes, read whole for this and kept by the anchors they describe: no copy a record
      decoded = decodeRecordAt(bytes, at, false);
    } catch {
      break;
    }
    if (decoded.record.seq !== e.seq || decoded.record.type !== e.kind) break;
    copies.push(decoded.record);
    at += decoded.length;
    ends.push(at);
  }
  return { ends, copies };
}
