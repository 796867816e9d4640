/**
 * @module Applying journal records to the index, in sequence: commit entries, anchor and revocation entries, each anchor checked and its tree stored; a failed write puts the index in a failed state that `heal` leaves once it can write again.
 *
 * Contract: `apply` is the only way records enter the index. The journal calls it (as an append listener)
 * after each durable flush, before the appends resolve, so a commitment is answerable the moment its POST
 * returns. It never throws: a gap or a failed write is kept in `failure` (the calendar answers 503 and
 * /readyz "not ready" meanwhile). Owned by one event loop; not safe across processes.
 */
import type { Journal, JournalRecord, RecordLocation } from '../journal/index.js';
import type { Log } from '../log/log.js';
import type { AnchorIndexFile } from './anchor-index-file.js';
import type { AnchorInfo, AnchorSet } from './anchor-set.js';
import type { AnchorTrees } from './anchor-trees.js';
import { type CommitEntry, type CommitIndexFile, fingerprintOf, readU32 } from './commit-index.js';
import { AnchorOutOfRangeError, AnchorTipMismatchError, IndexFailedError } from './errors.js';
import { countLeaves } from './proof-assembly.js';

export type LocatedRecord = { record: JournalRecord; loc: RecordLocation };

/** Heal attempts start at most this often (a readiness probe may ask many times a second). */
const HEAL_INTERVAL_MS = 1000;

export class IndexWriter {
  readonly #journal: Journal;
  readonly #commits: CommitIndexFile;
  readonly #anchorFile: AnchorIndexFile;
  readonly #trees: AnchorTrees;
  readonly #anchors: AnchorSet;
  readonly #log: Log;
  /** Called when a revocation changed what is covered: cached answers are stale. */
  readonly #onRevoke: () => void;
  #indexedSize = 0;
  #failure: Error | undefined;
  #healing: Promise<boolean> | undefined;
  #lastHealAt = 0;

  constructor(o: { journal: Journal; commits: CommitIndexFile; anchorFile: AnchorIndexFile; trees: AnchorTrees; anchors: AnchorSet; log: Log; onRevoke: () => void }) {
    this.#journal = o.journal;
    this.#commits = o.commits;
    this.#anchorFile = o.anchorFile;
    this.#trees = o.trees;
    this.#anchors = o.anchors;
    this.#log = o.log;
    this.#onRevoke = o.onRevoke;
  }

  /** Journal records covered (= the journal's size when caught up). */
  get indexedSize(): number {
    return this.#indexedSize;
  }

  /** Set once the index failed to follow the journal; cleared by a successful `heal`. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Loads the anchors and revocations listed in anchors.idx, as the consistency check read them, and continues after record `from` (open). */
  resumeAt(from: number, listed: readonly LocatedRecord[]): void {
    const stored = this.#trees.storedSeqs();
    for (const { record, loc } of listed) {
      if (record.type === 'anchor') this.#addAnchor(record, loc, false, stored);
      else if (record.type === 'revocation') this.#revoke(record.revocation.anchorSeq);
    }
    this.#indexedSize = from;
  }

  /** Re-derives records [indexedSize, journal head) from the journal, reporting progress; throws on failure (open). */
  async catchUp(progress?: (done: number, total: number) => void): Promise<void> {
    const size = this.#journal.head().size;
    const from = this.#indexedSize;
    if (from >= size) return;
    const total = size - from;
    if (total > 1000) this.#log('info', 'index catching up with the journal', { from, records: total });
    let batch: LocatedRecord[] = [];
    let done = 0;
    for await (const located of this.#journal.scan(from)) {
      if (located.record.seq >= size) break;
      batch.push(located);
      if (batch.length >= 65_536) {
        this.#applyOrThrow(batch);
        done += batch.length;
        batch = [];
        progress?.(done, total);
      }
    }
    this.#applyOrThrow(batch);
    progress?.(done + batch.length, total);
  }

  #applyOrThrow(batch: readonly LocatedRecord[]): void {
    this.apply(batch);
    if (this.#failure) throw this.#failure;
  }

