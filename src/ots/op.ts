/** @module Operations, the edges of a timestamp tree: their tags, limits, evaluation, canonical order and encoding (ots-format.md §3, §5). */
import { bytesToHex } from './hex.js';
import { compareBytes } from './bytes.js';
import { keccak256, ripemd160, sha1, sha256 } from './hashes.js';
import { MsgValueError, OpArgValueError, UnknownOpTagError } from './errors.js';
import type { BytesReader, BytesWriter } from './serialize.js';

/** One operation. Unary ops have no `arg`; append and prepend always carry one (1..4096 bytes). Values are frozen. */
export interface Op {
  readonly tag: number;
  readonly name: string;
  readonly arg?: Uint8Array;
}

/**
 * Largest message an op may be applied to. Bounds the memory a verifier needs on one path; python
 * `Op.MAX_MSG_LENGTH`.
 */
export const MAX_MSG_LENGTH = 4096;

/**
 * Largest result an op may produce. 4 KiB covers the reasonable uses (Bitcoin transactions,
 * Certificate Transparency) while keeping every path cheap to verify; python `Op.MAX_RESULT_LENGTH`.
 */
export const MAX_RESULT_LENGTH = 4096;

/** Largest append/prepend argument: a longer one could never give a legal result (python BinaryOp limit). */
export const MAX_OP_ARG_LENGTH = MAX_RESULT_LENGTH;

/** Largest message hexlify accepts, so that its doubled output stays within MAX_RESULT_LENGTH. */
export const MAX_HEXLIFY_MSG_LENGTH = MAX_RESULT_LENGTH / 2;

export const TAG_SHA1 = 0x02;
export const TAG_RIPEMD160 = 0x03;
export const TAG_SHA256 = 0x08;
export const TAG_KECCAK256 = 0x67;
export const TAG_APPEND = 0xf0;
export const TAG_PREPEND = 0xf1;
export const TAG_REVERSE = 0xf2;
export const TAG_HEXLIFY = 0xf3;

function unary(tag: number, name: string): Op {
  return Object.freeze({ tag, name });
}

export const OP_SHA1: Op = unary(TAG_SHA1, 'sha1');
export const OP_RIPEMD160: Op = unary(TAG_RIPEMD160, 'ripemd160');
export const OP_SHA256: Op = unary(TAG_SHA256, 'sha256');
/** Python only: the JavaScript client 0.4.9 cannot read it (ots-format.md §11). */
export const OP_KECCAK256: Op = unary(TAG_KECCAK256, 'keccak256');
/** Deprecated upstream (python warns), still valid on the wire. */
export const OP_REVERSE: Op = unary(TAG_REVERSE, 'reverse');
/** The JavaScript client 0.4.9 cannot evaluate it (ots-format.md §3). */
export const OP_HEXLIFY: Op = unary(TAG_HEXLIFY, 'hexlify');

const UNARY_BY_TAG: ReadonlyMap<number, Op> = new Map(
  [OP_SHA1, OP_RIPEMD160, OP_SHA256, OP_KECCAK256, OP_REVERSE, OP_HEXLIFY].map((op) => [op.tag, op]),
);

/**
 * Ops python registers as "crypt" ops, the only ones allowed as a detached file's hash op, with their
 * digest lengths. keccak256 is among them through a registration quirk that python accepts (§2).
 */
const DIGEST_LENGTH_BY_TAG: ReadonlyMap<number, number> = new Map([
  [TAG_SHA1, 20],
  [TAG_RIPEMD160, 20],
  [TAG_SHA256, 32],
  [TAG_KECCAK256, 32],
]);

function binary(tag: number, name: string, arg: Uint8Array): Op {
  if (arg.length === 0) throw new OpArgValueError(`${name} arg can't be empty`);
  if (arg.length > MAX_OP_ARG_LENGTH) {
    throw new OpArgValueError(`${name} arg too long: ${arg.length} > ${MAX_OP_ARG_LENGTH}`);
  }
  return Object.freeze({ tag, name, arg: new Uint8Array(arg) });
}

/** msg ‖ arg. The argument is copied. */
export function opAppend(arg: Uint8Array): Op {
  return binary(TAG_APPEND, 'append', arg);
}

/** arg ‖ msg. The argument is copied. */
export function opPrepend(arg: Uint8Array): Op {
  return binary(TAG_PREPEND, 'prepend', arg);
}

function isBinaryTag(tag: number): boolean {
  return tag === TAG_APPEND || tag === TAG_PREPEND;
}

/** Digest length of a hash op allowed as a file hash op (sha1, ripemd160, sha256, keccak256), else undefined. */
export function digestLength(op: Op): number | undefined {
  return DIGEST_LENGTH_BY_TAG.get(op.tag);
}

