/** @module Typed failures of anchoring, each with a stable code that is also its log and metric label (style rule 5); the refusal of a donated transaction carries its own code and reason, which the HTTP edge sends as they are. */

import type { DonationRefusalCode } from './donation-protocol.js';

export type AnchorErrorCode = 'anchor-state' | 'anchor-state-write' | 'anchor-sign' | 'donation-refused' | 'donation-pushback';

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

/**
 * A posted transaction is not taken; nothing changed. `refusal` is the stable code of the rule it breaks and
 * `reason` the exact reason, both written for the donor (no node address, no error detail).
 */
export class DonationRefusedError extends AnchorError {
  readonly code = 'donation-refused';
  constructor(
    readonly refusal: DonationRefusalCode,
    readonly reason: string,
  ) {
    super(`donated transaction refused (${refusal}): ${reason}`);
    this.name = 'DonationRefusedError';
  }
}

/**
 * A posted transaction is not looked at now; nothing changed, and the donor may post it again later:
 * `rate` — more posts than the calendar takes per second (429); `busy` — as many being checked as it checks at
 * once (503); `unavailable` — its node does not answer, its state cannot be written, or it is stopping (503).
 */
export class DonationPushbackError extends AnchorError {
  readonly code = 'donation-pushback';
  constructor(
    readonly kind: 'rate' | 'busy' | 'unavailable',
    readonly retryAfterSeconds: number,
    readonly text: string,
  ) {
    super(`donated transaction not looked at (${kind}): ${text}`);
    this.name = 'DonationPushbackError';
  }
}
