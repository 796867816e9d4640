/**
 * @module The derived index of a calendar journal: commitment → commit number → anchor → complete proof (DESIGN §2 "Index").
 *
 * Contract:
 * - Derived only from the journal; `reindex` (remove the files, open) rebuilds it. Files are written without
 *   fsync and checked against the journal on open; whatever is missing or inconsistent is re-derived.
 * - `apply` is the only way records enter it. The journal calls it (as an append listener) after each durable
 *   flush, before the appends resolve, so a commitment is answerable the moment its POST returns. Records
 *   must come in sequence: a gap or a failed write puts the index in a failed state (`failure`), which the
 *   calendar turns into 503s and /readyz into "not ready", until `heal()` re-derives from the journal what
 *   the index missed (or a restart does).
 * - Lookups are synchronous (preads) and never modify anything. Unknown commitments are `{ kind: 'unknown' }`.
 * - Not usable after `close()`.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hash } from 'node:crypto';
import { COMMITMENT_BYTES, type Journal, type JournalRecord, type RecordLocation } from '../journal/index.js';
import { TAG_SHA256, merkleLevels, merklePathSize, writeMerklePath } from '../ots/index.js';
import { CommitIndexFile, fingerprintOf, type CommitEntry, type IndexWrite } from './commit-index.js';
import { AnchorIndexFile } from './anchor-index-file.js';
import { AnchorSet, type AnchorInfo } from './anchor-set.js';
import { BoundedCache } from './bounded-cache.js';
import { BLOCK_LEAVES, TreeStore, type UpperTree } from './tree-store.js';
import type { Log } from '../log/log.js';

export type Lookup =
  | { kind: 'complete'; proof: Uint8Array; anchor: AnchorInfo; commitNumber: number }
  | { kind: 'pending'; commitNumber: number }
  | { kind: 'unknown' };


export interface IndexOptions {
  dir: string;
  journal: Journal;
  log?: Log;
  /** Bytes of anchor upper trees kept in memory. */
  treeCacheBytes?: number;
  /** Bytes of assembled complete proofs kept in memory. */
  proofCacheBytes?: number;
  /** Progress while catching up on a long journal tail. */
  progress?: (done: number, total: number) => void;
  /** Writes to the index files (fault injection in tests); fs.writeSync by default. */
  write?: IndexWrite;
}

/** An anchor record whose stated tip is not the merkle tip of the commitments it names. */
export class AnchorTipMismatchError extends Error {
  readonly code = 'anchor-tip-mismatch';
  constructor(readonly anchorSeq: number) {
    super(`anchor record ${anchorSeq}: the merkle tip of the commitments it names differs from the tip it states`);
    this.name = 'AnchorTipMismatchError';
  }
}

/** An anchor names commitments the journal does not hold (before it). */
export class AnchorRangeError extends Error {
  readonly code = 'anchor-range';
  constructor(readonly anchorSeq: number, commitCount: number) {
    super(`anchor record ${anchorSeq} names commitments beyond the ${commitCount} the journal holds`);
    this.name = 'AnchorRangeError';
  }
}

/** The index could not keep up with the journal (a failed write, or records out of sequence). */
export class IndexFailedError extends Error {
  readonly code = 'index-failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IndexFailedError';
  }
}

type Ranges = ReadonlyArray<{ start: number; end: number }>;

/** Memory a cached 32-byte node costs with its object header (for cache budgets). */
const NODE_COST = 128;

export class CalendarIndex {
  readonly #journal: Journal;
  readonly #commits: CommitIndexFile;
  readonly #anchorFile: AnchorIndexFile;
  readonly #trees: TreeStore;
  readonly anchors = new AnchorSet();
  readonly #log: Log;
  readonly #proofs: BoundedCache<string, Lookup>;
  /** The lowest levels of recently used blocks of leaves: the other proofs of a block skip their reads and hashing. */
  readonly #blocks = new BoundedCache<string, Uint8Array[][]>(16 << 20, (levels) => levels.reduce((sum, l) => sum + l.length * NODE_COST, 200));
  #indexedSize = 0;
  #failure: Error | undefined;
  #lastChecked: { key: string; levels: Uint8Array[][] } | undefined;
  #healing: Promise<boolean> | undefined;
  #lastHealAt = 0;
  #unsubscribe: (() => void) | undefined;

