/** @module The calendar service: turns each tick's root into a durable commitment and answers where any commitment stands (DESIGN §1–2). */
import { Timestamp, encodePath, opAppend, opPrepend, pendingAttestation } from '../ots/index.js';
import type { Journal, JournalEntry } from '../journal/index.js';
import { IndexFailedError, type CalendarIndex, type Lookup } from '../index/index.js';
import type { Upstream } from '../aggregator/aggregator.js';
import { CommitmentMaker } from './commitment.js';

/** The reference's reason for a known commitment that is not anchored yet (clients show it to users). */
export const PENDING_REASON = 'Pending confirmation in Bitcoin blockchain';

/**
 * Says more precisely where a pending commitment stands (e.g. "in tx X with N of M confirmations").
 * Returns undefined to use the default reason. Provided by the anchoring side.
 */
export type PendingStatus = (commitNumber: number) => string | undefined;

export type Answer =
  | { kind: 'complete'; proof: Uint8Array }
  | { kind: 'pending'; reason: string; commitNumber: number }
  | { kind: 'unknown' };

export interface CalendarOptions {
  journal: Journal;
  index: CalendarIndex;
  hmacKey: Uint8Array;
  uri: string;
  /** Unix seconds; injectable for tests. */
  now?: () => number;
}

type Ranges = ReadonlyArray<{ start: number; end: number }>;

/**
 * Contract: every method that writes resolves only once its record is fsynced and indexed (the index follows
 * the journal as its append listener); if the index could not follow, it rejects with IndexFailedError and
 * nothing may be acknowledged. Reads (`answer`) are synchronous.
 */
export class Calendar implements Upstream {
  readonly journal: Journal;
  readonly index: CalendarIndex;
  readonly uri: string;
  readonly #maker: CommitmentMaker;
  readonly #now: () => number;
  #pendingStatus: PendingStatus = () => undefined;

  constructor(opts: CalendarOptions) {
    this.journal = opts.journal;
    this.index = opts.index;
    this.uri = opts.uri;
    // Validates the URI now, not at the first submission (the reference's aggregator died on a bad one).
    pendingAttestation(opts.uri);
    this.#maker = new CommitmentMaker(opts.hmacKey, opts.index.lastCommitTime);
    this.#now = opts.now ?? (() => Date.now() / 1000);
  }

  setPendingStatus(fn: PendingStatus): void {
    this.#pendingStatus = fn;
  }

  async #append(entry: JournalEntry): Promise<number> {
    const [loc] = await this.journal.append([entry]);
    if (!loc) throw new RangeError('journal append returned no location');
    if (this.index.failure) {
      // the record is durable; the index re-derives it (and any other it missed) once it can write again
      void this.index.heal();
      throw this.index.failure;
    }
    if (this.index.indexedSize <= loc.seq) throw new IndexFailedError(`journal record ${loc.seq} is durable but not indexed`);
    return loc.seq;
  }

  /** Durable on resolve: the commit record is fsynced and indexed before the path is returned. */
  async commit(root: Uint8Array): Promise<{ suffix: Uint8Array }> {
    const { commitment, time, mac } = this.#maker.make(root, this.#now());
    await this.#append({ type: 'commit', commitment });
    const t = new Uint8Array(4);
    new DataView(t.buffer).setUint32(0, time, false);
    return { suffix: encodePath([opPrepend(t), opAppend(mac)], pendingAttestation(this.uri)) };
  }

  /**
   * Records that the commitments in `ranges` (commit numbers, end exclusive) are anchored: `timestamp` is the
   * serialized timestamp from their merkle tip to the attestation. Checked first (style rule 6): the timestamp
   * must end in block-header attestations only (AnchorNotFinalError: never a pending one), the ranges must name
   * indexed commitments and the tip must be their merkle tip. Durable and indexed on resolve.
   * Idempotent: an anchor already in the journal with the same tip and ranges is not written twice
   * (a crash between the journal write and the stamper's own state file replays it). Resolves null, writing
   * nothing, when another live anchor covers every one of its commitments already (the first complete anchor
   * wins; one that covers some of them is written, and the index keeps the earlier anchor for those).
   */
  async appendAnchor(anchor: { tip: Uint8Array; ranges: Ranges; timestamp: Uint8Array }): Promise<number | null> {
    for (const a of this.index.anchors.all()) {
      if (!a.revoked && Buffer.compare(a.tip, anchor.tip) === 0 && sameRanges(a.ranges, anchor.ranges)) return a.seq;
    }
    checkFinal(anchor.tip, anchor.timestamp);
    this.index.checkAnchor(anchor);
    // the first complete anchor wins: one whose every commitment is anchored already is not written
    if (anchor.ranges.every((r) => allCovered(this.index, r))) return null;
    const ranges = anchor.ranges.map((r) => ({ start: r.start, end: r.end }));
    return this.#append({ type: 'anchor', anchor: { tip: anchor.tip, ranges, timestamp: anchor.timestamp } });
  }

  /** Records that an anchor was undone (a reorg deeper than the confirmation depth); its commitments become pending. */
  async appendRevocation(anchorSeq: number, reason: string): Promise<void> {
    await this.#append({ type: 'revocation', revocation: { anchorSeq, reason } });
  }

  /**
   * Where a commitment stands: its complete proof, pending (with a reason), or unknown to this calendar. `key`, the
   * commitment in lower-case hex when the caller has it already, spares the proof cache encoding it again.
   */
  /** The complete proof of a commitment given as lower-case hex when the proof cache holds it; undefined: ask `answer`. */
  cachedProof(key: string): Uint8Array | undefined {
    return this.index.cachedProof(key);
  }

  answer(commitment: Uint8Array, key?: string): Answer {
    const found: Lookup = this.index.lookup(commitment, key);
    if (found.kind === 'complete') return { kind: 'complete', proof: found.proof };
    if (found.kind === 'unknown') return found;
    const reason = this.#pendingStatus(found.commitNumber) ?? PENDING_REASON;
    return { kind: 'pending', reason, commitNumber: found.commitNumber };
  }
}

/** An anchor's timestamp does not end where a complete proof must: only in block-header attestations. */
export class AnchorNotFinalError extends Error {
  readonly code = 'anchor-not-final';
  constructor(detail: string) {
    super(`an anchor's timestamp must end in block-header attestations only: ${detail}`);
    this.name = 'AnchorNotFinalError';
  }
}

function checkFinal(tip: Uint8Array, timestamp: Uint8Array): void {
  let attestations: ReturnType<Timestamp['allAttestations']>;
  try {
    attestations = Timestamp.fromBytes(timestamp, tip).allAttestations();
  } catch (err) {
    throw new AnchorNotFinalError(`it does not decode from the tip (${err instanceof Error ? err.message : String(err)})`);
  }
  if (attestations.length === 0) throw new AnchorNotFinalError('it has no attestation');
  const other = attestations.find(({ attestation }) => attestation.kind !== 'bitcoin' && attestation.kind !== 'litecoin');
  if (other !== undefined) throw new AnchorNotFinalError(`it ends in a ${other.attestation.kind} attestation`);
}

/** True when every commitment of `r` is covered by a live anchor. */
function allCovered(index: CalendarIndex, r: { start: number; end: number }): boolean {
  return index.anchors.uncovered(r.end, 1, [{ start: 0, end: r.start }]).length === 0;
}

function sameRanges(a: Ranges, b: Ranges): boolean {
  return a.length === b.length && a.every((r, i) => r.start === b[i]?.start && r.end === b[i]?.end);
}
