/** @module Typed failures of anchoring, each with a stable code that is also its log and metric label (style rule 5). */

export type AnchorErrorCode = 'anchor-state' | 'anchor-state-write' | 'anchor-sign';

/** Base of every failure raised by src/anchor; `instanceof`-able, with a stable `code`. */
export abstract class AnchorError extends Error {
  abstract readonly code: AnchorErrorCode;
}

/**
 * The stamper's state file is unreadable, malformed, or belongs to another chain. Starting without it
 * could pay a second time for commitments already in a mined transaction, so anchoring refuses to start.
 */
export class StamperStateError extends AnchorError {
  readonly code = 'anchor-state';
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(`stamper state ${path}: ${detail}`, options);
    this.name = 'StamperStateError';
  }
}

/** The state could not be made durable; whatever it was about to record is not done (persist before acting). */
export class StateWriteError extends AnchorError {
  readonly code = 'anchor-state-write';
  constructor(path: string, options?: { cause?: unknown }) {
    super(`could not write the stamper state ${path}`, options);
    this.name = 'StateWriteError';
  }
}

/** The wallet did not sign the timestamp transaction completely (locked wallet, or an input it does not own). */
export class WalletSigningError extends AnchorError {
  readonly code = 'anchor-sign';
  constructor(detail: string) {
    super(`the wallet could not sign the timestamp transaction: ${detail}`);
    this.name = 'WalletSigningError';
  }
}
