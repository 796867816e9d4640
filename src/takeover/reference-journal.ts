/**
 * @module The reference's journal (reference-server §4.1), read in windows of whole records from an open file: the
 * import goes through it in journal order several times (walk, trees, writing), so it never holds all of it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { COMMITMENT_BYTES, LEGACY_COMMITMENT_BYTES } from '../journal/index.js';
import { CorruptJournalTailError, ReferenceDirError } from './errors.js';

/** A journal record of the reference: idx(4) ‖ root(32) ‖ mac(8), no header, no checksum. */
export const REFERENCE_RECORD_BYTES = COMMITMENT_BYTES;
/** Records per window (180 kB), and windows kept: paths in leaf order jump between a few ranges at most. */
const WINDOW_RECORDS = 4096;
const WINDOWS_KEPT = 16;

export class ReferenceJournal {
  /** Records in the journal. */
  readonly entries: number;
  #fd: number;
  /** Window number → its bytes, least recently used first. A window is never reused, so entries stay valid. */
  readonly #windows = new Map<number, Buffer>();
  /** The window of the last entry read: most reads follow it. */
  #lastWindow = -1;
  #last: Buffer = Buffer.alloc(0);

  private constructor(readonly path: string, fd: number, size: number) {
    this.#fd = fd;
    this.entries = size / REFERENCE_RECORD_BYTES;
  }

  /** Opens the journal; a partial last record is a CorruptJournalTailError (otsd never acknowledged it). */
  static open(path: string): ReferenceJournal {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (cause) {
      throw new ReferenceDirError(`${path}: cannot read the reference calendar's journal (${(cause as NodeJS.ErrnoException).code ?? 'error'}); is --from the otsd calendar directory (~/.otsd/calendar)?`, { cause });
    }
    const size = fstatSync(fd).size;
    if (size % REFERENCE_RECORD_BYTES !== 0) {
      closeSync(fd);
      throw new CorruptJournalTailError(path, size);
    }
    return new ReferenceJournal(path, fd, size);
  }

  #window(w: number): Buffer {
    const hit = this.#windows.get(w);
    if (hit) {
      this.#windows.delete(w);
      this.#windows.set(w, hit);
      return hit;
    }
    const first = w * WINDOW_RECORDS;
    const bytes = Math.min(WINDOW_RECORDS, this.entries - first) * REFERENCE_RECORD_BYTES;
    const buf = Buffer.allocUnsafe(bytes);
    let got = 0;
    while (got < bytes) {
      const n = readSync(this.#fd, buf, got, bytes - got, first * REFERENCE_RECORD_BYTES + got);
      if (n === 0) throw new ReferenceDirError(`${this.path} became shorter while it was read: is otsd running on this directory?`);
      got += n;
    }
    if (this.#windows.size >= WINDOWS_KEPT) this.#windows.delete(this.#windows.keys().next().value as number);
    this.#windows.set(w, buf);
    return buf;
  }

  /**
   * Entry i as the reference's journal reader returns it: the 44 bytes, or 36 when the MAC is 8 zero bytes (an
   * entry from before MACs). A view of a window; it stays valid.
   */
  entry(i: number): Buffer {
    if (!(i >= 0 && i < this.entries)) throw new RangeError(`"i" expected 0..${this.entries - 1}, got ${i}`);
    const w = Math.floor(i / WINDOW_RECORDS);
    if (w !== this.#lastWindow) {
      this.#last = this.#window(w);
      this.#lastWindow = w;
    }
    const buf = this.#last;
    const at = (i % WINDOW_RECORDS) * REFERENCE_RECORD_BYTES;
    for (let k = at + LEGACY_COMMITMENT_BYTES; k < at + REFERENCE_RECORD_BYTES; k++) {
      if (buf[k] !== 0) return buf.subarray(at, at + REFERENCE_RECORD_BYTES);
    }
    return buf.subarray(at, at + LEGACY_COMMITMENT_BYTES);
  }

  close(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    this.#fd = -1;
    this.#windows.clear();
    this.#lastWindow = -1;
    this.#last = Buffer.alloc(0);
  }
}
