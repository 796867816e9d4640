/** @module Block headers a node returns: their hash, and the re-check that a header is the one asked for. */
import { BLOCK_HEADER_LENGTH, type BlockHeader, parseBlockHeader, sha256d } from '../ots/index.js';
import { internalToDisplayHex } from './hex.js';

/** A header whose hash is not the block hash the node was asked about. */
export class BlockHashMismatchError extends Error {
  readonly code = 'block-hash-mismatch';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`header hashes to ${actual}, not the requested block ${expected}`);
    this.name = 'BlockHashMismatchError';
  }
}

/**
 * The block hash in display hex: sha256d of the 80-byte header on every chain in the chain table
 * (Litecoin uses scrypt only for proof of work, not for the block id; environment §3).
 */
export function blockHash(header: Uint8Array): string {
  if (header.length !== BLOCK_HEADER_LENGTH) throw new RangeError(`"header" expected ${BLOCK_HEADER_LENGTH} bytes, got ${header.length}`);
  return internalToDisplayHex(sha256d(header));
}

/** Refuses a header unless it hashes to `expectedHash` (display hex); returns its fields. */
export function checkBlockHeader(header: Uint8Array, expectedHash: string): BlockHeader {
  const actual = blockHash(header);
  if (actual !== expectedHash.toLowerCase()) throw new BlockHashMismatchError(expectedHash, actual);
  return parseBlockHeader(header);
}
