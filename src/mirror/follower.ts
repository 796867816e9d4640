/** @module The journal follower: catches up chunk by chunk, then follows the tail within a second; verifies everything before storing it and stops on the first lie. */
import { FatalJournalError, type Journal, type JournalRecord } from '../journal/index.js';
import type { CalendarIndex } from '../index/index.js';
import type { AttestationChecker } from './attestation-check.js';
import { verifyBatch, type LocalJournalView } from './batch-verifier.js';
import { RecentCommitments } from './recent-commitments.js';
import { HeadHashMismatchError, MirrorBufferFullError, NodeUnavailableError, SequenceError, UpstreamProtocolError, UpstreamUnavailableError, VerificationFailedError } from './errors.js';
import type { JournalClient, RecordBatch } from './journal-client.js';
import { CHUNK_RECORDS, JournalHashes, TAIL_PATH, apiUrl, type JournalHeadInfo } from '../journal/index.js';
import { sleep } from '../net/sleep.js';
import type { Log } from '../log/log.js';
import { bytesToHex } from '../ots/index.js';

/** `stalled`: following, but the upstream has given no answer that brought the mirror level for longer than `stalledAfterMs`. */
export type FollowerState = 'idle' | 'catching-up' | 'following' | 'stalled' | 'stopped' | 'failed';


export interface FollowerProgress {
  /** Records the mirror holds. */
  localSize: number;
  /** Records the upstream held when it last said. */
  upstreamSize: number;
}

export interface FollowerStats {
  recordsAppended: number;
  bytesAppended: number;
  batches: number;
  chunksFetched: number;
  tailRequests: number;
  attestationsChecked: number;
  /** Transient failures (upstream or node unavailable), each retried. */
  retries: number;
}

export interface JournalFollowerOptions {
  /** The mirror's own journal: its size is the follower's progress, so a restart resumes where it stopped. */
  journal: Journal;
  /** The index over `journal` (kept current by the journal's append listener): commitments for anchor checks. */
  index: CalendarIndex;
  client: JournalClient;
  /** Checks anchors' attestations against a node before they are stored; absent, only the structure is checked. */
  attestations?: AttestationChecker;
  log?: Log;
  onProgress?: (p: FollowerProgress) => void;
  /** Called once when following stops on a verification failure. */
  onFailure?: (err: VerificationFailedError) => void;
  /** How long one tail request waits at the head for new records. Default 15 s. */
  waitMs?: number;
  /** Chunk requests in flight ahead of the one being verified while catching up (their bytes bounded by the client's buffer). Default 4. */
  prefetch?: number;
  /** A following mirror whose lag exceeds this is `stalled` (readiness says so). Default 15 s. */
  stalledAfterMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** Commitments of the latest batches kept in memory (recent-commitments.ts): 2.9 MB. */
const RECENT_COMMITMENTS = 65_536;

/** At the head, requests that bring nothing are at most this frequent, however soon the upstream answers. */
const MIN_IDLE_POLL_MS = 1_000;

/**
 * A long poll at the head answers as soon as the upstream has a record, so while one is within its wait (plus
 * this much for the network) the mirror knows it is level; past that, it does not.
 */
const POLL_GRACE_MS = 2_000;

/** Transient problems are logged at most this often while they last. */
const RETRY_LOG_INTERVAL_MS = 30_000;


/**
 * Owner of all mutable fields: the one loop started by `start()` or `catchUp()` (never both at once).
 * Contract: nothing reaches the journal before `verifyBatch` and the attestation check passed; a
 * VerificationFailedError stops the follower for good (state `failed`, `failure` set), keeping every record
 * stored before; anything else is retried with backoff.
 */
export class JournalFollower {
  readonly #journal: Journal;
  readonly #index: CalendarIndex;
  readonly #client: JournalClient;
  readonly #attestations: AttestationChecker | undefined;
  readonly #log: Log;
  readonly #opts: JournalFollowerOptions;
  readonly #waitMs: number;
  readonly #prefetch: number;
  readonly #stalledAfterMs: number;
  /** Never `stalled`: that is read from the lag (see `state`). */
  #state: FollowerState = 'idle';
  #failure: VerificationFailedError | FatalJournalError | undefined;
  #head: JournalHeadInfo | undefined;
  #upstreamSize = -1;
  #upstreamHash: Uint8Array | undefined;
  /** When an answer last showed the mirror level with the upstream. */
  #levelAt: number | undefined;
  #behindSince: number | undefined;
  /** When the long poll now waiting at the head was sent, if it was sent right after an answer showed the mirror level. */
  #pollingSince: number | undefined;
  /** The last request was answered (no failure since): a long poll sent now may vouch for the mirror being level. */
  #answered = false;
  #controller: AbortController | undefined;
  #loop: Promise<void> | undefined;
  readonly #inflight = new Map<number, Promise<RecordBatch | undefined>>();
  /** Aborts the requests of the prefetch window when it is dropped, so retries do not pile up requests still waiting. */
  #window = new AbortController();
  /** The last commitments appended. */
  readonly #recent = new RecentCommitments(RECENT_COMMITMENTS);
  #hashes: JournalHashes | undefined;
  readonly stats: FollowerStats = { recordsAppended: 0, bytesAppended: 0, batches: 0, chunksFetched: 0, tailRequests: 0, attestationsChecked: 0, retries: 0 };