  private constructor(opts: IndexOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.#journal = opts.journal;
    this.#commits = CommitIndexFile.open(join(opts.dir, 'commits.idx'), opts.write);
    this.#anchorFile = AnchorIndexFile.open(join(opts.dir, 'anchors.idx'), opts.write);
    this.#trees = new TreeStore(join(opts.dir, 'trees'), opts.treeCacheBytes ?? 64 << 20);
    this.#log = opts.log ?? (() => undefined);
    this.#proofs = new BoundedCache(opts.proofCacheBytes ?? 32 << 20, (l) => (l.kind === 'complete' ? l.proof.length + 200 : 100));
  }

  static async open(opts: IndexOptions): Promise<CalendarIndex> {
    const index = new CalendarIndex(opts);
    await index.#catchUp(opts.progress);
    index.#unsubscribe = opts.journal.onAppend((records) => index.apply(records));
    return index;
  }

  /** Number of commit records indexed. */
  get commitCount(): number {
    return this.#commits.count;
  }

  /** Journal records covered (= the journal's size when caught up). */
  get indexedSize(): number {
    return this.#indexedSize;
  }

  get lastCommitTime(): number {
    return this.#commits.lastTime;
  }

  /** Set once the index failed to follow the journal; it stays failed until reopened. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  async #catchUp(progress?: (done: number, total: number) => void): Promise<void> {
    const size = this.#journal.head().size;
    const from = this.#consistentPrefix(size);
    for (const e of this.#anchorFile.entries) this.#loadAnchorEntry(e.kind, { seq: e.seq, offset: e.offset });
    this.#indexedSize = from;
    if (from >= size) return;
    const total = size - from;
    if (total > 1000) this.#log('info', 'index catching up with the journal', { from, records: total });
    let batch: Array<{ record: JournalRecord; loc: RecordLocation }> = [];
    let done = 0;
    for await (const { record, loc } of this.#journal.scan(from)) {
      if (record.seq >= size) break;
      batch.push({ record, loc });
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

  #applyOrThrow(batch: ReadonlyArray<{ record: JournalRecord; loc: RecordLocation }>): void {
    this.apply(batch);
    if (this.#failure) throw this.#failure;
  }

  /**
   * Where re-deriving starts: just after the last indexed commit, if both files agree with the journal up to
   * it; otherwise 0 (everything is rebuilt). Anchor entries after that commit are dropped and re-derived, so
   * the two unsynced files can never disagree about what they hold.
   */
  #consistentPrefix(size: number): number {
    const commits = this.#commits;
    // never ahead of the journal (a cut torn tail)
    let lo = 0;
    let hi = commits.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (commits.entry(mid).seq < size) lo = mid + 1;
      else hi = mid;
    }
    if (lo < commits.count) commits.truncate(lo);
    if (commits.count === 0) return this.#rebuildFrom0();
    const last = commits.entry(commits.count - 1);
    const kept = this.#anchorFile.entries.filter((e) => e.seq < last.seq);
    const consistent =
      this.#entryMatchesJournal(last) &&
      // every record below the last commit is either a commit (counted) or an anchor/revocation (listed)
      commits.count === last.seq + 1 - kept.length &&
      kept.every((e) => this.#kindAt(e.seq, e.offset) === e.kind);
    if (!consistent) {
      this.#log('warn', 'index does not match the journal; rebuilding it', { commitments: commits.count });
      return this.#rebuildFrom0();
    }
    if (kept.length !== this.#anchorFile.entries.length) this.#anchorFile.truncateToCount(kept.length);
    return last.seq + 1;
  }

  #rebuildFrom0(): number {
    this.#commits.truncate(0);
    this.#anchorFile.truncateToCount(0);
    this.#trees.clear();
    return 0;
  }

  #entryMatchesJournal(e: CommitEntry): boolean {
    try {
      const r = this.#journal.readSync({ seq: e.seq, offset: e.offset });
      return r.type === 'commit' && r.seq === e.seq && readU32(r.commitment, 0) === e.time && fingerprintOf(r.commitment) === e.fingerprint;
    } catch {
      return false;
    }
  }

  #kindAt(seq: number, offset: number): string | undefined {
    try {
      const r = this.#journal.readSync({ seq, offset });
      return r.seq === seq ? r.type : undefined;
    } catch {
      return undefined;
    }
  }

  #loadAnchorEntry(kind: 'anchor' | 'revocation', loc: RecordLocation): void {
    const r = this.#journal.readSync(loc);
    if (r.type === 'anchor' && kind === 'anchor') this.#addAnchor(r, loc, false);
    else if (r.type === 'revocation' && kind === 'revocation') this.#revoke(r.revocation.anchorSeq);
  }

  /** Indexes records just made durable, in sequence. Never throws: a failure is kept in `failure`. */
  apply(records: ReadonlyArray<{ record: JournalRecord; loc: RecordLocation }>): void {
    if (this.#failure) return;
    try {
      this.#applyRecords(records);
    } catch (cause) {
      this.#failure = cause instanceof IndexFailedError ? cause : new IndexFailedError('the index could not be written', { cause });
      this.#log('error', 'index failed; it re-derives what it missed from the journal once it can write again', { err: this.#failure, cause });
    }
  }

  #applyRecords(records: ReadonlyArray<{ record: JournalRecord; loc: RecordLocation }>): void {
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
        this.#anchorFile.append({ kind: record.type, seq: loc.seq, offset: loc.offset });
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
    if (Date.now() - this.#lastHealAt < 1000) return Promise.resolve(false);
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
      if (lastAnchor?.kind === 'anchor' && !this.anchors.get(lastAnchor.seq)) this.#loadAnchorEntry('anchor', lastAnchor);
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
        const batch: Array<{ record: JournalRecord; loc: RecordLocation }> = [];
        for await (const { record, loc } of this.#journal.scan(this.#indexedSize)) {
          if (record.seq >= size) break;
          batch.push({ record, loc });
        }
        this.#applyRecords(batch);
      }
    } catch (err) {
      this.#log('warn', 'index still cannot follow the journal', { err });
      return false;
    }
  }

  /**
   * Adds an anchor after checking it: its ranges lie within the commitments indexed so far and its tip is the
   * merkle tip of their leaves. A bad anchor is logged and ignored (its commitments stay pending) — the journal
   * is the truth, but a proof is only served when it is right.
   */
  #addAnchor(r: Extract<JournalRecord, { type: 'anchor' }>, loc: RecordLocation, fresh: boolean): void {
    const a = r.anchor;
    const info: AnchorInfo = { seq: loc.seq, offset: loc.offset, tip: a.tip, ranges: a.ranges, timestamp: a.timestamp, leafCount: countLeaves(a.ranges), revoked: false };
    if (fresh || !this.#trees.read(loc.seq, info.leafCount)) {
      try {
        this.#buildTree(info);
      } catch (err) {
        if (!(err instanceof AnchorTipMismatchError || err instanceof AnchorRangeError)) throw err;
        this.#log('error', 'ignoring an anchor record that does not verify', { anchorSeq: loc.seq, err });
        return;
      }
    }
    this.anchors.add(info);
  }

  #buildTree(anchor: AnchorInfo): void {
    this.#trees.write(anchor.seq, this.checkAnchor(anchor, anchor.seq));
    this.#lastChecked = undefined;
  }

  /**
   * The merkle levels of an anchor's leaves, after checking that its ranges name indexed commitments and
   * that its tip is their merkle tip (AnchorRangeError, AnchorTipMismatchError). The last result is kept,
   * so checking an anchor before appending it and indexing it right after hash its tree once.
   */
  checkAnchor(anchor: { tip: Uint8Array; ranges: Ranges }, seq = this.#journal.head().size): Uint8Array[][] {
    const key = `${Buffer.from(anchor.tip).toString('hex')}:${anchor.ranges.map((r) => `${r.start}-${r.end}`).join(',')}`;
    if (this.#lastChecked?.key === key) return this.#lastChecked.levels;
    if (anchor.ranges.length === 0 || anchor.ranges.some((x) => !(x.start >= 0 && x.end > x.start && x.end <= this.#commits.count))) {
      throw new AnchorRangeError(seq, this.#commits.count);
    }
    const levels = merkleLevels(this.anchorLeaves(anchor));
    if (Buffer.compare(levels.at(-1)?.[0] ?? new Uint8Array(), anchor.tip) !== 0) throw new AnchorTipMismatchError(seq);
    this.#lastChecked = { key, levels };
    return levels;
  }

  #revoke(anchorSeq: number): void {
    if (this.anchors.revoke(anchorSeq)) {
      this.#proofs.clear();
      this.#blocks.clear();
    }
  }

  /** Commit number of a 44-byte commitment, or -1. */
  commitNumberOf(commitment: Uint8Array): number {
    if (commitment.length !== COMMITMENT_BYTES) return -1;
    for (const { n, entry } of this.#commits.candidates(readU32(commitment, 0), fingerprintOf(commitment))) {
      if (Buffer.compare(this.#commitmentAt(entry, n), commitment) === 0) return n;
    }
    return -1;
  }

  commitment(n: number): Uint8Array {
    return this.#commitmentAt(this.#commits.entry(n), n);
  }

  #commitmentAt(e: CommitEntry, n: number): Uint8Array {
    const r = this.#journal.readSync({ seq: e.seq, offset: e.offset });
    if (r.type !== 'commit') throw new RangeError(`commit ${n} names journal record ${e.seq}, which is a ${r.type} record`);
    return r.commitment;
  }

  lookup(commitment: Uint8Array): Lookup {
    const key = Buffer.from(commitment.buffer, commitment.byteOffset, commitment.byteLength).toString('hex');
    const cached = this.#proofs.get(key);
    if (cached) return cached;
    if (commitment.length !== COMMITMENT_BYTES) return { kind: 'unknown' };
    for (const { n, entry } of this.#commits.candidates(readU32(commitment, 0), fingerprintOf(commitment))) {
      const anchor = this.anchors.find(n);
      if (!anchor) {
        if (Buffer.compare(this.#commitmentAt(entry, n), commitment) === 0) return { kind: 'pending', commitNumber: n };
        continue;
      }
      // an anchored candidate is checked against its leaf (sha256 of the stored commitment) in the block its
      // proof needs anyway: one read of the journal instead of two
      const i = AnchorSet.leafIndex(anchor, n);
      const blockLevels = this.#blockLevels(anchor, i);
      const leaf = blockLevels[0]?.[i % BLOCK_LEAVES];
      if (!leaf || Buffer.compare(hash('sha256', commitment, 'buffer'), leaf) !== 0) continue;
      const found: Lookup = { kind: 'complete', proof: this.#assemble(anchor, i, blockLevels), anchor, commitNumber: n };
      this.#proofs.set(key, found);
      return found;
    }
    return { kind: 'unknown' };
  }

  /** The merkle levels of the block of BLOCK_LEAVES leaves holding leaf `i` of an anchor (cached). */
  #blockLevels(anchor: AnchorInfo, i: number): Uint8Array[][] {
    const block = Math.floor(i / BLOCK_LEAVES);
    const first = block * BLOCK_LEAVES;
    const blockKey = `${anchor.seq}:${block}`;
    let levels = this.#blocks.get(blockKey);
    if (!levels) {
      levels = merkleLevels(this.anchorLeaves({ ranges: sliceRanges(anchor.ranges, first, Math.min(BLOCK_LEAVES, anchor.leafCount - first)) }));
      this.#blocks.set(blockKey, levels);
    }
    return levels;
  }

  /** leaf `i`'s commitment → sha256 → path in its block of leaves → path in the stored upper tree → the anchor's timestamp. */
  #assemble(anchor: AnchorInfo, i: number, blockLevels: Uint8Array[][]): Uint8Array {
    const upper = this.#upper(anchor);
    const block = Math.floor(i / BLOCK_LEAVES);
    const inBlock = i - block * BLOCK_LEAVES;
    const size = 1 + merklePathSize(blockLevels, inBlock) + merklePathSize(upper.levels, block) + anchor.timestamp.length;
    const out = new Uint8Array(size);
    out[0] = TAG_SHA256;
    let at = writeMerklePath(blockLevels, inBlock, out, 1);
    at = writeMerklePath(upper.levels, block, out, at);
    out.set(anchor.timestamp, at);
    return out;
  }

  #upper(anchor: AnchorInfo): UpperTree {
    const stored = this.#trees.read(anchor.seq, anchor.leafCount);
    if (stored) return stored;
    this.#buildTree(anchor);
    const built = this.#trees.read(anchor.seq, anchor.leafCount);
    if (!built) throw new RangeError(`tree of anchor ${anchor.seq} could not be stored`);
    return built;
  }

  /** sha256 of every commitment in `ranges` (commit numbers), in order. */
  anchorLeaves(anchor: { ranges: Ranges }): Uint8Array[] {
    const leaves: Uint8Array[] = [];
    for (const r of anchor.ranges) {
      for (const c of this.commitments(r.start, r.end - r.start)) leaves.push(hash('sha256', c, 'buffer'));
    }
    return leaves;
  }

  /** Commitments [from, from + count), read in runs (one pread per run of a journal segment). */
  commitments(from: number, count: number): Uint8Array[] {
    const entries = this.#commits.entries(from, count);
    const out: Uint8Array[] = new Array(entries.length);
    const per = this.#journal.segmentRecords;
    // runs of at most 4096 entries in one segment: a few hundred KB a read
    for (let i = 0; i < entries.length; ) {
      const first = entries[i] as CommitEntry;
      const segment = Math.floor(first.seq / per);
      let j = i + 1;
      while (j < entries.length && j - i < 4096 && Math.floor((entries[j] as CommitEntry).seq / per) === segment) j++;
      const last = entries[j - 1] as CommitEntry;
      const records = this.#journal.readSpanSync({ seq: first.seq, offset: first.offset }, { seq: last.seq, offset: last.offset });
      for (let k = i; k < j; k++) {
        const e = entries[k] as CommitEntry;
        const r = records[e.seq - first.seq];
        if (r?.type !== 'commit' || r.seq !== e.seq) throw new RangeError(`commit ${from + k} names journal record ${e.seq}, which is not a commit record`);
        out[k] = r.commitment;
      }
      i = j;
    }
    return out;
  }

  close(): void {
    this.#unsubscribe?.();
    this.#commits.close();
    this.#anchorFile.close();
  }
}

/** The leaf positions [first, first + count) of an anchor, as commit-number ranges. */
function sliceRanges(ranges: Ranges, first: number, count: number): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let pos = 0;
  for (const r of ranges) {
    const len = r.end - r.start;
    const from = Math.max(first, pos);
    const to = Math.min(first + count, pos + len);
    if (from < to) out.push({ start: r.start + (from - pos), end: r.start + (to - pos) });
    pos += len;
    if (pos >= first + count) break;
  }
  return out;
}

function countLeaves(ranges: Ranges): number {
  return ranges.reduce((s, x) => s + (x.end - x.start), 0);
}

/**
 * The last journal record the index holds, read from its files alone: the journal was durable up to there
 * when it was indexed, so the journal's recovery may never cut it (`verifiedUpTo`). Undefined without an index.
 */
export function lastIndexedLocation(dir: string): RecordLocation | undefined {
  const commitsPath = join(dir, 'commits.idx');
  if (!existsSync(commitsPath)) return undefined;
  const last = CommitIndexFile.lastEntry(commitsPath);
  return last ? { seq: last.seq, offset: last.offset } : undefined;
}

/** Deletes the index files so the next open rebuilds them from the journal. */
export function removeIndexFiles(dir: string): void {
  rmSync(join(dir, 'commits.idx'), { force: true });
  rmSync(join(dir, 'anchors.idx'), { force: true });
  rmSync(join(dir, 'trees'), { recursive: true, force: true });
}

function readU32(b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0;
}

