/**
 * @module The one contract every anchoring strategy meets (DESIGN §4b): how the calendar's ordered list of strategies (the wallet, upstream calendars, donated transactions) shares the pending commitments so that no two take the same ones, and what each shows.
 *
 * Contract (style rule 8), for every strategy:
 * - `poll` is one pass of its work; it never throws (a failure becomes a condition, shown in `problems`, and is
 *   retried at a later poll) and is never called again before it settled.
 * - It takes commitments only through `ctx.pending` (those no other strategy holds and that were handed to it),
 *   and holds them (`held`) from the moment it has acted on them until their anchor record is written or it
 *   gives them back with `ctx.release` (which hands them to the next strategy of the list).
 * - Everything it must remember to finish what it started is in its own file under `state/`, written durably
 *   before it acts (a broadcast, a submission to another calendar, an anchor record).
 * - It appends anchor records through the ledger only once its proof is complete and checked against the node:
 *   an anchor record never ends in a pending attestation.
 * - `status`, `problems` and `pendingReason` are public (welcome page, /status, 404 bodies): no node address,
 *   wallet name, credential or error detail.
 */
import type { StatusValue } from './stamper-status.js';
import type { CommitRange } from '../journal/index.js';
import type { Registry } from '../metrics/registry.js';

/** What a strategy may do with the pending commitments during one poll. */
export interface StrategyContext {
  /**
   * Pending commitments this strategy may take now, oldest first, at most `limit`, at most as many ranges as an
   * anchor record can name: not covered by a live anchor, not held by another strategy, handed to this one
   * (new commitments go to the first strategy; given back, to the next), and not in `exclude`.
   */
  pending(limit: number, exclude?: ReadonlyArray<CommitRange>): CommitRange[];
  /** Gives commitments back (a master that does not answer, a proof refused): the next strategy may take them. */
  release(ranges: ReadonlyArray<CommitRange>, why: string): void;
}

export type StrategyKind = 'wallet' | 'upstream' | 'external';

export interface AnchorStrategy {
  readonly kind: StrategyKind;
  /** How the page and the logs name it: "wallet", "upstream calendar a.example.org". */
  readonly name: string;
  poll(ctx: StrategyContext): Promise<void>;
  /** Resolves once the poll in progress ended (or after a bound); no poll starts afterwards. */
  stop(): Promise<void>;
  /** The commitments it holds now. */
  held(): CommitRange[];
  /** The 404 reason for pending commit number `n`, when this strategy holds it or is about to take it. */
  pendingReason(n: number): string | undefined;
  /** The merkle tip it publishes (GET /tip): the tip of a transaction being built, if it builds one. */
  tip(): Uint8Array | undefined;
  /** Client-safe descriptions of what keeps it from anchoring (empty when healthy). */
  problems(): string[];
  /** The newest anchor it wrote that is not revoked (journal seq, block height, block time when known), if it remembers one. */
  lastAnchor(): { seq: number; height: number; blockTime: number | undefined } | undefined;
  /** A flat, public record for the status page and /status. */
  status(): Record<string, StatusValue>;
  /** Registers its metrics (labelled with its kind and name where needed). */
  registerMetrics(r: Registry): void;
}
