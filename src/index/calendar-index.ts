/** @module The derived index of a calendar journal: commitment → commit number → anchor → complete proof (DESIGN §2 "Index"). */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hash } from 'node:crypto';
import type { Journal, JournalRecord, RecordLocation } from '../journal/index.js';
import { OP_SHA256, encodeOps, merkleLevels, merklePath } from '../ots/index.js';
import { CommitIndexFile, fingerprintOf, type CommitEntry } from './commit-index.js';
import { AnchorIndexFile } from './anchor-index-file.js';
import { AnchorSet, type AnchorInfo } from './anchor-set.js';
import { BoundedCache } from './bounded-cache.js';

export const COMMITMENT_LENGTH = 44;

export type Lookup =
  | { kind: 'complete'; proof: Uint8Array; anchor: AnchorInfo; commitNumber: number }
  | { kind: 'pending'; commitNumber: number }
  | { kind: 'unknown' };

export type IndexLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface IndexOptions {
  dir: string;
  journal: Journal;
  log?: IndexLog;
  /** Leaves of anchor trees kept in memory (each leaf costs about 70 bytes with its tree). */
  treeCacheLeaves?: number;
  /** Assembled complete proofs kept in memory. */
  proofCacheEntries?: number;
  /** Progress while catching up on a long journal tail. */
  progress?: (done: number, total: number) => void;
}

export class AnchorTipMismatchError extends Error {
  readonly code = 'anchor-tip-mismatch';
  constructor(readonly anchorSeq: number) {
    super(`anchor record ${anchorSeq}: the merkle tip of the commitments it names differs from the tip it states`);
    this.name = 'AnchorTipMismatchError';
  }
}

/**
 * Everything here is derived from the journal and rebuilt by `reindex`. Files are written without fsync:
 * on open they are checked against the journal and the missing tail is re-derived from it.
 */
export class CalendarIndex {
  readonly #journal: Journal;
  readonly #commits: CommitIndexFile;
  readonly #anchorFile: AnchorIndexFile;
  readonly anchors = new AnchorSet();
  readonly #log: IndexLog;
  readonly #trees: BoundedCache<number, Uint8Array[][]>;
  readonly #proofs: BoundedCache<string, Lookup>;
  #indexedSize = 0;
  #unsubscribe: (() => void) | undefined;

  private constructor(opts: IndexOptions, commits: CommitIndexFile, anchorFile: AnchorIndexFile) {
    this.#journal = opts.journal;
    this.#commits = commits;
    this.#anchorFile = anchorFile;
    this.#log = opts.log ?? (() => undefined);
    this.#trees = new BoundedCache(opts.treeCacheLeaves ?? 2_000_000, (levels) => levels[0]?.length ?? 1);
    this.#proofs = new BoundedCache(opts.proofCacheEntries ?? 50_000, () => 1);
  }

  static async open(opts: IndexOptions): Promise<CalendarIndex> {
    mkdirSync(opts.dir, { recursive: true });
    const commits = CommitIndexFile.open(join(opts.dir, 'commits.idx'));
    const anchorFile = AnchorIndexFile.open(join(opts.dir, 'anchors.idx'));
    const index = new CalendarIndex(opts, commits, anchorFile);
    await index.#catchUp(opts.progress);
    index.#unsubscribe = opts.journal.onAppend((records) => index.apply(records));
    return index;
  }

  /** Number of commit records indexed. */
  get commitCount(): number {
    return this.#commits.count;
  }

  /** Journal records covered (= journal size when caught up). */
  get indexedSize(): number {
    return this.#indexedSize;
  }

  get lastCommitTime(): number {
    return this.#commits.lastTime;
  }

