/** @module Head hashes at any past journal size, as the journal API states them for chunks: folded from the nearest known point and remembered at chunk boundaries. */
import { HeadHasher } from './head-hash.js';
import type { Journal } from './journal.js';
import { frameLengthAt } from './record-codec.js';

/** A past size is folded from here in pieces of at most this many records (bounded reads). */
const FOLD_RECORDS = 4096;

/**
 * h(size) for any size up to the head. The journal itself knows the head and segment boundaries (sidecars);
 * everything between is folded from the nearest known point below and remembered at chunk boundaries, so a
 * mirror reading chunks in order costs one fold of one chunk each. 32 bytes a chunk are kept (a billion
 * records is 8 MB). Safe to use concurrently: two folds of the same range give the same hash.
 */
export class JournalHashes {
  readonly #journal: Journal;
  readonly #chunkRecords: number;
  /** size (a multiple of chunkRecords, below the head when stored) → h(size) */
  readonly #memo = new Map<number, Uint8Array>();

  constructor(journal: Journal, chunkRecords: number) {
    this.#journal = journal;
    this.#chunkRecords = chunkRecords;
  }

  /** The head hash when the journal held `size` records (RangeError above the head). */
  async at(size: number): Promise<Uint8Array> {
    const head = this.#journal.head();
    if (size === head.size) return head.hash;
    if (!Number.isSafeInteger(size) || size < 0 || size > head.size) throw new RangeError(`"size" expected 0..${head.size}, got ${size}`);
    const known = this.#memo.get(size);
    if (known) return known;
    const R = this.#journal.segmentRecords;
    const C = this.#chunkRecords;
    let from = Math.floor(size / R) * R;
    let hash = this.#journal.hashAt(from);
    for (let b = Math.floor(size / C) * C; b > from; b -= C) {
      const memo = this.#memo.get(b);
      if (memo) {
        from = b;
        hash = memo;
        break;
      }
    }
    const hasher = new HeadHasher(hash);
    while (from < size) {
      // stop at each chunk boundary to remember it
      const to = Math.min(size, Math.floor(from / C) * C + C, from + FOLD_RECORDS);
      const bytes = await this.#journal.readRange(from, to - from);
      for (let at = 0; at < bytes.length; ) {
        const length = frameLengthAt(bytes, at);
        hasher.add(bytes.subarray(at, at + length));
        at += length;
      }
      from = to;
      if (from % C === 0) this.#memo.set(from, new Uint8Array(hasher.hash));
    }
    return new Uint8Array(hasher.hash);
  }
}
