/** @module Following a reference calendar through `/experimental/backup/<n>`: fetch each chunk, verify it as `otsd-backup.py` does and more, store it, answer from it (reference-server §6.2). */
import { join } from 'node:path';
import type { Answer } from '../calendar/calendar.js';
import { bytesToHex, type Timestamp } from '../ots/index.js';
import type { AttestationChecker } from './attestation-check.js';
import { BACKUP_CHUNK_COMMITMENTS, BackupFormatError, decodeBackupChunk } from '../backup/index.js';
import { BackupStore } from './backup-store.js';
import { BackupChunkError, NodeUnavailableError, UpstreamUnavailableError, VerificationFailedError } from './errors.js';
import { BodyTooLongError } from '../net/bounded-body.js';
import { HttpClient, RequestFailedError, transientStatus, type FetchFn } from '../net/http-client.js';
import type { FollowerState } from './follower.js';
import { apiUrl } from '../journal/index.js';
import { ProofGraph, ProofGraphError } from '../backup/index.js';
import { sleep } from '../net/sleep.js';
import type { Log } from '../log/log.js';

/** Largest chunk accepted: a real one (1,000 proofs, nodes shared) is a few hundred KB. */
const MAX_CHUNK_BYTES = 64 * 1024 * 1024;
const RETRY_LOG_INTERVAL_MS = 30_000;

export interface BackupMirrorOptions {
  /** The store lives in `<dir>/backup`. */
  dir: string;
  upstream: string;
  fetch?: FetchFn;
  userAgent?: string;
  attestations?: AttestationChecker;
  log?: Log;
  /** Wait before asking again for a chunk that does not exist yet (the reference's tool: 60 s). */
  pollMs?: number;
  /** Longest wait for a chunk's headers (default 60 s). */
  timeoutMs?: number;
  /** Longest wait for a chunk's body once its headers came (default: timeoutMs). */
  bodyTimeoutMs?: number;
  /** Largest chunk accepted (default 64 MiB); a longer body is refused before it is all read. */
  maxChunkBytes?: number;
  /** Following, a lag beyond pollMs plus this is `stalled` (readiness says so). Default 15 s. */
  stalledAfterMs?: number;
}

export interface BackupMirrorStats {
  chunksStored: number;
  /** Commitments stored since start (the command reports them as records appended). */
  recordsAppended: number;
  attestationsChecked: number;
  retries: number;
}

/** A verified chunk: its proof graph and the commitments it proves. */
export interface VerifiedChunk {
  graph: ProofGraph;
  roots: Uint8Array[];
  proofs: Array<{ commitment: Uint8Array; timestamp: Timestamp }>;
}

/**
 * Structure first (no node checked against a block before the chunk holds together): the bytes decode, every
 * op applies and leads to a node of the chunk, every node is reached from one of at most 1,000 commitments,
 * every commitment's proof is finite and reaches a block attestation. Then, with a checker, each of those
 * attestations against the node. Throws BackupChunkError / AttestationError / NodeUnavailableError.
 */
export async function verifyBackupChunk(n: number, bytes: Uint8Array, attestations?: AttestationChecker): Promise<VerifiedChunk & { attestationsChecked: number }> {
  let graph: ProofGraph;
  let roots: Uint8Array[];
  const proofs: VerifiedChunk['proofs'] = [];
  try {
    graph = ProofGraph.fromNodes(decodeBackupChunk(bytes));
    roots = graph.roots();
    if (roots.length === 0 || roots.length > BACKUP_CHUNK_COMMITMENTS) throw new BackupChunkError(n, `it proves ${roots.length} commitments, expected 1 to ${BACKUP_CHUNK_COMMITMENTS}`);
    const reached = new Set<string>();
    for (const commitment of roots) {
      const timestamp = graph.timestamp(commitment) as Timestamp;
      const stack: Timestamp[] = [timestamp];
      let block = false;
      for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
        reached.add(bytesToHex(node.msg));
        if (node.attestations.some((a) => a.kind === 'bitcoin' || a.kind === 'litecoin')) block = true;
        for (const { child } of node.ops.values()) stack.push(child);
      }
      if (!block) throw new BackupChunkError(n, `the proof of commitment ${bytesToHex(commitment)} reaches no block attestation`);
      proofs.push({ commitment, timestamp });
    }
    if (reached.size !== graph.size) throw new BackupChunkError(n, `${graph.size - reached.size} nodes are reached from no commitment`);
  } catch (err) {
    if (err instanceof BackupFormatError || err instanceof ProofGraphError) throw new BackupChunkError(n, err.message, { cause: err });
    throw err;
  }
  let attestationsChecked = 0;
  if (attestations) for (const p of proofs) attestationsChecked += await attestations.check(`backup chunk ${n}, commitment ${bytesToHex(p.commitment)}`, p.timestamp);
  return { graph, roots, proofs, attestationsChecked };
}

