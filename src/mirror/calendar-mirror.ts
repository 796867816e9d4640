/** @module One mirrored calendar on disk: its journal (byte-identical to the upstream's), the index derived from it, the follower, and its answers. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../journal/index.js';
import { CalendarIndex, trustedIndexedLocation } from '../index/index.js';
import { PENDING_REASON, type Answer } from '../calendar/calendar.js';
import type { AttestationChecker } from './attestation-check.js';
import type { VerificationFailedError } from './errors.js';
import { JournalFollower, type FollowerProgress } from './follower.js';
import { JournalClient } from './journal-client.js';
import { withoutCredentials, type FetchFn } from '../net/http-client.js';
import type { Log } from '../log/log.js';

export interface CalendarMirrorOptions {
  /** Holds `journal/` and `index/`, the same layout as a calendar's data directory. */
  dir: string;
  /** Base URL of the calendar (its journal API is under `/journal/`). */
  upstream: string;
  fetch?: FetchFn;
  userAgent?: string;
  attestations?: AttestationChecker;
  log?: Log;
  onProgress?: (p: FollowerProgress) => void;
  onFailure?: (err: VerificationFailedError) => void;
  /** Progress of rebuilding the index from a long local journal on open. */
  onIndexProgress?: (done: number, total: number) => void;
  /** Tail wait at the head (see JournalFollower). */
  waitMs?: number;
  /** Records per segment of a new journal; by default the upstream's, so the segment files are identical too. */
  segmentRecords?: number;
  /** Aborts asking a new mirror's upstream for its head. */
  signal?: AbortSignal;
}

const UPSTREAM_FILE = 'upstream';

/**
 * Open with `CalendarMirror.open`, then `follower.start()` (a server) or `follower.catchUp()` (a client that
 * syncs now and then). `answer` is what `GET /timestamp` serves: byte for byte the upstream's complete proofs,
 * and the default pending reason for commitments not anchored yet.
 */
export class CalendarMirror {
  readonly upstream: string;
  readonly journal: Journal;
  readonly index: CalendarIndex;
  readonly follower: JournalFollower;
  readonly client: JournalClient;

  private constructor(upstream: string, journal: Journal, index: CalendarIndex, client: JournalClient, follower: JournalFollower) {
    this.upstream = upstream;
    this.journal = journal;
    this.index = index;
    this.client = client;
    this.follower = follower;
  }

  /** Whether `dir` holds no mirrored journal yet: opening it then needs the upstream's head (or `segmentRecords`). */
  static isNew(dir: string): boolean {
    return !existsSync(join(dir, 'journal', 'journal.format'));
  }

  /**
   * Opens (creating) the mirror in `opts.dir`. A new journal asks the upstream for its segment size first, so
   * this rejects (UpstreamUnavailableError) when the upstream cannot be reached and none was given.
   */
  static async open(opts: CalendarMirrorOptions): Promise<CalendarMirror> {
    const log = opts.log ?? (() => undefined);
    const client = new JournalClient(opts.upstream, { ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.userAgent ? { userAgent: opts.userAgent } : {}) });
    const journalDir = join(opts.dir, 'journal');
    let segmentRecords = opts.segmentRecords;
    if (segmentRecords === undefined && CalendarMirror.isNew(opts.dir)) segmentRecords = (await client.head(opts.signal)).segmentRecords;
    mkdirSync(opts.dir, { recursive: true });
    noteUpstream(opts.dir, opts.upstream, client.base, log);
    // as a calendar's: recovery may cut a torn tail, never a record the index already saw durable
    const verifiedUpTo = trustedIndexedLocation(join(opts.dir, 'index'), log);
    const journal = await Journal.open({ dir: journalDir, log, verifiedBy: 'the index', ...(segmentRecords === undefined ? {} : { segmentRecords }), ...(verifiedUpTo ? { verifiedUpTo } : {}) });
    try {
      const index = await CalendarIndex.open({ dir: join(opts.dir, 'index'), journal, log, ...(opts.onIndexProgress ? { progress: opts.onIndexProgress } : {}) });
      const follower = new JournalFollower({
        journal,
        index,
        client,
        log,
        ...(opts.attestations ? { attestations: opts.attestations } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.onFailure ? { onFailure: opts.onFailure } : {}),
        ...(opts.waitMs !== undefined ? { waitMs: opts.waitMs } : {}),
      });
      return new CalendarMirror(opts.upstream, journal, index, client, follower);
    } catch (err) {
      await journal.close();
      throw err;
    }
  }

  /** The complete proof of a commitment given as lower-case hex when the proof cache holds it; undefined: ask `answer`. */
  cachedProof(key: string): Uint8Array | undefined {
    return this.index.cachedProof(key);
  }

  /** Where a commitment stands according to the records mirrored so far. */
  answer(commitment: Uint8Array, key?: string): Answer {
    const found = this.index.lookup(commitment, key);
    if (found.kind === 'complete') return { kind: 'complete', proof: found.proof };
    if (found.kind === 'unknown') return found;
    // the upstream's finer reasons (a transaction waiting for confirmations) live in its stamper, not its journal
    return { kind: 'pending', reason: PENDING_REASON, commitNumber: found.commitNumber };
  }

  /** Stops following, then closes the index and the journal. */
  async close(): Promise<void> {
    await this.follower.stop();
    this.index.close();
    await this.journal.close();
  }
}

/**
 * Remembers which upstream the directory mirrors; another one later is allowed (same calendar, new address) but
 * logged — as `shown`, and the old one without credentials either.
 */
function noteUpstream(dir: string, upstream: string, shown: string, log: Log): void {
  const path = join(dir, UPSTREAM_FILE);
  const stored = existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
  if (stored === upstream) return;
  if (stored !== undefined) log('warn', 'mirror: the upstream address changed; the head-hash chain still has to match what is stored', { old: withoutCredentials(stored), upstream: shown });
  writeFileSync(path, `${upstream}\n`);
}
