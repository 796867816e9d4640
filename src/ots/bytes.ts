/** @module Byte-string comparison and concatenation used across the library (python `bytes` semantics). */

/** True when both byte strings have the same length and content. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Lexicographic byte order, a shorter prefix first (python `bytes` comparison); returns -1, 0 or 1. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** `a ‖ b` as a new plain Uint8Array. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
