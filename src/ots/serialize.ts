/** @module Primitive wire encodings: uint8, LEB128 varuint, varbytes and raw bytes, as reader and writer (ots-format.md §1). */
import { LengthLimitError, TrailingGarbageError, TruncationError } from './errors.js';

/**
 * Sequential reader over one byte string. Every read checks the remaining length before it copies,
 * so a hostile length prefix fails without allocating.
 */
export class BytesReader {
  readonly #buf: Uint8Array;
  #pos = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  /** Offset of the next byte to read. */
  get pos(): number {
    return this.#pos;
  }

  remaining(): number {
    return this.#buf.length - this.#pos;
  }

  readUint8(): number {
    const b = this.#buf[this.#pos];
    if (b === undefined) throw new TruncationError('Tried to read 1 bytes but got only 0 bytes');
    this.#pos++;
    return b;
  }

  /** `n` raw bytes, copied so that later changes to the input cannot reach decoded values. */
  readBytes(n: number): Uint8Array {
    const left = this.remaining();
    if (n > left) throw new TruncationError(`Tried to read ${n} bytes but got only ${left} bytes`);
    const out = this.#buf.slice(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /**
   * Unsigned LEB128. Like python, non-minimal forms (`87 00` = 7) are accepted; unlike python, a value
   * above 2^53−1 is refused, since no field of the format needs one and a JS number cannot hold it.
   */
  readVaruint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.readUint8();
      const group = b & 0x7f;
      if (group !== 0) {
        if (scale > Number.MAX_SAFE_INTEGER || group * scale > Number.MAX_SAFE_INTEGER - value) {
          throw new LengthLimitError('varuint exceeds 2^53-1');
        }
        value += group * scale;
      }
      if ((b & 0x80) === 0) return value;
      // Past 2^56 the scale stays put: further groups must be zero (non-minimal padding) or they overflow above.
      if (scale <= Number.MAX_SAFE_INTEGER) scale *= 128;
    }
  }

  /** A varuint length in `minLen..maxLen`, then that many bytes (python read_varbytes, same messages). */
  readVarbytes(maxLen: number, minLen = 0): Uint8Array {
    const n = this.readVaruint();
    if (n > maxLen) throw new LengthLimitError(`varbytes max length exceeded; ${n} > ${maxLen}`);
    if (n < minLen) throw new LengthLimitError(`varbytes min length not met; ${n} < ${minLen}`);
    return this.readBytes(n);
  }

  assertEof(): void {
    if (this.#pos < this.#buf.length) {
      throw new TrailingGarbageError('Trailing garbage found after end of deserialized data');
    }
  }
}

/** Append-only writer; grows its buffer geometrically. */
export class BytesWriter {
  #buf: Uint8Array;
  #len = 0;

  constructor(initialCapacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  writeUint8(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`"uint8" expected 0..255, got ${n}`);
    this.#reserve(1);
    this.#buf[this.#len++] = n;
  }

  writeBytes(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** Minimal unsigned LEB128 (the form python writes). */
  writeVaruint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`"varuint" expected an integer 0..2^53-1, got ${n}`);
    this.#reserve(8);
    let v = n;
    while (v > 0x7f) {
      this.#buf[this.#len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.#buf[this.#len++] = v;
  }

  writeVarbytes(b: Uint8Array): void {
    this.writeVaruint(b.length);
    this.writeBytes(b);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
