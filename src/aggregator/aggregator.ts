/** @module The aggregator: collects digests for one tick, gives each a nonce, builds the merkle tree, commits its root upstream and answers every waiting request with its own path (reference-server §2). */
import { randomBytes } from 'node:crypto';
import { TAG_APPEND, TAG_SHA256, merkleLevels, merklePathSize, sha256Into, writeMerklePath } from '../ots/index.js';

/** Bytes of the nonce appended to every digest: the requester learns nothing about the others in its tick. */
export const NONCE_LENGTH = 16;
/** Longest digest accepted, as the reference (clients send 32). */
export const MAX_DIGEST_LENGTH = 64;

/**
 * Where a tick's merkle root goes: the local calendar (journal) or a remote calendar.
 * Contract: `commit` resolves only once the root's commitment is durable upstream, with the serialized
 * timestamp from the root to its attestation(s); it rejects if that cannot be promised. It may be called
 * again before an earlier call settled (at most MAX_TICKS_IN_FLIGHT calls wait at once); the local calendar
 * stores commitments in call order, and one fsync covers every commitment that waits for it.
 */
export interface Upstream {
  commit(root: Uint8Array): Promise<{ suffix: Uint8Array }>;
}

/**
 * Ticks whose commitment may wait for the upstream at once. While one tick's fsync runs, the next can
 * already hash its batch and queue its commitment, so a slow disk or a stream of full batches does not stall
 * intake; the bound keeps a stalled upstream from gathering ever more ticks.
 */
export const MAX_TICKS_IN_FLIGHT = 4;

/** Intake is full: the edge answers 503 with Retry-After. */
export class PushbackError extends Error {
  readonly code = 'pushback';
  constructor(readonly retryAfterSeconds: number) {
    super('too many digests waiting; try again shortly');
    this.name = 'PushbackError';
  }
}

/** Intake is closed (shutting down). */
export class AggregatorStoppedError extends Error {
  readonly code = 'stopped';
  constructor() {
    super('the aggregator is shutting down');
    this.name = 'AggregatorStoppedError';
  }
}

/** The tick's root could not be committed; nothing was acknowledged. */
export class CommitFailedError extends Error {
  readonly code = 'commit-failed';
  constructor(options: { cause: unknown }) {
    super('the digest could not be committed durably', options);
    this.name = 'CommitFailedError';
  }
}

export interface AggregatorOptions {
  upstream: Upstream;
  /** Tick interval in milliseconds (clients expect about 1 s). */
  tickMs?: number;
  /** Digests waiting at most; beyond it `submit` throws PushbackError. */
  maxQueue?: number;
  /**
   * Digests per commitment at most (0: no cap). When this many wait, their tick runs at once instead of at
   * the next grid point, so under heavy load each tick's work stays short and clients wait less, at the
   * price of more than one commitment per interval.
   */
  maxBatch?: number;
  onTick?: (info: { digests: number; root: Uint8Array; ms: number }) => void;
  onError?: (err: unknown) => void;
}

interface Waiter {
  digest: Uint8Array;
  resolve: (proof: Uint8Array) => void;
  reject: (err: Error) => void;
}

export interface AggregatorStats {
  ticks: number;
  digests: number;
  queued: number;
  lastTickAt: number | undefined;
  lastBatch: number;
  failures: number;
  /** When a tick last failed to commit (ms), if it did. */
  lastFailureAt: number | undefined;
}

export class Aggregator {
  readonly #upstream: Upstream;
  readonly #tickMs: number;
  readonly #maxQueue: number;
  readonly #maxBatch: number;
  readonly #onTick: AggregatorOptions['onTick'];
  readonly #onError: AggregatorOptions['onError'];
  /** Owned by the event loop: submit() pushes, #tick() swaps it out. */
  #queue: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Ticks started and not yet settled; they reach the upstream in the order they started. */
  readonly #inFlight = new Set<Promise<void>>();
  /** A tick was asked for (grid point or full batch) while MAX_TICKS_IN_FLIGHT waited: it runs when one ends. */
  #again = false;
  #earlyAsked = false;
  #stopped = false;
  #nextAt = 0;
  readonly stats: AggregatorStats = { ticks: 0, digests: 0, queued: 0, lastTickAt: undefined, lastBatch: 0, failures: 0, lastFailureAt: undefined };

