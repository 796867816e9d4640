/** @module Why a reference calendar directory cannot be taken over: each error says what was found and what to do. */

/** A problem with one commitment (or the node its proof needs), reported with the commitment. */
export interface ImportProblem {
  /** The reference's journal index of the commitment (= our commit number), or -1 for the directory as a whole. */
  commitNumber: number;
  /** Hex of the commitment, when there is one. */
  commitment?: string;
  problem: string;
}

export class TakeoverError extends Error {
  readonly code: string = 'takeover';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TakeoverError';
  }
}

/** The directory is not a reference calendar (missing files, unreadable key or URI). */
export class ReferenceDirError extends TakeoverError {
  override readonly code = 'reference-dir';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReferenceDirError';
  }
}

/** A running otsd holds the directory: LevelDB's lock on `db/LOCK` is taken. */
export class ReferenceLockedError extends TakeoverError {
  override readonly code = 'reference-locked';
  constructor(readonly lockFile: string, readonly holder: { pid: number; command: string } | undefined) {
    super(
      `${lockFile} is locked by ${holder ? `process ${holder.pid} (${holder.command})` : 'another process'}: a reference server (otsd) still runs on this directory. ` +
        'Stop it first (systemctl stop otsd, or SIGINT), then run the import again.',
    );
    this.name = 'ReferenceLockedError';
  }
}

/** The journal ends in a partial record: otsd was stopped while writing it (it never acknowledged it). */
export class CorruptJournalTailError extends TakeoverError {
  override readonly code = 'journal-tail';
  constructor(readonly path: string, readonly size: number) {
    const whole = Math.floor(size / 44);
    super(
      `${path} is ${size} bytes, not a whole number of 44-byte records: its last ${size % 44} bytes are a record cut off mid-write, ` +
        `after record ${whole - 1}. otsd answers a digest only after its record is on disk, so that record was never acknowledged; ` +
        `keep a copy of the file, cut it to ${whole * 44} bytes (truncate -s ${whole * 44} ${path}) and run the import again.`,
    );
    this.name = 'CorruptJournalTailError';
  }
}

/** The journal and the database disagree, or a proof in the database is broken: nothing was written. */
export class ReferenceMismatchError extends TakeoverError {
  override readonly code = 'reference-mismatch';
  constructor(readonly problems: readonly ImportProblem[], shown = 20) {
    const lines = problems.slice(0, shown).map((p) => `  ${p.commitNumber >= 0 ? `commitment ${p.commitNumber}${p.commitment ? ` (${p.commitment})` : ''}: ` : ''}${p.problem}`);
    const more = problems.length > shown ? `\n  … and ${problems.length - shown} more` : '';
    super(`the reference calendar's journal and database do not check (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was written:\n${lines.join('\n')}${more}`);
    this.name = 'ReferenceMismatchError';
  }
}

/** The data directory holds something else than this import (another calendar, another reference directory). */
export class DataDirConflictError extends TakeoverError {
  override readonly code = 'data-dir-conflict';
  constructor(message: string) {
    super(message);
    this.name = 'DataDirConflictError';
  }
}