  async #catchUp(progress?: (done: number, total: number) => void): Promise<void> {
    const size = this.#journal.head().size;
    // Never ahead of the journal: drop what names records the journal does not hold (a cut torn tail).
    this.#truncateCommitsTo(size);
    this.#anchorFile.truncateToJournal(size);
    this.#verifyLastEntry();
    for (const e of this.#anchorFile.entries) this.#loadAnchorEntry(e.kind, { seq: e.seq, offset: e.offset });
    const lastCommit = this.#commits.count > 0 ? this.#commits.entry(this.#commits.count - 1).seq : -1;
    const lastAnchor = this.#anchorFile.entries.at(-1)?.seq ?? -1;
    const from = Math.max(lastCommit, lastAnchor) + 1;
    this.#indexedSize = from;
    if (from >= size) return;
    const total = size - from;
    this.#log('info', 'index catching up with the journal', { from, records: total });
    let batch: Array<{ record: JournalRecord; loc: RecordLocation }> = [];
    let done = 0;
    for await (const { record, loc } of this.#journal.scan(from)) {
      if (record.seq >= size) break;
      batch.push({ record, loc });
      if (batch.length >= 65_536) {
        this.apply(batch);
        done += batch.length;
        batch = [];
        progress?.(done, total);
      }
    }
    this.apply(batch);
    done += batch.length;
    progress?.(done, total);
  }

  #truncateCommitsTo(size: number): void {
    let lo = 0;
    let hi = this.#commits.count;
    // first entry whose seq >= size (seqs increase with commit numbers)
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#commits.entry(mid).seq < size) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.#commits.count) this.#commits.truncate(lo);
  }

  /** The last entry must name a journal commit record with the same time and fingerprint; otherwise rebuild. */
  #verifyLastEntry(): void {
    const n = this.#commits.count;
    if (n === 0) return;
    const e = this.#commits.entry(n - 1);
    let ok = false;
    try {
      const r = this.#journal.readSync({ seq: e.seq, offset: e.offset });
      ok = r.type === 'commit' && r.seq === e.seq && readU32(r.commitment, 0) === e.time && fingerprintOf(r.commitment) === e.fingerprint;
    } catch {
      ok = false;
    }
    if (!ok) {
      this.#log('warn', 'index does not match the journal; rebuilding it', { entries: n });
      this.#commits.truncate(0);
      this.#anchorFile.truncateToCount(0);
    }
  }

  #loadAnchorEntry(kind: 'anchor' | 'revocation', loc: RecordLocation): void {
    const r = this.#journal.readSync(loc);
    if (kind === 'anchor' && r.type === 'anchor') this.#addAnchor(r, loc);
    else if (kind === 'revocation' && r.type === 'revocation') this.#revoke(r.revocation.anchorSeq);
    else throw new RangeError(`anchors.idx names record ${loc.seq} as ${kind}, the journal holds a ${r.type} record`);
  }

  /** Indexes records just made durable (idempotent: records already indexed are skipped). */
  apply(records: ReadonlyArray<{ record: JournalRecord; loc: RecordLocation }>): void {
    const commits: CommitEntry[] = [];
    for (const { record, loc } of records) {
      if (record.seq < this.#indexedSize) continue; // already indexed (catch-up racing a live append)
      if (record.type === 'commit') {
        commits.push({ time: readU32(record.commitment, 0), fingerprint: fingerprintOf(record.commitment), seq: loc.seq, offset: loc.offset });
      } else {
        // keep commit entries before the anchor, so an anchor never names commitments the index lacks
        this.#commits.append(commits.splice(0));
        this.#anchorFile.append({ kind: record.type, seq: loc.seq, offset: loc.offset });
        if (record.type === 'anchor') this.#addAnchor(record, loc);
        else this.#revoke(record.revocation.anchorSeq);
      }
      this.#indexedSize = record.seq + 1;
    }
    this.#commits.append(commits);
  }

  #addAnchor(r: Extract<JournalRecord, { type: 'anchor' }>, loc: RecordLocation): void {
    const a = r.anchor;
    const leafCount = a.ranges.reduce((s, x) => s + (x.end - x.start), 0);
    this.anchors.add({ seq: loc.seq, offset: loc.offset, tip: a.tip, ranges: a.ranges, timestamp: a.timestamp, leafCount, revoked: false });
  }

  #revoke(anchorSeq: number): void {
    const a = this.anchors.revoke(anchorSeq);
    if (a) {
      this.#trees.delete(a.seq);
      this.#proofs.clear();
    }
  }

  /** Commit number of a 44-byte commitment, or -1. */
  commitNumberOf(commitment: Uint8Array): number {
    if (commitment.length !== COMMITMENT_LENGTH) return -1;
    for (const n of this.#commits.candidates(readU32(commitment, 0), fingerprintOf(commitment))) {
      if (Buffer.compare(this.commitment(n), commitment) === 0) return n;
    }
    return -1;
  }

  commitment(n: number): Uint8Array {
    const e = this.#commits.entry(n);
    const r = this.#journal.readSync({ seq: e.seq, offset: e.offset });
    if (r.type !== 'commit') throw new RangeError(`commit ${n} names journal record ${e.seq}, which is a ${r.type} record`);
    return r.commitment;
  }

  lookup(commitment: Uint8Array): Lookup {
    const key = Buffer.from(commitment.buffer, commitment.byteOffset, commitment.byteLength).toString('hex');
    const cached = this.#proofs.get(key);
    if (cached) return cached;
    const n = this.commitNumberOf(commitment);
    if (n < 0) return { kind: 'unknown' };
    const anchor = this.anchors.find(n);
    if (!anchor) return { kind: 'pending', commitNumber: n };
    const found: Lookup = { kind: 'complete', proof: this.#assemble(anchor, n), anchor, commitNumber: n };
    this.#proofs.set(key, found);
    return found;
  }

  /** commitment → sha256 → aggregation path → the anchor's timestamp from its tip. */
  #assemble(anchor: AnchorInfo, n: number): Uint8Array {
    const levels = this.#tree(anchor);
    const path = [OP_SHA256, ...merklePath(levels, AnchorSet.leafIndex(anchor, n))];
    const head = encodeOps(path);
    const out = new Uint8Array(head.length + anchor.timestamp.length);
    out.set(head, 0);
    out.set(anchor.timestamp, head.length);
    return out;
  }

  #tree(anchor: AnchorInfo): Uint8Array[][] {
    const cached = this.#trees.get(anchor.seq);
    if (cached) return cached;
    const levels = merkleLevels(this.anchorLeaves(anchor));
    const root = levels.at(-1)?.[0];
    if (!root || Buffer.compare(root, anchor.tip) !== 0) throw new AnchorTipMismatchError(anchor.seq);
    this.#trees.set(anchor.seq, levels);
    return levels;
  }

  /** sha256 of every commitment the anchor covers, in leaf order. */
  anchorLeaves(anchor: Pick<AnchorInfo, 'ranges'>): Uint8Array[] {
    const leaves: Uint8Array[] = [];
    for (const r of anchor.ranges) {
      for (const c of this.commitments(r.start, r.end - r.start)) leaves.push(hash('sha256', c, 'buffer'));
    }
    return leaves;
  }

  commitments(from: number, count: number): Uint8Array[] {
    return this.#commits.entries(from, count).map((e) => {
      const r = this.#journal.readSync({ seq: e.seq, offset: e.offset });
      if (r.type !== 'commit') throw new RangeError(`journal record ${e.seq} is not a commit record`);
      return r.commitment;
    });
  }

  close(): void {
    this.#unsubscribe?.();
    this.#commits.close();
    this.#anchorFile.close();
  }
}

