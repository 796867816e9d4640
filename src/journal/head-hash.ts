/** @module The running head hash: h(n) = sha256(h(n−1) ‖ raw bytes of record n), h(−1) = 32 zero bytes. */
import { hash } from 'node:crypto';

export const HASH_BYTES = 32;

/** h(−1): the hash of the empty journal. */
export function emptyHeadHash(): Uint8Array {
  return new Uint8Array(HASH_BYTES);
}

/** Folds records into the chain; one reused scratch buffer, so a record costs one digest allocation. */
export class HeadHasher {
  #scratch: Buffer = Buffer.alloc(HASH_BYTES + 256);
  /** Owned here and replaced on every step, never mutated: callers that keep it must copy. */
  #hash: Uint8Array;

  constructor(start: Uint8Array) {
    if (start.length !== HASH_BYTES) throw new RangeError(`"start" expected ${HASH_BYTES} bytes, got ${start.length}`);
    this.#hash = new Uint8Array(start);
  }

  get hash(): Uint8Array {
    return this.#hash;
  }

  /** Folds one raw record into the chain. */
  add(raw: Uint8Array): void {
    const need = HASH_BYTES + raw.length;
    if (this.#scratch.length < need) this.#scratch = Buffer.alloc(need * 2);
    this.#scratch.set(this.#hash, 0);
    this.#scratch.set(raw, HASH_BYTES);
    this.#hash = hash('sha256', this.#scratch.subarray(0, need), 'buffer');
  }
}
