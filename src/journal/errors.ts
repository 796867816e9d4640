/** @module The journal's typed errors: each has a stable `code` (also its metric label) and a constant message prefix. */

/** Base of every journal error; `instanceof JournalError` catches them all. */
export abstract class JournalError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Base of the frame/payload decoding failures: the bytes are not a well-formed record. */
export abstract class RecordDecodeError extends JournalError {}

/** The bytes end before the record does (a torn write, or a read that stopped short). */
export class TruncatedRecordError extends RecordDecodeError {
  readonly code = 'journal-record-truncated';
  constructor(readonly needed: number, readonly available: number) {
    super(`truncated record: needs ${needed} bytes, ${available} available`);
  }
}

/** The CRC-32 at the end of the frame does not match the bytes before it. */
export class ChecksumMismatchError extends RecordDecodeError {
  readonly code = 'journal-record-checksum';
  constructor(readonly stored: number, readonly computed: number) {
    super(`record checksum mismatch: stored ${stored.toString(16)}, computed ${computed.toString(16)}`);
  }
}

/** Why a frame or payload is malformed; one value per check, so tests and logs can tell them apart. */
export type MalformedReason =
  | 'type'
  | 'length'
  | 'seq'
  | 'commit-length'
  | 'anchor-ranges'
  | 'anchor-range'
  | 'anchor-timestamp'
  | 'revocation-reason'
  | 'revocation-anchor';

/** A field holds a value no encoder writes: unknown type, absurd length, bad range, invalid UTF-8, … */
export class MalformedRecordError extends RecordDecodeError {
  readonly code = 'journal-record-malformed';
  constructor(readonly reason: MalformedReason, detail: string) {
    super(`malformed record (${reason}): ${detail}`);
  }
}

/** Bytes follow a complete record or payload where none may. */
export class TrailingBytesError extends RecordDecodeError {
  readonly code = 'journal-record-trailing';
  constructor(readonly extra: number) {
    super(`trailing bytes after record: ${extra}`);
  }
}

/** A write failed (ENOSPC, EIO, …) before anything was acknowledged; the journal was rolled back and stays usable. */
export class JournalWriteError extends JournalError {
  readonly code = 'journal-write';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`journal write failed: ${message}`, options);
  }
}

/**
 * The journal cannot go on: an fsync failed (page-cache state unknown), or the files on disk break an invariant
 * that must not be "fixed" silently. Every later append is rejected; a restart re-runs recovery.
 */
export class FatalJournalError extends JournalError {
  readonly code: string = 'journal-fatal';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`journal failed: ${message}`, options);
  }
}

/** A sealed segment, a sidecar or the segment list is damaged (found on open, by a scan, or by `verifyJournal`). */
export class JournalCorruptError extends FatalJournalError {
  override readonly code = 'journal-corrupt';
}

/** The format file is missing, unreadable, or disagrees with the options. */
export class JournalFormatError extends JournalError {
  readonly code = 'journal-format';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`journal format: ${message}`, options);
  }
}

/** Another live journal (this process or another) holds the directory. */
export class JournalLockedError extends JournalError {
  readonly code = 'journal-locked';
  constructor(readonly dir: string, readonly holderPid: number) {
    super(`journal locked: ${dir} is held by ${holderPid > 0 ? `process ${holderPid}` : 'another process'}`);
  }
}

/** The journal was closed. */
export class JournalClosedError extends JournalError {
  readonly code = 'journal-closed';
  constructor() {
    super('journal closed');
  }
}

/** A read named a record the journal does not (durably) hold, or a location that holds another record. */
export class RecordNotFoundError extends JournalError {
  readonly code = 'journal-record-not-found';
  constructor(readonly seq: number, detail: string) {
    super(`record not found: ${seq}: ${detail}`);
  }
}

/** `appendRaw` records do not continue the journal: their first seq is not the journal's next seq. */
export class JournalSequenceError extends JournalError {
  readonly code = 'journal-sequence';
  constructor(readonly expected: number, readonly got: number) {
    super(`journal sequence: expected record ${expected}, got ${got}`);
  }
}