  /** Indexes records just made durable, in sequence. Never throws: a failure is kept in `failure`. */
  apply(records: readonly LocatedRecord[]): void {
    if (this.#failure) return;
    try {
      this.#applyRecords(records);
    } catch (cause) {
      this.#failure = cause instanceof IndexFailedError ? cause : new IndexFailedError('the index could not be written', { cause });
      this.#log('error', 'index failed; it re-derives what it missed from the journal once it can write again', { err: this.#failure, cause });
    }
  }

  #applyRecords(records: readonly LocatedRecord[]): void {
    const commits: CommitEntry[] = [];
    let next = this.#indexedSize;
    for (const { record, loc } of records) {
      if (record.seq < next) continue; // already indexed
      if (record.seq !== next) throw new IndexFailedError(`index expected journal record ${next}, got ${record.seq}`);
      if (record.type === 'commit') {
        commits.push({ time: readU32(record.commitment, 0), fingerprint: fingerprintOf(record.commitment), seq: loc.seq, offset: loc.offset });
      } else {
        // commit entries first: an anchor's tree is built from the commitments the index holds
        this.#commits.append(commits.splice(0));
        this.#anchorFile.append({ kind: record.type, seq: loc.seq, offset: loc.offset }, record);
        if (record.type === 'anchor') this.#addAnchor(record, loc, true);
        else this.#revoke(record.revocation.anchorSeq);
      }
      next = record.seq + 1;
    }
    this.#commits.append(commits);
    this.#indexedSize = next;
  }

  /**
   * After a failure (a write error such as a full disk): cuts what the failed write left, re-derives from the
   * journal every record the index missed, and resumes. Resolves true once healthy, false if it still cannot
   * write. Concurrent calls share one attempt; attempts start at most once a second.
   */
  heal(): Promise<boolean> {
    if (!this.#failure) return Promise.resolve(true);
    if (this.#healing) return this.#healing;
    if (Date.now() - this.#lastHealAt < HEAL_INTERVAL_MS) return Promise.resolve(false);
    this.#lastHealAt = Date.now();
    this.#healing = this.#heal().finally(() => {
      this.#healing = undefined;
    });
    return this.#healing;
  }

  async #heal(): Promise<boolean> {
    try {
      this.#commits.dropPartial();
      this.#anchorFile.truncateToCount(this.#anchorFile.entries.length);
      const lastAnchor = this.#anchorFile.entries.at(-1);
      // the failed write may have been the tree of an anchor already listed in anchors.idx
      if (lastAnchor?.kind === 'anchor' && !this.#anchors.get(lastAnchor.seq)) this.#loadListed('anchor', lastAnchor);
      const lastCommit = this.#commits.count > 0 ? this.#commits.entry(this.#commits.count - 1).seq : -1;
      this.#indexedSize = Math.max(lastCommit, lastAnchor?.seq ?? -1) + 1;
      for (;;) {
        // checked and cleared with no await in between: no append can complete unseen
        const size = this.#journal.head().size;
        if (this.#indexedSize >= size) {
          this.#failure = undefined;
          this.#log('info', 'index resumed', { records: size });
          return true;
        }
        const batch: LocatedRecord[] = [];
        for await (const located of this.#journal.scan(this.#indexedSize)) {
          if (located.record.seq >= size) break;
          batch.push(located);
        }
        this.#applyRecords(batch);
      }
    } catch (err) {
      this.#log('warn', 'index still cannot follow the journal', { err });
      return false;
    }
  }

  #loadListed(kind: 'anchor' | 'revocation', loc: RecordLocation): void {
    const r = this.#journal.readSync(loc);
    if (r.type === 'anchor' && kind === 'anchor') this.#addAnchor(r, loc, false);
    else if (r.type === 'revocation' && kind === 'revocation') this.#revoke(r.revocation.anchorSeq);
  }

  /**
   * Adds an anchor after checking it: its ranges lie within the commitments indexed so far and its tip is the
   * merkle tip of their leaves. A bad anchor is logged and ignored (its commitments stay pending) — the journal
   * is the truth, but a proof is only served when it is right.
   */
  #addAnchor(r: Extract<JournalRecord, { type: 'anchor' }>, loc: RecordLocation, fresh: boolean, stored?: ReadonlySet<number>): void {
    const a = r.anchor;
    const info: AnchorInfo = { seq: loc.seq, offset: loc.offset, tip: a.tip, ranges: a.ranges, timestamp: a.timestamp, leafCount: countLeaves(a.ranges), revoked: false };
    // an anchor without a tree is checked again (a bad one never had a tree); a tree of the wrong size is rebuilt when read
    if (fresh || !(stored ? stored.has(info.seq) : this.#trees.has(info))) {
      try {
        this.#trees.store(info);
      } catch (err) {
        if (!(err instanceof AnchorTipMismatchError || err instanceof AnchorOutOfRangeError)) throw err;
        this.#log('error', 'ignoring an anchor record that does not verify', { anchorSeq: loc.seq, err });
        return;
      }
    }
    this.#anchors.add(info);
  }

  #revoke(anchorSeq: number): void {
    if (this.#anchors.revoke(anchorSeq)) this.#onRevoke();
  }
}
