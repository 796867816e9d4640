/** @module Lowercase hex encoding and strict hex decoding of byte strings. */
import { InvalidHexError } from './errors.js';

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Lowercase hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes of an even-length hex string (either case); anything else throws InvalidHexError. */
export function hexToBytes(hex: string): Uint8Array {
  if (!HEX_RE.test(hex)) {
    const shown = hex.length > 20 ? `${hex.slice(0, 20)}…` : hex;
    throw new InvalidHexError(`"hex" expected an even number of hex digits, got ${JSON.stringify(shown)} (length ${hex.length})`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Hex of `bytes` in reversed byte order: how Bitcoin displays txids and merkle roots. */
export function bytesToReversedHex(bytes: Uint8Array): string {
  return bytesToHex(Uint8Array.from(bytes).reverse());
}
