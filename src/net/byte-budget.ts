/** @module A bound on the bytes several answers hold at once — bodies being read and bodies read but not yet let go of — so that memory is bounded by bytes, not by the number of requests. */

/** A body did not fit in what its budget had left. */
export class BufferFullError extends Error {
  readonly code = 'buffer-full';
  constructor(
    /** The budget's size. */
    readonly max: number,
    /** Bytes of this body when it no longer fit. */
    readonly own: number,
    /** Bytes other bodies held at that moment: 0 means this body alone is larger than the whole budget. */
    readonly others: number,
  ) {
    super(others === 0 ? `body exceeds the ${max}-byte buffer` : `body of ${own}+ bytes does not fit beside ${others} bytes held, in a ${max}-byte buffer`);
    this.name = 'BufferFullError';
  }
}

/** Not safe to share between threads; within one event loop every caller takes and gives synchronously. */
export class ByteBudget {
  readonly max: number;
  #held = 0;

  constructor(max: number) {
    if (!(Number.isSafeInteger(max) && max > 0)) throw new RangeError(`"max" expected a positive integer, got ${max}`);
    this.max = max;
  }

  get held(): number {
    return this.#held;
  }

  /** Takes `n` more bytes when they fit; false, taking nothing, when they do not. */
  take(n: number): boolean {
    if (this.#held + n > this.max) return false;
    this.#held += n;
    return true;
  }

  /** Gives back bytes taken before. */
  give(n: number): void {
    this.#held = Math.max(0, this.#held - n);
  }
}
