/** @module The index's errors, on one base class: `instanceof IndexError` catches them all, and each has a stable code. Every message that means "the index is damaged" names the repair: `ots-calendar reindex`. */

/** The command that rebuilds the derived index from the journal. */
export const REPAIR_HINT = 'the index is derived: stop the server and run `ots-calendar reindex --data-dir <dir>` to rebuild it from the journal';

export abstract class IndexError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An anchor record whose stated tip is not the merkle tip of the commitments it names. */
export class AnchorTipMismatchError extends IndexError {
  readonly code = 'anchor-tip-mismatch';
  constructor(readonly anchorSeq: number) {
    super(`anchor record ${anchorSeq}: the merkle tip of the commitments it names differs from the tip it states`);
  }
}

/** An anchor names no commitments, or commitments the index does not hold (none at or after the anchor). */
export class AnchorOutOfRangeError extends IndexError {
  readonly code = 'anchor-out-of-range';
  constructor(
    readonly anchorSeq: number,
    commitCount: number,
  ) {
    super(`anchor record ${anchorSeq} names commitments beyond the ${commitCount} the journal holds (or none at all)`);
  }
}

/** The index could not keep up with the journal (a failed write, or records out of sequence). */
export class IndexFailedError extends IndexError {
  readonly code = 'index-failed';
}

/** An index file names a journal record that is not what it says (damaged, or from another journal). */
export class IndexMismatchError extends IndexError {
  readonly code = 'index-mismatch';
  constructor(what: string, readonly file: string) {
    super(`${file}: ${what}; ${REPAIR_HINT}`);
  }
}
