/**
 * @module The derived index of a calendar journal: commitment → commit number → anchor → complete proof (DESIGN §2 "Index"), as one facade over the modules that do each job.
 *
 * | job | module |
 * |---|---|
 * | files: commit entries, anchor entries, upper trees | commit-index.ts, anchor-index-file.ts, tree-store.ts |
 * | open: how much still agrees with the journal | consistency.ts |
 * | apply records in sequence, failed state, heal | index-writer.ts |
 * | check anchors, store and read their trees | anchor-trees.ts |
 * | answer a commitment (two caches) | proof-lookup.ts, proof-assembly.ts (pure) |
 * | read commitments through commits.idx | commit-reader.ts |
 *
 * Contract:
 * - Derived only from the journal; `reindex` (remove the files, open) rebuilds it. Files are written without
 *   fsync and checked against the journal on open; whatever is missing or inconsistent is re-derived.
 * - `apply` is the only way records enter it (see index-writer.ts); the journal calls it after each durable
 *   flush. A failure is kept in `failure` until `heal()` re-derives what the index missed (or a restart does).
 * - Lookups are synchronous (preads) and never modify anything. Unknown commitments are `{ kind: 'unknown' }`.
 * - Not usable after `close()`.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Journal, RecordLocation } from '../journal/index.js';
import { type Log, silentLog } from '../log/log.js';
import { AnchorIndexFile, RECORDS_SUFFIX } from './anchor-index-file.js';
import { AnchorSet } from './anchor-set.js';
import { AnchorTrees } from './anchor-trees.js';
import { CommitIndexFile, SAMPLES_SUFFIX, type IndexWrite } from './commit-index.js';
import { CommitReader } from './commit-reader.js';
import { consistentPrefix } from './consistency.js';
import { IndexWriter, type LocatedRecord } from './index-writer.js';
import type { Ranges } from './proof-assembly.js';
import { type Lookup, ProofLookup } from './proof-lookup.js';
import { TreeStore } from './tree-store.js';
import { IndexMismatchError } from './errors.js';

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

export const COMMITS_FILE = 'commits.idx';
export const ANCHORS_FILE = 'anchors.idx';
export const TREES_DIR = 'trees';

export class CalendarIndex {
  readonly anchors = new AnchorSet();
  readonly #journal: Journal;
  readonly #commits: CommitIndexFile;
  readonly #anchorFile: AnchorIndexFile;
  readonly #reader: CommitReader;
  readonly #trees: AnchorTrees;
  readonly #lookup: ProofLookup;
  readonly #writer: IndexWriter;
  #unsubscribe: (() => void) | undefined;

  private constructor(opts: IndexOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.#journal = opts.journal;
    this.#commits = CommitIndexFile.open(join(opts.dir, COMMITS_FILE), opts.write);
    this.#anchorFile = AnchorIndexFile.open(join(opts.dir, ANCHORS_FILE), opts.write);
    this.#reader = new CommitReader(opts.journal, this.#commits);
    this.#trees = new AnchorTrees(new TreeStore(join(opts.dir, TREES_DIR), opts.treeCacheBytes ?? 64 << 20), this.#reader, () => this.#commits.count);
    this.#lookup = new ProofLookup(this.#reader, this.anchors, this.#trees, opts.proofCacheBytes ?? 32 << 20);
    this.#writer = new IndexWriter({
      journal: opts.journal,
      commits: this.#commits,
      anchorFile: this.#anchorFile,
      trees: this.#trees,
      anchors: this.anchors,
      log: opts.log ?? silentLog,
      onRevoke: () => {
        this.#lookup.clear();
      },
    });
  }

  /** Opens the index files, re-derives whatever the journal holds beyond them, and follows the journal's appends. */
  static async open(opts: IndexOptions): Promise<CalendarIndex> {
    const index = new CalendarIndex(opts);
    try {
      const { from, listed } = consistentPrefix({ commits: index.#commits, anchorFile: index.#anchorFile, trees: index.#trees }, opts.journal, opts.log ?? silentLog);
      index.#writer.resumeAt(from, listed);
      await index.#writer.catchUp(opts.progress);
    } catch (err) {
      index.close();
      throw err;
    }
    index.#unsubscribe = opts.journal.onAppend((records) => index.apply(records));
    return index;
  }

  /** Number of commit records indexed. */
  get commitCount(): number {
    return this.#commits.count;
  }

  /** Journal records covered (= the journal's size when caught up). */
  get indexedSize(): number {
    return this.#writer.indexedSize;
  }

  get lastCommitTime(): number {
    return this.#commits.lastTime;
  }

  /** Set once the index failed to follow the journal; cleared by a successful `heal`. */
  get failure(): Error | undefined {
    return this.#writer.failure;
  }

  /** Indexes records just made durable, in sequence. Never throws: a failure is kept in `failure`. */
  apply(records: readonly LocatedRecord[]): void {
    this.#writer.apply(records);
  }

  /** Resolves true once the index follows the journal again (see IndexWriter.heal). */
  heal(): Promise<boolean> {
    return this.#writer.heal();
  }

  /**
   * The merkle levels of an anchor's leaves, after checking that its ranges name indexed commitments and
   * that its tip is their merkle tip (AnchorOutOfRangeError, AnchorTipMismatchError). `seq` names the anchor
   * in errors: by default the record it would become.
   */
  checkAnchor(anchor: { tip: Uint8Array; ranges: Ranges }, seq = this.#journal.head().size): Uint8Array[][] {
    return this.#trees.check(anchor, seq);
  }

  /** Where a commitment stands; `key` is its lower-case hex when the caller has it (the proof cache's key). */
  lookup(commitment: Uint8Array, key?: string): Lookup {
    return this.#lookup.lookup(commitment, key);
  }

  /** The complete proof the proof cache holds for this lower-case hex commitment, or undefined (ask `lookup`). */
  cachedProof(key: string): Uint8Array | undefined {
    return this.#lookup.cached(key);
  }

  /** Commit number of a commitment (44 bytes, or a 36-byte legacy one), or -1. */
  commitNumberOf(commitment: Uint8Array): number {
    return this.#reader.commitNumberOf(commitment);
  }

  commitment(n: number): Uint8Array {
    return this.#reader.commitment(n);
  }

  /** Commitments [from, from + count), read in runs. */
  commitments(from: number, count: number): Uint8Array[] {
    return this.#reader.commitments(from, count);
  }

  /** sha256 of every commitment in `ranges` (commit numbers), in order. */
  anchorLeaves(anchor: { ranges: Ranges }): Uint8Array[] {
    return this.#reader.leaves(anchor.ranges);
  }

  close(): void {
    this.#unsubscribe?.();
    this.#commits.close();
    this.#anchorFile.close();
    this.#trees.close();
  }
}

/** More records than any journal holds: 2^48 (nine thousand years of a record every millisecond). */
const MAX_JOURNAL_RECORDS = 2 ** 48;

/** Entries checked when the index's last location is read: a real index has them in strictly increasing journal order. */
const CHECKED_TAIL = 16;

/**
 * The last journal record the index holds, read from its files alone: the journal was durable up to there when
 * it was indexed, so the journal's recovery may never cut it (`verifiedUpTo`). Undefined without an index.
 * Throws {@link IndexMismatchError} when the file's last entries are not an index's (their journal locations do
 * not increase, or lie beyond any journal): a damaged index must not decide what the journal may keep.
 */
export function lastIndexedLocation(dir: string): RecordLocation | undefined {
  const commitsPath = join(dir, COMMITS_FILE);
  if (!existsSync(commitsPath)) return undefined;
  const tail = CommitIndexFile.lastEntries(commitsPath, CHECKED_TAIL);
  const last = tail.at(-1);
  if (last === undefined) return undefined;
  const damaged = tail.some((e, i) => !Number.isSafeInteger(e.seq) || e.seq > MAX_JOURNAL_RECORDS || (i > 0 && e.seq <= (tail[i - 1] as (typeof tail)[number]).seq));
  if (damaged) throw new IndexMismatchError(`its last entries name journal records out of order or beyond any journal (the last names record ${last.seq})`, join(dir, COMMITS_FILE));
  return { seq: last.seq, offset: last.offset };
}

/**
 * {@link lastIndexedLocation}, for opening a calendar or a mirror: a damaged index is logged, removed and
 * rebuilt from the journal on open (it is derived) instead of deciding what the journal may keep.
 */
export function trustedIndexedLocation(dir: string, log: Log): RecordLocation | undefined {
  try {
    return lastIndexedLocation(dir);
  } catch (err) {
    if (!(err instanceof IndexMismatchError)) throw err;
    log('error', 'the index is damaged; it is removed and rebuilt from the journal', { err: err.message });
    removeIndexFiles(dir);
    return undefined;
  }
}

/** Deletes the index files so the next open rebuilds them from the journal. */
export function removeIndexFiles(dir: string): void {
  rmSync(join(dir, COMMITS_FILE), { force: true });
  rmSync(join(dir, COMMITS_FILE + SAMPLES_SUFFIX), { force: true });
  rmSync(join(dir, ANCHORS_FILE), { force: true });
  rmSync(join(dir, ANCHORS_FILE + RECORDS_SUFFIX), { force: true });
  rmSync(join(dir, TREES_DIR), { recursive: true, force: true });
}