/**
 * Owner of all mutable fields: its one loop. Contract as the journal follower's: a chunk is stored only after
 * it verified; a verification failure stops following for good and keeps every chunk stored before.
 */
export class BackupMirror {
  readonly store: BackupStore;
  /** The upstream's base URL as shown in logs and errors (no credentials). */
  readonly upstream: string;
  readonly #upstream: string;
  readonly #opts: BackupMirrorOptions;
  readonly #http: HttpClient;
  readonly #log: Log;
  #state: FollowerState = 'idle';
  #failure: VerificationFailedError | undefined;
  #caughtUpAt: number | undefined;
  #controller: AbortController | undefined;
  #loop: Promise<void> | undefined;
  readonly stats: BackupMirrorStats = { chunksStored: 0, recordsAppended: 0, attestationsChecked: 0, retries: 0 };

  private constructor(store: BackupStore, opts: BackupMirrorOptions) {
    this.store = store;
    this.#upstream = opts.upstream;
    this.upstream = HttpClient.shown(opts.upstream);
    this.#opts = opts;
    this.#http = new HttpClient({
      userAgent: opts.userAgent ?? 'ots-calendar-mirror',
      timeoutMs: opts.timeoutMs ?? 60_000,
      ...(opts.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: opts.bodyTimeoutMs } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    this.#log = opts.log ?? (() => undefined);
  }

  static async open(opts: BackupMirrorOptions): Promise<BackupMirror> {
    return new BackupMirror(BackupStore.open(join(opts.dir, 'backup'), opts.log), opts);
  }

  /** As the journal follower's: `stalled` is read from the lag, once the upstream is overdue by more than stalledAfterMs. */
  get state(): FollowerState {
    const overdueMs = (this.lagSeconds() ?? 0) * 1000 - (this.#opts.pollMs ?? 60_000);
    if (this.#state === 'following' && overdueMs > (this.#opts.stalledAfterMs ?? 15_000)) return 'stalled';
    return this.#state;
  }

  get failure(): VerificationFailedError | undefined {
    return this.#failure;
  }

  /** Seconds since the upstream last said it had no further chunk (undefined before it ever did). */
  lagSeconds(now = Date.now()): number | undefined {
    return this.#caughtUpAt === undefined ? undefined : (now - this.#caughtUpAt) / 1000;
  }

  /** A stored commitment's proof, else unknown (the reference's backup server also answers only "Not found"). */
  answer(commitment: Uint8Array): Answer {
    const proof = this.store.proof(commitment);
    return proof ? { kind: 'complete', proof } : { kind: 'unknown' };
  }

  /**
   * Chunk n's bytes, or undefined when the upstream does not have it (any other status but 200, as the
   * reference's tool); a 5xx, 408 or 429 is trouble to retry, not the end of the chunks.
   */
  async #get(n: number, signal: AbortSignal): Promise<Uint8Array | undefined> {
    const url = apiUrl(this.#upstream, `/experimental/backup/${n}`);
    const max = this.#opts.maxChunkBytes ?? MAX_CHUNK_BYTES;
    try {
      return await this.#http.request(url, { signal, redirect: 'follow' }, async (answer) => {
        if (answer.status !== 200) {
          await answer.discard();
          if (transientStatus(answer.status)) throw new UpstreamUnavailableError(answer.url, `HTTP ${answer.status}`);
          return undefined;
        }
        // read in pieces: a body without a length (or a longer one than declared) is cut off at the bound
        return answer.bytes(max);
      });
    } catch (cause) {
      if (cause instanceof VerificationFailedError || cause instanceof UpstreamUnavailableError || signal.aborted) throw cause;
      // a body too long to be a chunk is a lie as much as a chunk that does not verify
      if (cause instanceof BodyTooLongError) throw new BackupChunkError(n, cause.message);
      const reason = cause instanceof RequestFailedError ? cause.reason : cause instanceof Error ? cause.message : String(cause);
      throw new UpstreamUnavailableError(HttpClient.shown(url), reason, { cause });
    }
  }