function requireArg(op: Op): Uint8Array {
  if (!isBinaryTag(op.tag) || op.arg === undefined) {
    throw new TypeError(`"op" expected a known operation, got tag 0x${op.tag.toString(16)}`);
  }
  return op.arg;
}

function checkKnown(op: Op): void {
  if (isBinaryTag(op.tag)) requireArg(op);
  else if (!UNARY_BY_TAG.has(op.tag)) throw new TypeError(`"op" expected a known operation, got tag 0x${op.tag.toString(16)}`);
}

/**
 * Applies `op` to `msg` with every python limit: the message length (2048 for hexlify, else 4096), a
 * non-empty message for reverse and hexlify, and a result of at most 4096 bytes, checked before the
 * result is allocated. Throws MsgValueError with python's messages.
 */
export function applyOp(op: Op, msg: Uint8Array): Uint8Array {
  checkKnown(op);
  const maxMsg = op.tag === TAG_HEXLIFY ? MAX_HEXLIFY_MSG_LENGTH : MAX_MSG_LENGTH;
  if (msg.length > maxMsg) throw new MsgValueError(`Message too long; ${msg.length} > ${maxMsg}`);
  let result: Uint8Array;
  switch (op.tag) {
    case TAG_SHA1:
      return sha1(msg);
    case TAG_RIPEMD160:
      return ripemd160(msg);
    case TAG_SHA256:
      return sha256(msg);
    case TAG_KECCAK256:
      return keccak256(msg);
    case TAG_APPEND:
    case TAG_PREPEND: {
      const arg = requireArg(op);
      const len = msg.length + arg.length;
      if (len > MAX_RESULT_LENGTH) throw new MsgValueError(`Result too long; ${len} > ${MAX_RESULT_LENGTH}`);
      result = new Uint8Array(len);
      if (op.tag === TAG_APPEND) {
        result.set(msg, 0);
        result.set(arg, msg.length);
      } else {
        result.set(arg, 0);
        result.set(msg, arg.length);
      }
      break;
    }
    case TAG_REVERSE:
      if (msg.length === 0) throw new MsgValueError("Can't reverse an empty message");
      result = Uint8Array.from(msg).reverse();
      break;
    default:
      // Only hexlify is left: checkKnown() rejected every other tag.
      if (msg.length === 0) throw new MsgValueError("Can't hexlify an empty message");
      result = new TextEncoder().encode(bytesToHex(msg));
      break;
  }
  // No op may yield an empty result: it would let the commitment graph contain a cycle (python asserts this).
  if (result.length === 0) throw new MsgValueError('Result is empty');
  return result;
}

/** Python's canonical op order: by tag, then by argument bytes (a shorter prefix first). */
export function compareOps(a: Op, b: Op): number {
  if (a.tag !== b.tag) return a.tag < b.tag ? -1 : 1;
  if (a.arg === undefined || b.arg === undefined) return a.arg === b.arg ? 0 : a.arg === undefined ? -1 : 1;
  return compareBytes(a.arg, b.arg);
}

/** A string that is equal for two ops exactly when the ops are equal; used as a map key. */
export function opKey(op: Op): string {
  return op.arg === undefined ? op.tag.toString(16) : `${op.tag.toString(16)}:${bytesToHex(op.arg)}`;
}

export function opsEqual(a: Op, b: Op): boolean {
  return compareOps(a, b) === 0;
}

/** `tag` then, for append/prepend, `varbytes(arg)`. */
export function encodeOp(w: BytesWriter, op: Op): void {
  checkKnown(op);
  w.writeUint8(op.tag);
  if (op.arg !== undefined) w.writeVarbytes(op.arg);
}

/** Reads an op whose tag byte was already read (the tree grammar reads the tag first). */
export function decodeOpWithTag(r: BytesReader, tag: number): Op {
  if (isBinaryTag(tag)) {
    const arg = r.readVarbytes(MAX_OP_ARG_LENGTH, 1);
    return Object.freeze({ tag, name: tag === TAG_APPEND ? 'append' : 'prepend', arg });
  }
  const op = UNARY_BY_TAG.get(tag);
  if (op === undefined) throw new UnknownOpTagError(`Unknown operation tag 0x${tag.toString(16)}`);
  return op;
}

export function decodeOp(r: BytesReader): Op {
  return decodeOpWithTag(r, r.readUint8());
}

/** Reads a detached file's hash op: only the hash ops are allowed there (python CryptOp.deserialize). */
export function decodeFileHashOp(r: BytesReader): Op {
  const tag = r.readUint8();
  const op = DIGEST_LENGTH_BY_TAG.has(tag) ? UNARY_BY_TAG.get(tag) : undefined;
  if (op === undefined) throw new UnknownOpTagError(`Unknown unary op tag 0x${tag.toString(16)}`);
  return op;
}
