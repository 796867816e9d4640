/** @module Reading an upstream's journal API over HTTP: every answer checked for shape before anyone looks at its bytes (style rule 6). */
import { FRAME_OVERHEAD, MAX_RECORD_PAYLOAD } from '../journal/index.js';
import { MirrorBufferFullError, UpstreamProtocolError, UpstreamUnavailableError } from './errors.js';
import { BodyTooLongError } from '../net/bounded-body.js';
import { BufferFullError, ByteBudget } from '../net/byte-budget.js';
import { HttpClient, RequestFailedError, transientStatus, type FetchFn, type HttpAnswer } from '../net/http-client.js';
import { CHUNK_PREFIX, HEAD_PATH, HEADER, JOURNAL_FORMAT, TAIL_PATH, apiUrl, type JournalHeadInfo } from '../journal/index.js';

/** A run of records as the upstream stores them, with what it states about them. */
export interface RecordBatch {
  first: number;
  count: number;
  bytes: Uint8Array;
  /** Head hash after the last record of `bytes`, as stated by the upstream. */
  hashAfter: Uint8Array;
  /** Tail answers only: the upstream's head when it answered. */
  upstreamSize?: number;
  upstreamHash?: Uint8Array;
  segmentRecords?: number;
}

export interface JournalClientOptions {
  fetch?: FetchFn;
  /** Longest wait for an answer's headers, on top of a tail request's own wait. Default 30 s. */
  timeoutMs?: number;
  /** Longest wait for an answer's body once its headers came. Default 30 s. */
  bodyTimeoutMs?: number;
  /** Sent as User-Agent, so an operator can tell mirrors apart in the logs. */
  userAgent?: string;
  /**
   * Bytes of record bodies held at once, being read or handed out and not yet released (default 64 MiB):
   * what bounds a mirror's memory against an upstream, however many requests are in flight. Real chunks are
   * well under 1 MB; a body that alone exceeds it is a protocol violation.
   */
  maxBufferedBytes?: number;
}

/** Default for `maxBufferedBytes`. */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** A head is a small JSON object. */
const MAX_HEAD_BYTES = 64 * 1024;
const HASH_HEX = /^[0-9a-f]{64}$/;
const DECIMAL = /^\d{1,15}$/;

/**
 * One upstream's journal API. Safe for concurrent use (each call is its own request). Network failures,
 * deadlines and 5xx are {@link UpstreamUnavailableError}; an answer that breaks the protocol is an
 * {@link UpstreamProtocolError}; a body that does not fit beside the others held is a {@link MirrorBufferFullError}.
 * The bytes of every batch handed out count against `maxBufferedBytes` until `release(batch)`.
 */
export class JournalClient {
  /** The upstream's base URL as shown in logs and errors (no credentials). */
  readonly base: string;
  readonly #base: string;
  readonly #http: HttpClient;
  readonly #budget: ByteBudget;
  /** Bodies handed out and not released yet (owner: the callers, through release). */
  readonly #held = new WeakSet<Uint8Array>();

  constructor(base: string, opts: JournalClientOptions = {}) {
    this.#base = base;
    this.base = HttpClient.shown(base);
    this.#http = new HttpClient({
      userAgent: opts.userAgent ?? 'ots-calendar-mirror',
      timeoutMs: opts.timeoutMs ?? 30_000,
      bodyTimeoutMs: opts.bodyTimeoutMs ?? 30_000,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    this.#budget = new ByteBudget(opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES);
  }

  /** Bytes of record bodies held now (being read, or handed out and not released). */
  get bufferedBytes(): number {
    return this.#budget.held;
  }

