/** @module The running head hash: h(n) = sha256(h(n−1) ‖ raw bytes of record n), h(−1) = 32 zero bytes. */
import { hash } from 'node:crypto';

export const HASH_BYTES = 32;

/** h(−1): the hash of the empty journal. */
export function emptyHeadHash(): Uint8Array {
  return new Uint8Array(HASH_BYTES);
}

/**
 * Folds records into the chain through one reused scratch buffer. Each step's digest is kept as the one-byte
 * string node:crypto returns, copied into the scratch buffer for the next step: a record costs no ArrayBuffer
 * (a mirror folds about a hundred thousand a second); `hash` makes bytes of it only when asked.
 */
export class HeadHasher {
  #scratch: Buffer = Buffer.alloc(HASH_BYTES + 256);
  /** The head as a latin1 string (one char a byte). */
  #head: string;
  /** `#head` as bytes, made on demand; never mutated: callers that keep it must copy. */
  #bytes: Uint8Array | undefined;

  constructor(start: Uint8Array) {
    if (start.length !== HASH_BYTES) throw new RangeError(`"start" expected ${HASH_BYTES} bytes, got ${start.length}`);
    this.#bytes = new Uint8Array(start);
    this.#head = Buffer.from(start.buffer, start.byteOffset, start.byteLength).toString('latin1');
  }

  get hash(): Uint8Array {
    this.#bytes ??= new Uint8Array(Buffer.from(this.#head, 'latin1'));
    return this.#bytes;
  }

  /** Folds one raw record into the chain. */
  add(raw: Uint8Array): void {
    const need = HASH_BYTES + raw.length;
    if (this.#scratch.length < need) this.#scratch = Buffer.alloc(need * 2);
    this.#scratch.write(this.#head, 0, HASH_BYTES, 'latin1');
    this.#scratch.set(raw, HASH_BYTES);
    this.#head = hash('sha256', this.#scratch.subarray(0, need), 'binary');
    this.#bytes = undefined;
  }
}
