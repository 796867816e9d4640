/** @module Hex fields of node answers: strict decoding that names the field, and the reversed "display" order Core prints hashes in. */
import { bytesToReversedHex } from '../ots/index.js';

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** A field that is not an even run of hex digits, or not the expected length. */
export class HexError extends TypeError {
  readonly code = 'bad-hex';
  constructor(name: string, detail: string) {
    super(`"${name}" expected hex, got ${detail}`);
    this.name = 'HexError';
  }
}

/**
 * Decodes the hex field `name` strictly (`Buffer.from(s, 'hex')` silently stops at the first bad
 * digit, turning a corrupt answer into a shorter, wrong value), optionally of exactly `length` bytes.
 */
export function decodeHexField(hex: string, name: string, length?: number): Uint8Array {
  if (!HEX_RE.test(hex)) throw new HexError(name, hex.length > 80 ? `${hex.length} chars that are not hex pairs` : JSON.stringify(hex));
  if (length !== undefined && hex.length !== length * 2) throw new HexError(name, `${hex.length / 2} bytes instead of ${length}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * Core prints txids and block hashes as a little-endian uint256, i.e. the sha256d bytes reversed.
 * These two convert between that display hex and the internal (hash output) byte order.
 */
export function displayHexToInternal(hex: string, name = 'hash'): Uint8Array {
  return decodeHexField(hex, name, 32).reverse();
}

export function internalToDisplayHex(hash: Uint8Array): string {
  if (hash.length !== 32) throw new RangeError(`"hash" expected 32 bytes, got ${hash.length}`);
  return bytesToReversedHex(hash);
}
