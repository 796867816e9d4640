/** @module The OpenTimestamps library (`ots-calendar/ots`): ops, attestations, timestamp trees, `.ots` files, merkle trees and verification.
 *
 * This folder is consensus-critical and pure: no file system, network, clock, randomness or logging.
 * Hashing goes through node:crypto and @noble/hashes only. Verification takes its evidence (a block
 * header) as an argument, and printers live outside (src/cli/info.ts). A change here can make proofs
 * read or verify differently from python-opentimestamps, the reference: every rule follows
 * reference/ots-format.md and is pinned by the tests in test/ots.
 *
 * This export list is chosen by hand; a test snapshots it.
 */

export {
  OtsError,
  DeserializationError,
  TruncationError,
  TrailingGarbageError,
  RecursionLimitError,
  BadMagicError,
  UnsupportedMajorVersionError,
  UnknownOpTagError,
  LengthLimitError,
  InvalidOpResultError,
  InvalidAttestationError,
  MsgValueError,
  OpArgValueError,
  InvalidUriError,
  InvalidHexError,
  EmptyTimestampError,
  MergeMismatchError,
  VerificationError,
} from './errors.js';

export { bytesToHex, hexToBytes, bytesToReversedHex } from './hex.js';
export { bytesEqual, compareBytes, concatBytes } from './bytes.js';
export { sha1, ripemd160, sha256, sha256d, sha256Each, sha256Into, keccak256 } from './hashes.js';
export { BytesReader, BytesWriter } from './serialize.js';

export {
  type Op,
  MAX_MSG_LENGTH,
  MAX_RESULT_LENGTH,
  MAX_OP_ARG_LENGTH,
  MAX_HEXLIFY_MSG_LENGTH,
  TAG_SHA1,
  TAG_RIPEMD160,
  TAG_SHA256,
  TAG_KECCAK256,
  TAG_APPEND,
  TAG_PREPEND,
  TAG_REVERSE,
  TAG_HEXLIFY,
  OP_SHA1,
  OP_RIPEMD160,
  OP_SHA256,
  OP_KECCAK256,
  OP_REVERSE,
  OP_HEXLIFY,
  opAppend,
  opPrepend,
  applyOp,
  compareOps,
  opsEqual,
  opKey,
  digestLength,
  encodeOp,
  decodeOp,
  decodeFileHashOp,
} from './op.js';

export {
  type Attestation,
  type AttestationKind,
  ATTESTATION_TAG_LENGTH,
  MAX_PAYLOAD_SIZE,
  MAX_URI_LENGTH,
  PENDING_TAG,
  BITCOIN_TAG,
  LITECOIN_TAG,
  ETHEREUM_TAG,
  pendingAttestation,
  bitcoinAttestation,
  litecoinAttestation,
  ethereumAttestation,
  unknownAttestation,
  attestationTag,
  encodeAttestation,
  decodeAttestation,
  compareAttestations,
  attestationsEqual,
  attestationKey,
  isValidPendingUri,
} from './attestation.js';

export { type OpEdge, RECURSION_LIMIT, Timestamp } from './timestamp.js';
export { HEADER_MAGIC, MAJOR_VERSION, DetachedTimestampFile } from './detached.js';
export { encodePath, encodeOps, applyPath } from './path.js';
export { leafHashRootInto, makeMerkleTree, merkleLevels, merkleRoot, merklePath, merklePathSize, siblingPathSize, writeMerklePath, writeSiblingPath } from './merkle.js';
export type { SiblingPath } from './merkle.js';
export { blockMerkleRoot, blockMerklePath } from './block-merkle.js';
export { type BlockHeader, BLOCK_HEADER_LENGTH, parseBlockHeader, verifyBlockHeaderAttestation } from './verify.js';
export { isBitcoinTransaction } from './tx-detect.js';
export { opToString, opRepr, attestationToString } from './repr.js';
export { pythonBytesRepr, pythonStrRepr } from './python-repr.js';
