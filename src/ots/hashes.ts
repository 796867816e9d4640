/** @module The hash functions OpenTimestamps operations use: SHA-1, RIPEMD-160, SHA-256 (node:crypto) and Keccak-256 (@noble/hashes). */
import { hash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';

/** A plain Uint8Array view of a Buffer, so decoded values compare equal to ones built by hand. */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function sha1(data: Uint8Array): Uint8Array {
  return plain(hash('sha1', data, 'buffer'));
}

export function ripemd160(data: Uint8Array): Uint8Array {
  return plain(hash('ripemd160', data, 'buffer'));
}

export function sha256(data: Uint8Array): Uint8Array {
  return plain(hash('sha256', data, 'buffer'));
}

/** SHA-256 applied twice: Bitcoin's txid and block merkle node hash. */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(hash('sha256', data, 'buffer'));
}

/** Keccak-256 with the original (pre-NIST) padding, as Ethereum uses it (ots-format.md §3, op 0x67). */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}
