/**
 * @module The calendar as the stamper sees it (the seam to src/calendar): which commitments are pending, their merkle tip, and the durable anchor and revocation records.
 */
import type { AnchorInfo } from '../index/index.js';
import { type CommitRange, MAX_ANCHOR_RANGES } from '../journal/index.js';
import { merkleRoot } from '../ots/index.js';

/**
 * Contract (style rule 8), met by `Calendar`:
 * - `appendAnchor` is durable and indexed on resolve, and idempotent: the same tip and ranges as a live
 *   anchor return that anchor's sequence number without writing again. It resolves null, writing nothing,
 *   when every commitment it names is covered by another live anchor already (the first complete anchor
 *   wins); it rejects an anchor whose timestamp ends in anything but block-header attestations;
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
  /** `note` says who paid (the calendar ignores it; the anchoring runner shows it on the status page). */
  appendAnchor(anchor: { tip: Uint8Array; ranges: ReadonlyArray<CommitRange>; timestamp: Uint8Array }, note?: AnchorNote): Promise<number | null>;
  appendRevocation(anchorSeq: number, reason: string): Promise<void>;
}

/** What a strategy says about an anchor it writes, for the status page: the transaction, and what this calendar did not pay. */
export interface AnchorNote {
  /** The anchoring transaction, display hex, when the strategy knows it. */
  txid?: string;
  /** Satoshis this calendar did not pay for this anchor (a donor's fee, or what its own transaction would have cost); 0 when it paid. */
  feeNotPaidSats?: number | null;
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

/**
 * {@link tipOf} for successive versions of a cycle: the leaves of commitments already seen are kept
 * (a commit number's commitment never changes: the journal is append-only), so a replacement reads
 * and hashes only the commitments that arrived since, then recomputes the root. Keeps exactly the
 * leaves of the last call, packed in one buffer (32 bytes each; separate hash buffers cost ~300 bytes
 * a leaf). Owned by the stamper's poll.
 */
const READ_SLICE = 4096;

export class TipBuilder {
  readonly #ledger: AnchorLedger;
  /** Commit number → offset of its leaf in #data. */
  #slots = new Map<number, number>();
  #data = new Uint8Array(0);

  constructor(ledger: AnchorLedger) {
    this.#ledger = ledger;
  }

  tip(ranges: ReadonlyArray<CommitRange>): Uint8Array {
    const data = new Uint8Array(countOf(ranges) * 32);
    const slots = new Map<number, number>();
    const leaves: Uint8Array[] = [];
    const put = (n: number, leaf: Uint8Array): void => {
      const at = leaves.length * 32;
      data.set(leaf, at);
      slots.set(n, at);
      leaves.push(data.subarray(at, at + 32));
    };
    for (const r of ranges) {
      let n = r.start;
      while (n < r.end) {
        const at = this.#slots.get(n);
        if (at !== undefined) {
          put(n++, this.#data.subarray(at, at + 32));
          continue;
        }
        // In slices, so the commitments read and their hash buffers die young.
        let end = n + 1;
        while (end < r.end && end - n < READ_SLICE && !this.#slots.has(end)) end++;
        for (const leaf of this.#ledger.index.anchorLeaves({ ranges: [{ start: n, end }] })) put(n++, leaf);
      }
    }
    this.#slots = slots;
    this.#data = data;
    return merkleRoot(leaves);
  }
}
