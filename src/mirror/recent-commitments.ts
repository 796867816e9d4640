/**
 * @module The commitments a mirror appended last, in one ring buffer: an anchor usually covers the commitments
 * just before it, often in the chunk before, and reading them back from the journal costs more than keeping
 * them. Slots of 44 bytes (a legacy commitment of 36 keeps its length beside it), so a window of tens of
 * thousands is one allocation, not an object each.
 */
import { COMMITMENT_BYTES } from '../journal/index.js';

export class RecentCommitments {
  readonly #capacity: number;
  readonly #ring: Buffer;
  readonly #lengths: Uint8Array;
  /** Commit number of the oldest commitment held, and how many are held (ending at `#base + #count`). */
  #base = 0;
  #count = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`"capacity" expected an integer ≥ 1, got ${capacity}`);
    this.#capacity = capacity;
    this.#ring = Buffer.allocUnsafeSlow(capacity * COMMITMENT_BYTES);
    this.#lengths = new Uint8Array(capacity);
  }

  /** Keeps `commitments`, commit numbers `first`, `first + 1`, …; a run that does not follow the last one held starts the window anew. */
  append(first: number, commitments: readonly Uint8Array[]): void {
    if (this.#base + this.#count !== first) {
      this.#base = first;
      this.#count = 0;
    }
    for (const c of commitments) {
      if (c.length > COMMITMENT_BYTES) throw new RangeError(`"commitments" expected at most ${COMMITMENT_BYTES} bytes each, got ${c.length}`);
      const slot = (this.#base + this.#count) % this.#capacity;
      this.#ring.set(c, slot * COMMITMENT_BYTES);
      this.#lengths[slot] = c.length;
      if (this.#count < this.#capacity) this.#count++;
      else this.#base++;
    }
  }

  /** Copies of commitments [from, from + count), in one new buffer, or undefined when not all are held. */
  get(from: number, count: number): Uint8Array[] | undefined {
    if (from < this.#base || from + count > this.#base + this.#count) return undefined;
    const out = new Array<Uint8Array>(count);
    const copy = Buffer.allocUnsafeSlow(count * COMMITMENT_BYTES);
    for (let i = 0; i < count; i++) {
      const slot = (from + i) % this.#capacity;
      const length = this.#lengths[slot] as number;
      this.#ring.copy(copy, i * COMMITMENT_BYTES, slot * COMMITMENT_BYTES, slot * COMMITMENT_BYTES + length);
      out[i] = new Uint8Array(copy.buffer, i * COMMITMENT_BYTES, length);
    }
    return out;
  }
}