  /** Gives back the bytes of a batch this client handed out (idempotent); call once it is stored or dropped. */
  release(batch: RecordBatch): void {
    if (this.#held.delete(batch.bytes)) this.#budget.give(batch.bytes.length);
  }

  /**
   * One GET whose deadlines (and the caller's signal) also cover reading the body in `read`; a transient status
   * is an UpstreamUnavailableError before `read` sees it, and what goes wrong on the way is classified here.
   */
  async #get<T>(path: string, extraMs: number, signal: AbortSignal | undefined, read: (answer: HttpAnswer) => Promise<T>): Promise<T> {
    const url = apiUrl(this.#base, path);
    try {
      return await this.#http.request(url, { extraWaitMs: extraMs, redirect: 'follow', ...(signal ? { signal } : {}) }, async (answer) => {
        if (transientStatus(answer.status)) {
          await answer.discard();
          throw new UpstreamUnavailableError(answer.url, `HTTP ${answer.status}`);
        }
        return read(answer);
      });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      const shown = HttpClient.shown(url);
      if (cause instanceof RequestFailedError) throw new UpstreamUnavailableError(shown, cause.reason, { cause });
      if (cause instanceof BodyTooLongError) throw new UpstreamProtocolError(shown, cause.message);
      if (cause instanceof BufferFullError) {
        if (cause.others === 0) throw new UpstreamProtocolError(shown, cause.message);
        throw new MirrorBufferFullError(shown, cause.message);
      }
      throw cause;
    }
  }

  /** GET /journal/head. A 404 means the upstream has no journal API (e.g. the reference server). */
  head(signal?: AbortSignal): Promise<JournalHeadInfo> {
    return this.#get(HEAD_PATH, 0, signal, async (answer) => {
      const url = answer.url;
      if (answer.status === 404) {
        await answer.discard();
        throw new UpstreamProtocolError(url, 'no journal API here (404); a reference calendar is followed with --backup-protocol');
      }
      if (answer.status !== 200) throw new UpstreamProtocolError(url, `HTTP ${answer.status}`);
      const text = await answer.text(MAX_HEAD_BYTES);
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        throw new UpstreamProtocolError(url, 'the head is not JSON');
      }
      return parseHead(v, url);
    });
  }

  /** GET /journal/chunk/<n>; undefined when the upstream does not have that chunk (404). */
  chunk(n: number, signal?: AbortSignal): Promise<RecordBatch | undefined> {
    return this.#get(`${CHUNK_PREFIX}${n}`, 0, signal, async (answer) => {
      if (answer.status === 404) {
        await answer.discard();
        return undefined;
      }
      return this.#batch(answer);
    });
  }

  /** GET /journal/tail?from=…&wait=…: the records after `from`, waiting up to `waitMs` for the first. */
  tail(from: number, waitMs: number, signal?: AbortSignal): Promise<RecordBatch> {
    return this.#get(`${TAIL_PATH}?from=${from}&wait=${waitMs}`, waitMs, signal, (answer) => this.#tailBatch(answer, from));
  }

  async #tailBatch(answer: HttpAnswer, from: number): Promise<RecordBatch> {
    // 416: `from` is past the upstream's end; an empty batch with its head lets the follower tell why
    const batch = answer.status === 416 ? await emptyBatch(answer, from) : await this.#batch(answer);
    try {
      return this.#tailHead(answer, batch, from);
    } catch (err) {
      this.release(batch);
      throw err;
    }
  }

  #tailHead(answer: HttpAnswer, batch: RecordBatch, from: number): RecordBatch {
    const url = answer.url;
    const size = answer.headers.get(HEADER.size);
    const headHash = answer.headers.get(HEADER.headHash);
    if (size === null || !DECIMAL.test(size)) throw new UpstreamProtocolError(url, `bad ${HEADER.size} header ${JSON.stringify(size)}`);
    if (headHash === null || !HASH_HEX.test(headHash)) throw new UpstreamProtocolError(url, `bad ${HEADER.headHash} header ${JSON.stringify(headHash)}`);
    batch.upstreamSize = Number(size);
    batch.upstreamHash = Buffer.from(headHash, 'hex');
    if (batch.first !== from) throw new UpstreamProtocolError(url, `asked for records from ${from}, got them from ${batch.first}`);
    return batch;
  }

  async #batch(answer: HttpAnswer): Promise<RecordBatch> {
    const url = answer.url;
    if (answer.status !== 200) {
      await answer.discard();
      throw new UpstreamProtocolError(url, `HTTP ${answer.status}`);
    }
    const first = answer.headers.get(HEADER.first);
    const count = answer.headers.get(HEADER.count);
    const hash = answer.headers.get(HEADER.hash);
    const segmentRecords = answer.headers.get(HEADER.segmentRecords);
    if (first === null || !DECIMAL.test(first)) throw new UpstreamProtocolError(url, `bad ${HEADER.first} header ${JSON.stringify(first)}`);
    if (count === null || !DECIMAL.test(count)) throw new UpstreamProtocolError(url, `bad ${HEADER.count} header ${JSON.stringify(count)}`);
    if (hash === null || !HASH_HEX.test(hash)) throw new UpstreamProtocolError(url, `bad ${HEADER.hash} header ${JSON.stringify(hash)}`);
    const n = Number(count);
    // a record is at least a frame around an empty payload and at most a frame around the largest one
    const max = Math.min(this.#budget.max, n * (FRAME_OVERHEAD + MAX_RECORD_PAYLOAD));
    const bytes = await answer.bytes(max, this.#budget);
    if (bytes.length < n * FRAME_OVERHEAD) {
      this.#budget.give(bytes.length);
      throw new UpstreamProtocolError(url, `${bytes.length} bytes cannot hold ${n} records`);
    }
    this.#held.add(bytes);
    const batch: RecordBatch = { first: Number(first), count: n, bytes, hashAfter: Buffer.from(hash, 'hex') };
    if (segmentRecords !== null && DECIMAL.test(segmentRecords)) batch.segmentRecords = Number(segmentRecords);
    return batch;
  }
}

/** No records: the upstream's answer past its end (416; an upstream older than it answered such a 200). */
async function emptyBatch(answer: HttpAnswer, from: number): Promise<RecordBatch> {
  await answer.discard();
  return { first: from, count: 0, bytes: new Uint8Array(0), hashAfter: new Uint8Array(0) };
}

function parseHead(v: unknown, url: string): JournalHeadInfo {
  if (typeof v !== 'object' || v === null) throw new UpstreamProtocolError(url, 'the head is not an object');
  const o = v as Record<string, unknown>;
  const uint = (k: string, min = 0): number => {
    const x = o[k];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) throw new UpstreamProtocolError(url, `head field "${k}" expected an integer ≥ ${min}, got ${JSON.stringify(x)}`);
    return x;
  };
  if (o['format'] !== JOURNAL_FORMAT) throw new UpstreamProtocolError(url, `head names format ${JSON.stringify(o['format'])}`);
  const hash = o['hash'];
  if (typeof hash !== 'string' || !HASH_HEX.test(hash)) throw new UpstreamProtocolError(url, `head field "hash" expected 64 hex digits, got ${JSON.stringify(hash)}`);
  return { format: JOURNAL_FORMAT, version: uint('version', 1), size: uint('size'), hash, segmentRecords: uint('segmentRecords', 1), chunkRecords: uint('chunkRecords', 1) };
}
