/**
 * @module The 404 reason for a pending commitment: where it stands (unconfirmed transaction, confirmations so far, paused stamping), within what clients display.
 *
 * Clients read at most 160 bytes of a 404 body and replace every character outside
 * `[A-Za-z0-9#-.,; ]` with `_` (reference-server §1.3), so a reason uses only letters, digits, space
 * and `# - . , ;` — no colon — and is at most 160 characters, or the default is served instead.
 */
import type { CommitRange } from '../journal/index.js';

export const MAX_REASON_LENGTH = 160;
const REASON_CHARS = /^[A-Za-z0-9#\-.,; ]*$/;

/** True when every client shows `reason` unaltered. */
export function isClientSafeReason(reason: string): boolean {
  return reason.length <= MAX_REASON_LENGTH && REASON_CHARS.test(reason);
}

/** Why no transaction is being paid for commitments not yet in one. */
export type PauseReason = 'wallet-empty' | 'fee-cap' | 'node-unavailable';

/** A snapshot of where every pending commitment is, rebuilt by the stamper after each poll. */
export interface PendingView {
  /** From the chain table: "Bitcoin" or "Litecoin". */
  chainWord: string;
  confirmations: number;
  /**
   * The open cycle's newest version. `feeCapped`: it cannot be replaced any more; `full`: it holds
   * max-commitments-per-tx already, so later commitments wait for the next cycle.
   */
  unconfirmed: { txid: string; ranges: readonly CommitRange[]; feeCapped: boolean; full?: boolean } | undefined;
  /** Closed cycles not anchored yet; `depth` null: back in the mempool after a reorg. */
  waiting: ReadonlyArray<{ txid: string; ranges: readonly CommitRange[]; depth: number | null }>;
  paused: PauseReason | undefined;
  /** Seconds until the next cycle may start, when waiting for the interval. */
  nextTxInSeconds: number | undefined;
}

function within(ranges: readonly CommitRange[], n: number): boolean {
  return ranges.some((r) => n >= r.start && n < r.end);
}

/** The reference's own text, with the chain's name. */
export function defaultReason(chainWord: string): string {
  return `Pending confirmation in ${chainWord} blockchain`;
}

const PAUSE_TEXT: Record<PauseReason, string> = {
  'wallet-empty': 'stamping paused, the wallet has no spendable funds',
  'fee-cap': 'stamping paused, fee cap reached',
  'node-unavailable': 'node unreachable, retrying',
};

/** The reason for commit number `n`, known to be pending (not covered by an anchor record). */
export function pendingReason(view: PendingView, n: number): string {
  const base = defaultReason(view.chainWord);
  const reason = reasonText(view, n, base);
  return isClientSafeReason(reason) ? reason : base;
}

function reasonText(view: PendingView, n: number, base: string): string {
  for (const w of view.waiting) {
    if (!within(w.ranges, n)) continue;
    if (w.depth === null) return `${base}; in unconfirmed transaction ${w.txid}`;
    return `Timestamped by transaction ${w.txid}; ${w.depth} of ${view.confirmations} confirmations`;
  }
  const u = view.unconfirmed;
  if (u !== undefined && within(u.ranges, n)) return `${base}; in unconfirmed transaction ${u.txid}${u.feeCapped ? '; fee cap reached' : ''}`;
  if (view.paused !== undefined) return `${base}; ${PAUSE_TEXT[view.paused]}`;
  if (u !== undefined) return u.feeCapped || u.full === true ? `${base}; waiting for transaction ${u.txid} to confirm` : `${base}; joins transaction ${u.txid} at the next block`;
  if (view.nextTxInSeconds !== undefined && view.nextTxInSeconds > 0) return `${base}; next transaction in about ${Math.max(1, Math.ceil(view.nextTxInSeconds / 60))} min`;
  return base;
}
