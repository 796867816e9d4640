/** @module Typed errors of the OpenTimestamps library, each with a stable `code` (hierarchy after python-opentimestamps core/serialize.py). */

/** Base of every error this library throws on purpose; `code` is stable and safe to switch on or use as a metric label. */
export class OtsError extends Error {
  readonly code: string = 'ots';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bytes that are not a valid timestamp, attestation or `.ots` file (ots-format.md §1–§6). */
export class DeserializationError extends OtsError {
  override readonly code: string = 'deserialization';
}

/** The input ended before the structure did. */
export class TruncationError extends DeserializationError {
  override readonly code: string = 'truncated';
}

/** Bytes left over where the format requires the end: after a detached file, or inside a known attestation's payload. */
export class TrailingGarbageError extends DeserializationError {
  override readonly code: string = 'trailing-garbage';
}

/** More nested operations on one path than the reference reader accepts (255 ops; ots-format.md §4). */
export class RecursionLimitError extends DeserializationError {
  override readonly code: string = 'recursion-limit';
}

/** A detached file that does not start with HEADER_MAGIC. */
export class BadMagicError extends DeserializationError {
  override readonly code: string = 'bad-magic';
}

/** A detached file whose major version is not 1. */
export class UnsupportedMajorVersionError extends DeserializationError {
  override readonly code: string = 'unsupported-major-version';
}

/** An operation tag that is not defined (or, for the file hash op, not a hash). */
export class UnknownOpTagError extends DeserializationError {
  override readonly code: string = 'unknown-op-tag';
}

/** A length prefix or integer outside the range the field allows (varbytes bounds, varuint beyond 2^53−1). */
export class LengthLimitError extends DeserializationError {
  override readonly code: string = 'length-limit';
}

/** An operation that cannot be applied to the message it meets while reading (python wraps MsgValueError the same way). */
export class InvalidOpResultError extends DeserializationError {
  override readonly code: string = 'invalid-op-result';
}

/** A known attestation whose payload is invalid, e.g. a pending URI with a forbidden character. */
export class InvalidAttestationError extends DeserializationError {
  override readonly code: string = 'invalid-attestation';
}

/** A message an operation refuses: too long, result too long, or empty where it must not be (python MsgValueError). */
export class MsgValueError extends OtsError {
  override readonly code: string = 'msg-value';
}

/** A binary operation argument that is empty or longer than 4096 bytes (python OpArgValueError). */
export class OpArgValueError extends OtsError {
  override readonly code: string = 'op-arg-value';
}

/** A pending-attestation URI that breaks the reference's URI rules (ots-format.md §6). */
export class InvalidUriError extends OtsError {
  override readonly code: string = 'invalid-uri';
}

/** A hex string that is not an even number of hex digits. */
export class InvalidHexError extends OtsError {
  override readonly code: string = 'invalid-hex';
}

/** A timestamp node with neither attestations nor operations, which has no encoding (python raises ValueError). */
export class EmptyTimestampError extends OtsError {
  override readonly code: string = 'empty-timestamp';
}

/** Merging or linking timestamps whose messages differ. */
export class MergeMismatchError extends OtsError {
  override readonly code: string = 'merge-mismatch';
}

/** Evidence (a block header) that does not confirm an attestation (ots-format.md §7). */
export class VerificationError extends OtsError {
  override readonly code: string = 'verification';
}