  /** Fetches, verifies and stores chunks until the upstream has no next one; returns how many were stored. */
  async syncOnce(signal: AbortSignal = new AbortController().signal): Promise<number> {
    let stored = 0;
    for (;;) {
      const n = this.store.chunks;
      let bytes: Uint8Array | undefined;
      try {
        bytes = await this.#get(n, signal);
      } catch (err) {
        if (err instanceof VerificationFailedError) this.#fail(err);
        throw err;
      }
      if (bytes === undefined) {
        this.#caughtUpAt = Date.now();
        if (this.#state !== 'failed') this.#state = 'following';
        return stored;
      }
      if (this.#state !== 'failed') this.#state = 'catching-up';
      let verified: Awaited<ReturnType<typeof verifyBackupChunk>>;
      try {
        verified = await verifyBackupChunk(n, bytes, this.#opts.attestations);
      } catch (err) {
        if (err instanceof VerificationFailedError) this.#fail(err);
        throw err;
      }
      this.store.add(n, bytes, verified.graph, verified.roots);
      stored++;
      this.stats.chunksStored++;
      this.stats.recordsAppended += verified.roots.length;
      this.stats.attestationsChecked += verified.attestationsChecked;
      this.#log('info', 'backup chunk verified and stored', { chunk: n, commitments: verified.roots.length, bytes: bytes.length });
    }
  }

  #fail(err: VerificationFailedError): void {
    if (this.#failure) return;
    this.#failure = err;
    this.#state = 'failed';
    this.#log('error', 'mirror stopped following: the upstream served data that does not verify; nothing of it was stored, the mirror keeps serving what it verified before', {
      upstream: this.upstream,
      code: err.code,
      error: err.message,
      chunks: this.store.chunks,
    });
  }

  start(): void {
    if (this.#loop || this.#failure) return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#loop = this.#run(controller.signal).finally(() => {
      this.#loop = undefined;
    });
  }

  async #run(signal: AbortSignal): Promise<void> {
    const pollMs = this.#opts.pollMs ?? 60_000;
    let delay = 500;
    let lastRetryLog = 0;
    this.#log('info', 'following upstream through backup chunks', { upstream: this.upstream, from: this.store.chunks });
    while (!signal.aborted) {
      try {
        await this.syncOnce(signal);
        delay = 500;
        await sleep(pollMs, signal);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof VerificationFailedError) return;
        this.stats.retries++;
        const now = Date.now();
        if (now - lastRetryLog >= RETRY_LOG_INTERVAL_MS) {
          const transient = err instanceof UpstreamUnavailableError || err instanceof NodeUnavailableError;
          this.#log(transient ? 'warn' : 'error', transient ? 'mirror: will retry' : 'mirror: unexpected error; will retry', { error: err instanceof Error ? err.message : String(err), retryMs: delay });
          lastRetryLog = now;
        }
        await sleep(delay, signal);
        delay = Math.min(delay * 2, pollMs);
      }
    }
  }

  async stop(): Promise<void> {
    this.#controller?.abort();
    await this.#loop;
    if (this.#state !== 'failed') this.#state = 'stopped';
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