  constructor(opts: AggregatorOptions) {
    this.#upstream = opts.upstream;
    this.#tickMs = opts.tickMs ?? 1000;
    this.#maxQueue = opts.maxQueue ?? 100_000;
    this.#maxBatch = opts.maxBatch ?? 0;
    this.#onTick = opts.onTick;
    this.#onError = opts.onError;
    if (!(this.#tickMs >= 1)) throw new RangeError(`"tickMs" expected ≥ 1, got ${this.#tickMs}`);
    if (!(Number.isSafeInteger(this.#maxBatch) && this.#maxBatch >= 0)) throw new RangeError(`"maxBatch" expected an integer ≥ 0, got ${this.#maxBatch}`);
  }

  get tickMs(): number {
    return this.#tickMs;
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#schedule();
  }

  /** Resolves with the serialized timestamp from `digest` to the upstream's attestation, once durable. */
  submit(digest: Uint8Array): Promise<Uint8Array> {
    if (this.#stopped) return Promise.reject(new AggregatorStoppedError());
    if (digest.length > MAX_DIGEST_LENGTH) return Promise.reject(new RangeError(`digest longer than ${MAX_DIGEST_LENGTH} bytes`));
    if (this.#queue.length >= this.#maxQueue) {
      return Promise.reject(new PushbackError(1 + Math.round(Math.random() * Math.max(1, this.#tickMs / 500))));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ digest, resolve, reject });
      if (this.#maxBatch > 0 && this.#queue.length >= this.#maxBatch && !this.#earlyAsked && this.#timer) {
        // after the I/O callbacks of this turn, so the request that filled the batch is not held up by it
        this.#earlyAsked = true;
        setImmediate(() => {
          this.#earlyAsked = false;
          // a grid tick may have taken the batch meanwhile
          if (!this.#stopped && this.#full()) this.#run();
        });
      }
    });
  }

  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Stops intake, commits what is waiting (as pipelined ticks), and resolves when every waiter has its answer.
   * After `giveUpAfterMs`, digests not yet in a tick are answered AggregatorStoppedError (503 + Retry-After)
   * instead, so a slow upstream cannot hold a shutdown past its deadline; ticks already submitted are still
   * waited for (their upstream has a timeout of its own).
   */
  async stop(opts: { giveUpAfterMs?: number } = {}): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const giveUp = opts.giveUpAfterMs === undefined ? undefined : setTimeout(() => this.#abandonQueue(), opts.giveUpAfterMs);
    try {
      for (;;) {
        while (this.#queue.length > 0 && this.#inFlight.size < MAX_TICKS_IN_FLIGHT) this.#startTick();
        if (this.#inFlight.size === 0) break;
        await Promise.race(this.#inFlight);
      }
    } finally {
      if (giveUp) clearTimeout(giveUp);
    }
  }

  #abandonQueue(): void {
    const left = this.#queue;
    this.#queue = [];
    const err = new AggregatorStoppedError();
    for (const w of left) w.reject(err);
  }

  /**
   * Ticks sit on a fixed grid (multiples of tickMs). A timer that fired late does not push the next one a
   * whole period away: if its grid point has already passed, it fires at once. A tick does not wait for the
   * previous one's commitment to be durable (see MAX_TICKS_IN_FLIGHT).
   */
  #schedule(): void {
    const now = Date.now();
    this.#nextAt = Math.max(this.#nextAt + this.#tickMs, now - (now % this.#tickMs));
    // the wall clock stepped back: start the grid again from now rather than wait for the old one
    if (this.#nextAt - now > this.#tickMs) this.#nextAt = now - (now % this.#tickMs) + this.#tickMs;
    const delay = Math.max(0, this.#nextAt - now);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      this.#schedule();
      this.#run();
    }, delay);
  }

  /**
   * Starts a tick now, or as soon as fewer than MAX_TICKS_IN_FLIGHT wait for the upstream; and more ticks
   * while full batches remain.
   */
  #run(): void {
    do {
      if (this.#inFlight.size >= MAX_TICKS_IN_FLIGHT) {
        this.#again = true;
        return;
      }
      this.#startTick();
    } while (this.#full());
  }

  #startTick(): void {
    const tick: Promise<void> = this.#tick()
      .catch((err: unknown) => this.#report(err))
      .finally(() => {
        this.#inFlight.delete(tick);
        if ((this.#again || this.#full()) && !this.#stopped) {
          this.#again = false;
          this.#run();
        }
      });
    this.#inFlight.add(tick);
  }

  /** onError, which must not break the aggregator if it throws. */
  #report(err: unknown): void {
    try {
      this.#onError?.(err);
    } catch {
      // the owner's logging failed; the waiters are answered regardless
    }
  }

  #full(): boolean {
    return this.#maxBatch > 0 && this.#queue.length >= this.#maxBatch;
  }

  async #tick(): Promise<void> {
    if (this.#queue.length === 0) return;
    let batch = this.#queue;
    if (this.#maxBatch > 0 && batch.length > this.#maxBatch) {
      // oldest first; the rest go into the next tick, which starts at once (see #run)
      this.#queue = batch.slice(this.#maxBatch);
      batch = batch.slice(0, this.#maxBatch);
    } else {
      this.#queue = [];
    }
    const started = performance.now();
    try {
      await this.#commitBatch(batch, started);
    } catch (cause) {
      // whatever failed (the upstream, or building the answers), no waiter of the batch is left hanging
      this.stats.failures++;
      this.stats.lastFailureAt = Date.now();
      const err = new CommitFailedError({ cause });
      for (const w of batch) w.reject(err);
      this.#report(cause);
    }
  }

  async #commitBatch(batch: Waiter[], started: number): Promise<void> {
    const n = batch.length;
    const nonces = randomBytes(NONCE_LENGTH * n);
    const leaves: Uint8Array[] = new Array(n);
    const flat = Buffer.allocUnsafeSlow(32 * n);
    const scratch = Buffer.allocUnsafe(MAX_DIGEST_LENGTH + NONCE_LENGTH);
    for (let i = 0; i < n; i++) {
      const w = batch[i] as Waiter;
      scratch.set(w.digest, 0);
      nonces.copy(scratch, w.digest.length, i * NONCE_LENGTH, (i + 1) * NONCE_LENGTH);
      sha256Into(scratch.subarray(0, w.digest.length + NONCE_LENGTH), flat, 32 * i);
      leaves[i] = new Uint8Array(flat.buffer, 32 * i, 32);
    }
    const levels = merkleLevels(leaves);
    const root = levels.at(-1)?.[0] as Uint8Array;
    const { suffix } = await this.#upstream.commit(root);
    const responses = encodeResponses(levels, nonces, suffix);
    for (let i = 0; i < n; i++) (batch[i] as Waiter).resolve(responses[i] as Uint8Array);
    this.stats.ticks++;
    this.stats.digests += n;
    this.stats.lastBatch = n;
    this.stats.lastTickAt = Date.now();
    try {
      this.#onTick?.({ digests: n, root, ms: performance.now() - started });
    } catch {
      // metrics or logging failed; the digests are answered
    }
  }
}

/**
 * The answer of every waiting request of a tick, written into one buffer: `append(nonce) sha256`, the leaf's
 * merkle path, then the tick's common suffix (this runs for every digest).
 */
function encodeResponses(levels: readonly (readonly Uint8Array[])[], nonces: Buffer, suffix: Uint8Array): Uint8Array[] {
  const n = levels[0]?.length ?? 0;
  let total = 0;
  for (let i = 0; i < n; i++) total += 3 + NONCE_LENGTH + merklePathSize(levels, i) + suffix.length;
  const out = Buffer.allocUnsafe(total);
  const responses: Uint8Array[] = new Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const start = at;
    out[at++] = TAG_APPEND;
    out[at++] = NONCE_LENGTH;
    nonces.copy(out, at, i * NONCE_LENGTH, (i + 1) * NONCE_LENGTH);
    at += NONCE_LENGTH;
    out[at++] = TAG_SHA256;
    at = writeMerklePath(levels, i, out, at);
    out.set(suffix, at);
    at += suffix.length;
    responses[i] = out.subarray(start, at);
  }
  return responses;
}
