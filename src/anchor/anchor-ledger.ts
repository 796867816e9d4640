/**
 * @module The calendar as the stamper sees it (the seam to src/calendar): which commitments are pending, their merkle tip, and the durable anchor and revocation records.
 */
import type { AnchorInfo } from '../index/anchor-set.js';
import { type CommitRange, MAX_ANCHOR_RANGES } from '../journal/index.js';
import { merkleRoot } from '../ots/index.js';

/**
 * Contract (style rule 8), met by `Calendar`:
 * - `appendAnchor` is durable and indexed on resolve, and idempotent: the same tip and ranges as a live
 *   anchor return that anchor's sequence number without writing again;
 * - `appendRevocation` is durable and indexed on resolve; not idempotent (callers check `revoked`);
 * - the index reads are synchronous and see every durable record.
 */
export interface AnchorLedger {
  readonly index: {
    readonly commitCount: number;
    readonly anchors: {
      uncovered(count: number, limit: number, exclude?: ReadonlyArray<CommitRange>): CommitRange[];
      get(seq: number): Pick<AnchorInfo, 'tip' | 'ranges' | 'revoked'> | undefined;
    };
    /** sha256 of each commitment in `ranges`, in order: the leaves of the anchor's merkle tree. */
    anchorLeaves(anchor: { ranges: ReadonlyArray<CommitRange> }): Uint8Array[];
  };
  appendAnchor(anchor: { tip: Uint8Array; ranges: ReadonlyArray<CommitRange>; timestamp: Uint8Array }): Promise<number>;
  appendRevocation(anchorSeq: number, reason: string): Promise<void>;
}

export function countOf(ranges: ReadonlyArray<CommitRange>): number {
  return ranges.reduce((s, r) => s + (r.end - r.start), 0);
}

/**
 * The commitments the next version commits to: every commitment no live anchor covers and no
 * transaction waiting for depth holds, oldest first, at most `limit` of them and at most as many
 * ranges as an anchor record can name.
 */
export function pendingRanges(ledger: AnchorLedger, limit: number, exclude: ReadonlyArray<CommitRange>): CommitRange[] {
  const ranges = ledger.index.anchors.uncovered(ledger.index.commitCount, limit, exclude);
  return ranges.length > MAX_ANCHOR_RANGES ? ranges.slice(0, MAX_ANCHOR_RANGES) : ranges;
}

/** The OpenTimestamps merkle root over sha256(commitment) of `ranges`: what the OP_RETURN carries. */
export function tipOf(ledger: AnchorLedger, ranges: ReadonlyArray<CommitRange>): Uint8Array {
  return merkleRoot(ledger.index.anchorLeaves({ ranges }));
}