/**
 * The last journal record the index holds, read from its files alone: the journal was durable up to there
 * when it was indexed, so the journal's recovery may never cut it (`verifiedUpTo`). Undefined without an index.
 */
export function lastIndexedLocation(dir: string): RecordLocation | undefined {
  const commitsPath = join(dir, 'commits.idx');
  const anchorsPath = join(dir, 'anchors.idx');
  if (!existsSync(commitsPath) && !existsSync(anchorsPath)) return undefined;
  const commits = existsSync(commitsPath) ? CommitIndexFile.open(commitsPath) : undefined;
  const anchors = existsSync(anchorsPath) ? AnchorIndexFile.open(anchorsPath) : undefined;
  try {
    const c = commits && commits.count > 0 ? commits.entry(commits.count - 1) : undefined;
    const a = anchors?.entries.at(-1);
    const last = c && a ? (c.seq > a.seq ? c : a) : (c ?? a);
    return last ? { seq: last.seq, offset: last.offset } : undefined;
  } finally {
    commits?.close();
    anchors?.close();
  }
}

/** Deletes the index files so the next open rebuilds them from the journal. */
export function removeIndexFiles(dir: string): void {
  rmSync(join(dir, 'commits.idx'), { force: true });
  rmSync(join(dir, 'anchors.idx'), { force: true });
}

function readU32(b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0;
}