  constructor(opts: JournalFollowerOptions) {
    this.#journal = opts.journal;
    this.#index = opts.index;
    this.#client = opts.client;
    this.#attestations = opts.attestations;
    this.#log = opts.log ?? (() => undefined);
    this.#opts = opts;
    this.#waitMs = opts.waitMs ?? 15_000;
    this.#prefetch = opts.prefetch ?? 4;
    this.#stalledAfterMs = opts.stalledAfterMs ?? 15_000;
  }

  get state(): FollowerState {
    if (this.#state === 'following' && (this.lagSeconds() ?? 0) * 1000 > this.#stalledAfterMs) return 'stalled';
    return this.#state;
  }

  /** Why following stopped, when it stopped on a verification failure (or a journal that cannot be written). */
  get failure(): VerificationFailedError | FatalJournalError | undefined {
    return this.#failure;
  }

  /** Records the upstream held when it last said; -1 before it ever answered. */
  get upstreamSize(): number {
    return this.#upstreamSize;
  }

  /** Records the mirror holds. */
  get localSize(): number {
    return this.#journal.head().size;
  }

  /**
   * Seconds the mirror may be behind: the time since it first saw the upstream ahead, or since it last knew it
   * was level — an answer said so, or a long poll sent right after one is still within its wait (so 0 while an
   * honest upstream holds the poll; growing once the poll is overdue, its body dripping or its upstream gone).
   * Undefined before the first answer.
   */
  lagSeconds(now = Date.now()): number | undefined {
    if (this.#behindSince !== undefined) return Math.max(0, now - this.#behindSince) / 1000;
    if (this.#levelAt === undefined) return undefined;
    let known = this.#levelAt;
    if (this.#pollingSince !== undefined) known = Math.max(known, Math.min(now, this.#pollingSince + this.#waitMs + POLL_GRACE_MS));
    return Math.max(0, now - known) / 1000;
  }

  /** Starts following in the background (idempotent); see `state`, `failure` and `stop()`. */
  start(): void {
    if (this.#loop || this.#state === 'failed') return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#loop = this.#run(controller.signal).finally(() => {
      this.#loop = undefined;
    });
  }

  /** Stops following; resolves once no request or append is in flight. */
  async stop(): Promise<void> {
    this.#controller?.abort();
    await this.#loop;
    if (this.#state !== 'failed') this.#state = 'stopped';
  }

  /**
   * One pass up to the upstream's head as it is now, without waiting for more; for clients that sync now and
   * then. Rejects with the first error (transient ones included, nothing retried).
   */
  async catchUp(signal?: AbortSignal): Promise<FollowerProgress> {
    if (this.#loop) throw new RangeError('catchUp() while the follower runs in the background');
    if (this.#failure) throw this.#failure;
    const controller = new AbortController();
    const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    try {
      this.#head = await this.#client.head(combined);
      this.#noteUpstream(this.#head.size, Buffer.from(this.#head.hash, 'hex'));
      const target = this.#head.size;
      // up to the head as it was, or less when a later answer says the upstream holds less (a stale or other replica's head)
      while (this.localSize < Math.min(target, this.#upstreamSize)) await this.#guarded(() => this.#step(combined, 0));
      await this.#guarded(() => this.#step(combined, 0));
      return { localSize: this.localSize, upstreamSize: this.#upstreamSize };
    } finally {
      controller.abort();
      this.#dropWindow();
    }
  }

  async #guarded(step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (err instanceof VerificationFailedError || err instanceof FatalJournalError) this.#fail(err);
      throw err;
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    let delay = this.#opts.retryMinMs ?? 250;
    let lastRetryLog = 0;
    let troubled = false;
    this.#log('info', 'following upstream', { upstream: this.#client.base, from: this.localSize });
    while (!signal.aborted) {
      try {
        if (!this.#head) {
          this.#head = await this.#client.head(signal);
          this.#noteUpstream(this.#head.size, Buffer.from(this.#head.hash, 'hex'));
          this.#answered = true;
          this.#log('info', 'upstream head', { size: this.#head.size, local: this.localSize, segmentRecords: this.#head.segmentRecords });
          if (this.#head.segmentRecords !== this.#journal.segmentRecords) {
            this.#log('warn', 'mirror: the local journal cuts segments elsewhere than the upstream; records are identical, segment files are not', {
              local: this.#journal.segmentRecords,
              upstream: this.#head.segmentRecords,
            });
          }
        }
        const asked = Date.now();
        const got = await this.#step(signal, this.#waitMs);
        this.#answered = true;
        if (troubled) this.#log('info', 'upstream reachable again', { upstream: this.#client.base });
        troubled = false;
        delay = this.#opts.retryMinMs ?? 250;
        // an empty answer that came back at once (no wait asked, or an upstream that does not wait) must not turn into a loop of requests
        if (got === 0 && Date.now() - asked < MIN_IDLE_POLL_MS) await sleep(MIN_IDLE_POLL_MS - (Date.now() - asked), signal);
      } catch (err) {
        this.#dropWindow();
        if (signal.aborted) break;
        if (err instanceof VerificationFailedError || err instanceof FatalJournalError) {
          this.#fail(err);
          return;
        }
        this.stats.retries++;
        this.#answered = false;
        this.#pollingSince = undefined;
        const now = Date.now();
        if (!troubled || now - lastRetryLog >= RETRY_LOG_INTERVAL_MS) {
          const transient = err instanceof UpstreamUnavailableError || err instanceof NodeUnavailableError;
          this.#log(transient ? 'warn' : 'error', transient ? 'mirror: will retry' : 'mirror: unexpected error; will retry', { error: err instanceof Error ? err.message : String(err), retryMs: delay });
          lastRetryLog = now;
        }
        troubled = true;
        await sleep(delay, signal);
        delay = Math.min(delay * 2, this.#opts.retryMaxMs ?? 10_000);
      }
    }
  }

  #fail(err: VerificationFailedError | FatalJournalError): void {
    if (this.#failure) return;
    this.#failure = err;
    this.#state = 'failed';
    this.#pollingSince = undefined;
    this.#log('error', 'mirror stopped following: the upstream served data that does not verify; nothing of it was stored, the mirror keeps serving what it verified before', {
      upstream: this.#client.base,
      code: err.code,
      error: err.message,
      records: this.localSize,
    });
    if (err instanceof VerificationFailedError) this.#opts.onFailure?.(err);
  }

  #noteUpstream(size: number, hash: Uint8Array | undefined): void {
    this.#upstreamSize = size;
    this.#upstreamHash = hash;
    const local = this.localSize;
    this.#pollingSince = undefined;
    if (size > local) {
      this.#behindSince ??= Date.now();
      if (this.#state !== 'failed') this.#state = size - local > (this.#head?.chunkRecords ?? 0) ? 'catching-up' : 'following';
    } else {
      this.#behindSince = undefined;
      this.#levelAt = Date.now();
      if (this.#state !== 'failed') this.#state = 'following';
    }
  }

  #view(): LocalJournalView {
    const head = this.#journal.head();
    const index = this.#index;
    return {
      size: head.size,
      hash: head.hash,
      commitCount: index.commitCount,
      commitments: (from, count) => this.#recent.get(from, count) ?? index.commitments(from, count),
      isAnchor: (seq) => index.anchors.get(seq) !== undefined,
    };
  }

  /** Aborts the prefetch window's requests and gives back the bytes of the chunks it holds. */
  #dropWindow(): void {
    this.#window.abort();
    this.#window = new AbortController();
    for (const p of this.#inflight.values()) p.then((b) => b && this.#client.release(b), () => undefined);
    this.#inflight.clear();
  }

  /** A full chunk, from the prefetch window when it was asked for already; keeps the window filled. */
  #chunk(n: number, signal: AbortSignal): Promise<RecordBatch | undefined> {
    const C = this.#head?.chunkRecords ?? 1;
    const lastFull = Math.floor(this.#upstreamSize / C) - 1;
    const windowSignal = AbortSignal.any([signal, this.#window.signal]);
    for (let k = n; k <= Math.min(lastFull, n + this.#prefetch); k++) {
      if (this.#inflight.has(k)) continue;
      const p = this.#client.chunk(k, windowSignal);
      // consumed (and its error seen) when its turn comes; until then a failure must not be unhandled
      p.catch(() => undefined);
      this.#inflight.set(k, p);
      this.stats.chunksFetched++;
    }
    const p = this.#inflight.get(n) ?? this.#client.chunk(n, signal);
    this.#inflight.delete(n);
    return p;
  }

  /** One request and, when it brought records, one verified append; returns the number of records appended. */
  async #step(signal: AbortSignal, waitMs: number): Promise<number> {
    const pos = this.localSize;
    const C = this.#head?.chunkRecords ?? 1;
    let batch: RecordBatch | undefined;
    if (pos % C === 0 && pos + C <= this.#upstreamSize) {
      try {
        batch = await this.#chunk(pos / C, signal);
      } catch (err) {
        if (!(err instanceof MirrorBufferFullError)) throw err;
        // the chunks prefetched after it hold the buffer: let them go and ask for this one alone
        this.#dropWindow();
        batch = await this.#client.chunk(pos / C, signal);
      }
      // gone from a cache or the upstream shrank: the tail request below tells which
      if (batch === undefined) this.#upstreamSize = pos;
    }
    const fromTail = batch === undefined;
    if (batch === undefined) {
      const ahead = this.#upstreamSize > pos;
      // a long poll sent right after an answer showed the mirror level vouches for it while it waits
      this.#pollingSince = !ahead && this.#answered && this.#behindSince === undefined ? Date.now() : undefined;
      this.stats.tailRequests++;
      batch = await this.#client.tail(pos, ahead ? 0 : waitMs, signal);
    }
    try {
      if (fromTail) {
        const size = batch.upstreamSize ?? -1;
        if (size < pos) await this.#behind(size, batch.upstreamHash);
        // an honest upstream answers from one snapshot: holding more, it sends some (else the follower would ask again at once, forever)
        if (batch.count === 0 && size > pos) throw new UpstreamProtocolError(apiUrl(this.#client.base, TAIL_PATH), `it holds ${size} records but sent none from ${pos}`);
        if (batch.count === 0 && size === pos && batch.upstreamHash && Buffer.compare(batch.upstreamHash, this.#journal.head().hash) !== 0) {
          throw new HeadHashMismatchError(pos, bytesToHex(this.#journal.head().hash), bytesToHex(batch.upstreamHash));
        }
      }
      if (batch.count > 0) await this.#apply(batch);
    } finally {
      this.#client.release(batch);
    }
    if (batch.upstreamSize !== undefined) this.#noteUpstream(batch.upstreamSize, batch.upstreamHash);
    else this.#noteUpstream(Math.max(this.#upstreamSize, batch.first + batch.count), this.#upstreamHash);
    return batch.count;
  }

  /**
   * The upstream holds fewer records than the mirror: a lie when its head hash is not ours at that size; else it
   * is behind (a lagging replica behind the same address, a restore), which is waited out like any outage.
   */
  async #behind(size: number, stated: Uint8Array | undefined): Promise<never> {
    this.#hashes ??= new JournalHashes(this.#journal, this.#head?.chunkRecords ?? CHUNK_RECORDS);
    const ours = await this.#hashes.at(size);
    if (stated === undefined || Buffer.compare(ours, stated) !== 0) {
      throw new SequenceError(`the upstream holds ${size} records, fewer than the ${this.localSize} the mirror verified, and not the same ones; it lost or rewrote records`);
    }
    throw new UpstreamUnavailableError(apiUrl(this.#client.base, TAIL_PATH), `it holds ${size} records, the ${size} first of the ${this.localSize} the mirror holds; waiting for it to catch up`);
  }

  #remember(commitsBefore: number, records: readonly JournalRecord[]): void {
    const commitments: Uint8Array[] = [];
    for (const r of records) if (r.type === 'commit') commitments.push(r.commitment);
    this.#recent.append(commitsBefore, commitments);
  }

  async #apply(batch: RecordBatch): Promise<void> {
    // anchors are checked against the index's commitments: a stale index would make honest anchors look forged
    if (this.#index.failure || this.#index.indexedSize !== this.localSize) {
      throw new Error(`the index stopped following the mirrored journal at record ${this.#index.indexedSize} of ${this.localSize}; following resumes after a restart rebuilds it`, { cause: this.#index.failure });
    }
    const verified = verifyBatch(batch, this.#view());
    if (this.#attestations) {
      for (const a of verified.anchors) this.stats.attestationsChecked += await this.#attestations.check(`anchor record ${a.seq}`, a.timestamp);
    }
    const commitsBefore = this.#index.commitCount;
    await this.#journal.appendRaw(batch.bytes);
    this.#remember(commitsBefore, verified.records);
    this.stats.recordsAppended += batch.count;
    this.stats.bytesAppended += batch.bytes.length;
    this.stats.batches++;
    this.#opts.onProgress?.({ localSize: this.localSize, upstreamSize: Math.max(this.#upstreamSize, this.localSize) });
  }
}
