/** @module Reading an upstream's journal API over HTTP: every answer checked for shape before anyone looks at its bytes (style rule 6). */
import { FRAME_OVERHEAD, MAX_RECORD_PAYLOAD } from '../journal/index.js';
import { UpstreamProtocolError, UpstreamUnavailableError } from './errors.js';
import { linkedAbort } from '../net/linked-abort.js';
import { BodyTooLongError, readAtMost } from '../net/bounded-body.js';
import { CHUNK_PREFIX, HEAD_PATH, HEADER, JOURNAL_FORMAT, TAIL_PATH, apiUrl, type JournalHeadInfo } from '../journal/index.js';

/** The part of `fetch` the client uses; injectable (a test transport, a proxy agent). */
export type FetchLike = (url: string, init: { signal: AbortSignal; headers: Record<string, string> }) => Promise<Response>;

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
  fetch?: FetchLike;
  /** Per request, on top of a tail request's own wait. Default 30 s. */
  timeoutMs?: number;
  /** Sent as User-Agent, so an operator can tell mirrors apart in the logs. */
  userAgent?: string;
}

/** Largest body accepted: a full chunk of maximum-size records would be absurd; real chunks are well under 1 MB. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;
const HASH_HEX = /^[0-9a-f]{64}$/;
const DECIMAL = /^\d{1,15}$/;

/** Statuses a proxy or a busy upstream gives for a moment: retry, do not judge the upstream. */
export function transientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * One upstream's journal API. Safe for concurrent use (each call is its own request). Network failures,
 * timeouts and 5xx are {@link UpstreamUnavailableError}; an answer that breaks the protocol is an
 * {@link UpstreamProtocolError}.
 */
export class JournalClient {
  readonly base: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;

  constructor(base: string, opts: JournalClientOptions = {}) {
    this.base = base;
    this.#fetch = opts.fetch ?? ((url, init) => fetch(url, init));
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#headers = { 'user-agent': opts.userAgent ?? 'ots-calendar-mirror' };
  }

  /**
   * One GET whose deadline (and the caller's signal) also covers reading the body in `read`; the request's
   * signal is let go of afterwards (see linkedAbort).
   */
  async #get<T>(path: string, extraMs: number, signal: AbortSignal | undefined, read: (url: string, res: Response, signal: AbortSignal) => Promise<T>): Promise<T> {
    const url = apiUrl(this.base, path);
    const request = linkedAbort(signal, this.#timeoutMs + extraMs);
    try {
      let res: Response;
      try {
        res = await this.#fetch(url, { signal: request.signal, headers: this.#headers });
      } catch (cause) {
        if (signal?.aborted) throw cause;
        throw new UpstreamUnavailableError(url, describe(cause), { cause });
      }
      if (transientStatus(res.status)) {
        await res.body?.cancel().catch(() => undefined);
        throw new UpstreamUnavailableError(url, `HTTP ${res.status}`);
      }
      return await read(url, res, request.signal);
    } finally {
      request.dispose();
    }
  }

  /** GET /journal/head. A 404 means the upstream has no journal API (e.g. the reference server). */
  head(signal?: AbortSignal): Promise<JournalHeadInfo> {
    return this.#get(HEAD_PATH, 0, signal, async (url, res) => {
      if (res.status === 404) {
        await res.body?.cancel().catch(() => undefined);
        throw new UpstreamProtocolError(url, 'no journal API here (404); a reference calendar is followed with --backup-protocol');
      }
      if (res.status !== 200) throw new UpstreamProtocolError(url, `HTTP ${res.status}`);
      const text = new TextDecoder().decode(await readBounded(res, url, 64 * 1024, signal));
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
    return this.#get(`${CHUNK_PREFIX}${n}`, 0, signal, async (url, res) => {
      if (res.status === 404) {
        await res.body?.cancel().catch(() => undefined);
        return undefined;
      }
      return this.#batch(url, res, signal);
    });
  }

  /** GET /journal/tail?from=…&wait=…: the records after `from`, waiting up to `waitMs` for the first. */
  tail(from: number, waitMs: number, signal?: AbortSignal): Promise<RecordBatch> {
    return this.#get(`${TAIL_PATH}?from=${from}&wait=${waitMs}`, waitMs, signal, (url, res) => this.#tailBatch(url, res, from, signal));
  }

  async #tailBatch(url: string, res: Response, from: number, signal?: AbortSignal): Promise<RecordBatch> {
    const batch = await this.#batch(url, res, signal);
    const size = res.headers.get(HEADER.size);
    const headHash = res.headers.get(HEADER.headHash);
    if (size === null || !DECIMAL.test(size)) throw new UpstreamProtocolError(url, `bad ${HEADER.size} header ${JSON.stringify(size)}`);
    if (headHash === null || !HASH_HEX.test(headHash)) throw new UpstreamProtocolError(url, `bad ${HEADER.headHash} header ${JSON.stringify(headHash)}`);
    batch.upstreamSize = Number(size);
    batch.upstreamHash = Buffer.from(headHash, 'hex');
    if (batch.first !== from) throw new UpstreamProtocolError(url, `asked for records from ${from}, got them from ${batch.first}`);
    return batch;
  }

  async #batch(url: string, res: Response, signal?: AbortSignal): Promise<RecordBatch> {
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new UpstreamProtocolError(url, `HTTP ${res.status}`);
    }
    const first = res.headers.get(HEADER.first);
    const count = res.headers.get(HEADER.count);
    const hash = res.headers.get(HEADER.hash);
    const segmentRecords = res.headers.get(HEADER.segmentRecords);
    if (first === null || !DECIMAL.test(first)) throw new UpstreamProtocolError(url, `bad ${HEADER.first} header ${JSON.stringify(first)}`);
    if (count === null || !DECIMAL.test(count)) throw new UpstreamProtocolError(url, `bad ${HEADER.count} header ${JSON.stringify(count)}`);
    if (hash === null || !HASH_HEX.test(hash)) throw new UpstreamProtocolError(url, `bad ${HEADER.hash} header ${JSON.stringify(hash)}`);
    const n = Number(count);
    // a record is at least a frame around an empty payload and at most a frame around the largest one
    const max = Math.min(MAX_BODY_BYTES, n * (FRAME_OVERHEAD + MAX_RECORD_PAYLOAD));
    const bytes = await readBounded(res, url, max, signal);
    if (bytes.length < n * FRAME_OVERHEAD) throw new UpstreamProtocolError(url, `${bytes.length} bytes cannot hold ${n} records`);
    const batch: RecordBatch = { first: Number(first), count: n, bytes, hashAfter: Buffer.from(hash, 'hex') };
    if (segmentRecords !== null && DECIMAL.test(segmentRecords)) batch.segmentRecords = Number(segmentRecords);
    return batch;
  }
}

function describe(err: unknown): string {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (e.name === 'TimeoutError') return 'timed out';
  }
  return err instanceof Error ? err.message : String(err);
}

/** The body, refusing (before buffering it all) one longer than `max` bytes: a protocol error of the upstream. */
export async function readBounded(res: Response, url: string, max: number, signal?: AbortSignal): Promise<Uint8Array> {
  try {
    return await readAtMost(res, max);
  } catch (cause) {
    if (cause instanceof BodyTooLongError) throw new UpstreamProtocolError(url, cause.message);
    if (signal?.aborted) throw cause;
    throw new UpstreamUnavailableError(url, `body: ${describe(cause)}`, { cause });
  }
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
