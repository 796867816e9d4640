/** @module Detached timestamp files (`*.ots`): magic, major version, file hash op and digest, then the tree (ots-format.md §2). */
import { bytesToHex, hexToBytes } from './hex.js';
import { bytesEqual } from './bytes.js';
import { BadMagicError, LengthLimitError, UnsupportedMajorVersionError } from './errors.js';
import { type Op, decodeFileHashOp, digestLength, encodeOp } from './op.js';
import { BytesReader, BytesWriter } from './serialize.js';
import { Timestamp } from './timestamp.js';

/** "\x00OpenTimestamps\x00\x00Proof\x00" and 8 random bytes: readable in a hex dump, yet `file(1)` calls it data. */
export const HEADER_MAGIC: Uint8Array = hexToBytes('004f70656e54696d657374616d7073000050726f6f6600bf89e2e884e89294');

/** The only major version there is; there is no minor version (python MAJOR_VERSION). */
export const MAJOR_VERSION = 1;

/** A timestamp for a file, identified by the file's digest under `fileHashOp`. */
export class DetachedTimestampFile {
  readonly fileHashOp: Op;
  readonly timestamp: Timestamp;

  /** `fileHashOp` must be sha1, ripemd160, sha256 or keccak256, and `timestamp.msg` as long as its digest. */
  constructor(fileHashOp: Op, timestamp: Timestamp) {
    const len = digestLength(fileHashOp);
    if (len === undefined) throw new TypeError(`"fileHashOp" expected a hash op, got ${fileHashOp.name}`);
    if (timestamp.msg.length !== len) {
      throw new RangeError(`"timestamp.msg" expected ${len} bytes for ${fileHashOp.name}, got ${timestamp.msg.length}`);
    }
    this.fileHashOp = fileHashOp;
    this.timestamp = timestamp;
  }

  get fileDigest(): Uint8Array {
    return this.timestamp.msg;
  }

  /** Canonical bytes: magic, version 1, hash op tag, digest, canonical tree. */
  toBytes(): Uint8Array {
    const w = new BytesWriter(HEADER_MAGIC.length + 64);
    w.writeBytes(HEADER_MAGIC);
    w.writeVaruint(MAJOR_VERSION);
    encodeOp(w, this.fileHashOp);
    w.writeBytes(this.timestamp.msg);
    this.timestamp.encode(w);
    return w.toBytes();
  }

  /** Reads a whole file; bytes after the tree are an error (TrailingGarbageError), as in both clients. */
  static fromBytes(bytes: Uint8Array): DetachedTimestampFile {
    const r = new BytesReader(bytes);
    const magic = r.readBytes(Math.min(HEADER_MAGIC.length, r.remaining()));
    if (!bytesEqual(magic, HEADER_MAGIC)) {
      throw new BadMagicError(`Expected magic bytes 0x${bytesToHex(HEADER_MAGIC)}, but got 0x${bytesToHex(magic)} instead`);
    }
    // A varuint, as python 0.4.2 and the JavaScript client read it; for the only valid value, 1, the
    // uint8 that python 0.4.5 reads is the same byte.
    let major: number;
    try {
      major = r.readVaruint();
    } catch (e) {
      if (!(e instanceof LengthLimitError)) throw e;
      throw new UnsupportedMajorVersionError('Version above 2^53-1 detached timestamp files are not supported', { cause: e });
    }
    if (major !== MAJOR_VERSION) {
      throw new UnsupportedMajorVersionError(`Version ${major} detached timestamp files are not supported`);
    }
    const fileHashOp = decodeFileHashOp(r);
    const digest = r.readBytes(digestLength(fileHashOp) ?? 0);
    const timestamp = Timestamp.decode(r, digest);
    r.assertEof();
    return new DetachedTimestampFile(fileHashOp, timestamp);
  }
}
