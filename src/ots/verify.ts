/** @module Checking a block-header attestation against the header the caller fetched; pure, the evidence is an argument (ots-format.md §7). */
import { bytesEqual } from './bytes.js';
import { VerificationError } from './errors.js';

/** A serialized Bitcoin (and Litecoin) block header is 80 bytes. */
export const BLOCK_HEADER_LENGTH = 80;

export interface BlockHeader {
  readonly version: number;
  /** Raw serialized order (the reverse of the display hex). */
  readonly prevBlock: Uint8Array;
  /** Raw serialized order: what an attestation's message must equal. */
  readonly merkleRoot: Uint8Array;
  /** Unix time, seconds. */
  readonly time: number;
  readonly bits: number;
  readonly nonce: number;
}

/** Fields of an 80-byte header: nVersion[0..4] hashPrevBlock[4..36] hashMerkleRoot[36..68] nTime nBits nNonce (LE). */
export function parseBlockHeader(header: Uint8Array): BlockHeader {
  if (header.length !== BLOCK_HEADER_LENGTH) {
    throw new VerificationError(`Expected block header of ${BLOCK_HEADER_LENGTH} bytes; got ${header.length} bytes`);
  }
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return {
    version: view.getInt32(0, true),
    prevBlock: header.slice(4, 36),
    merkleRoot: header.slice(36, 68),
    time: view.getUint32(68, true),
    bits: view.getUint32(72, true),
    nonce: view.getUint32(76, true),
  };
}

/**
 * Python `verify_against_blockheader`: `msg` (the message at the attested node) must be 32 bytes and
 * equal the header's merkle root in raw order. Returns the header's nTime, the time the attestation
 * proves the message existed before; throws VerificationError with python's messages otherwise.
 */
export function verifyBlockHeaderAttestation(msg: Uint8Array, header: Uint8Array): number {
  if (msg.length !== 32) throw new VerificationError(`Expected digest with length 32 bytes; got ${msg.length} bytes`);
  const parsed = parseBlockHeader(header);
  if (!bytesEqual(msg, parsed.merkleRoot)) throw new VerificationError('Digest does not match merkleroot');
  return parsed.time;
}
