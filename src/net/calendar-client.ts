/**
 * @module A client of one OpenTimestamps calendar's public API (reference-server §1.2–§1.4, §13): submit a
 * digest, ask where a commitment stands, read the tip — every answer bounded, checked for shape, and described
 * without credentials.
 */
import { BytesReader, Timestamp } from '../ots/index.js';
import { BodyTooLongError } from './bounded-body.js';
import { HttpClient, RequestFailedError, describeError, transientStatus, type FetchFn, type HttpAnswer } from './http-client.js';

/** Clients read at most this much of a calendar's answer (python-opentimestamps and the JS client). */
export const MAX_ANSWER_BYTES = 10_000;

/** Longest 404 reason accepted; the reference's are one short line (python clients show 160 bytes of it). */
export const MAX_REASON_BYTES = 1_000;

/** What `GET /timestamp/<hex>` says about a commitment. */
export type TimestampAnswer =
  /** 200: the proof onward from the commitment, ending in a block attestation. */
  | { kind: 'complete'; bytes: Uint8Array; timestamp: Timestamp }
  /** 404 with the calendar's reason: it holds the commitment and has not anchored it yet (or waits for confirmations). */
  | { kind: 'pending'; reason: string }
  /** 404 `Not found`: the calendar does not know the commitment. */
  | { kind: 'unknown' };

/**
 * The calendar gave no usable answer. `problem` says which way: `unreachable` (network, deadline, a 5xx, 408 or
 * 429: ask again later), `refused` (another status: the request itself is at fault), `invalid` (an answer
 * that breaks the protocol: too long, not a timestamp, not from what was asked).
 */
export class CalendarAnswerError extends Error {
  readonly code = 'calendar-answer';
  constructor(
    /** The calendar's URL, without credentials. */
    readonly url: string,
    readonly reason: string,
    readonly problem: 'unreachable' | 'refused' | 'invalid' = 'invalid',
    options?: { cause?: unknown },
  ) {
    super(`${url}: ${reason}`, options);
    this.name = 'CalendarAnswerError';
  }
}

export interface CalendarClientOptions {
  fetch?: FetchFn;
  /** Sent as User-Agent (default `ots-calendar`). */
  userAgent?: string;
  /** Longest wait for an answer's headers (default 10 s). */
  timeoutMs?: number;
  /** Longest wait for an answer's body once its headers came (default: timeoutMs). */
  bodyTimeoutMs?: number;
  /** The owner's: aborting it fails every request in flight (closing). */
  signal?: AbortSignal;
}

/** Characters a 404 reason is shown with; anything else becomes `_` (so a reason is one printable line). */
function sanitizeReason(text: string): string {
  return text.trim().replace(/[^\x20-\x7e]/g, '_');
}

/**
 * Safe for concurrent use. Every method resolves with a checked answer or rejects with a CalendarAnswerError
 * (the caller's own abort is rethrown as it came). Nothing is retried: `submit` is not idempotent (each POST
 * is a new commitment), and when to ask `getTimestamp` again is the caller's to decide.
 */
export class CalendarClient {
  /** Base URL as shown in errors and logs (no credentials, no trailing slash). */
  readonly url: string;
  readonly #base: string;
  readonly #http: HttpClient;

  constructor(url: string, opts: CalendarClientOptions = {}) {
    this.#base = url.replace(/\/+$/, '');
    this.url = HttpClient.shown(this.#base);
    this.#http = new HttpClient({
      userAgent: opts.userAgent ?? 'ots-calendar',
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: opts.bodyTimeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** One request; transport failures and bodies out of bounds become CalendarAnswerErrors. */
  async #ask<T>(path: string, spec: { method?: 'GET' | 'POST'; body?: Uint8Array; headers?: Record<string, string>; signal?: AbortSignal }, use: (a: HttpAnswer) => Promise<T>): Promise<T> {
    try {
      return await this.#http.request(`${this.#base}${path}`, spec, use);
    } catch (err) {
      if (err instanceof CalendarAnswerError || spec.signal?.aborted) throw err;
      if (err instanceof RequestFailedError) throw new CalendarAnswerError(this.url, err.reason, 'unreachable', { cause: err });
      if (err instanceof BodyTooLongError) throw new CalendarAnswerError(this.url, `answer longer than ${err.max} bytes`, 'invalid', { cause: err });
      throw new CalendarAnswerError(this.url, describeError(err), 'invalid', { cause: err });
    }
  }

  /** A status that is neither the one expected nor otherwise understood. */
  async #unexpected(a: HttpAnswer): Promise<never> {
    await a.discard();
    throw new CalendarAnswerError(this.url, `HTTP ${a.status}`, transientStatus(a.status) ? 'unreachable' : 'refused');
  }

  /**
   * POST /digest: the timestamp the calendar returned for `digest` (at most 10,000 bytes, parsed from the
   * digest, ending in at least one attestation). A 200 means the calendar has made its commitment durable.
   */
  submit(digest: Uint8Array, signal?: AbortSignal): Promise<{ bytes: Uint8Array; timestamp: Timestamp }> {
    const headers = {
      // what the JS client sends (no CORS preflight); calendars ignore the content type
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/vnd.opentimestamps.v1',
    };
    return this.#ask('/digest', { method: 'POST', body: digest, headers, ...(signal ? { signal } : {}) }, async (a) => {
      if (a.status !== 200) return this.#unexpected(a);
      const bytes = await a.bytes(MAX_ANSWER_BYTES);
      const timestamp = this.#parse(bytes, digest);
      if (timestamp.allAttestations().length === 0) throw new CalendarAnswerError(this.url, 'answer ends in no attestation');
      return { bytes, timestamp };
    });
  }

  /**
   * GET /timestamp/<hex>: complete (200, a proof from `commitment` that reaches a block attestation), pending
   * (404 with the calendar's reason) or unknown (404 `Not found`).
   */
  getTimestamp(commitment: Uint8Array, signal?: AbortSignal): Promise<TimestampAnswer> {
    const hex = Buffer.from(commitment.buffer, commitment.byteOffset, commitment.byteLength).toString('hex');
    return this.#ask(`/timestamp/${hex}`, { headers: { accept: 'application/vnd.opentimestamps.v1' }, ...(signal ? { signal } : {}) }, async (a): Promise<TimestampAnswer> => {
      if (a.status === 404) {
        const reason = sanitizeReason(await a.text(MAX_REASON_BYTES));
        return reason === '' || reason.toLowerCase() === 'not found' ? { kind: 'unknown' } : { kind: 'pending', reason };
      }
      if (a.status !== 200) return this.#unexpected(a);
      const bytes = await a.bytes(MAX_ANSWER_BYTES);
      const timestamp = this.#parse(bytes, commitment);
      if (!timestamp.allAttestations().some(({ attestation }) => attestation.kind === 'bitcoin' || attestation.kind === 'litecoin')) {
        throw new CalendarAnswerError(this.url, 'a 200 answer whose proof reaches no block attestation');
      }
      return { kind: 'complete', bytes, timestamp };
    });
  }

  /** GET /tip: the 32-byte merkle tip of the calendar's newest unconfirmed transaction, undefined when it has none (404). */
  tip(signal?: AbortSignal): Promise<Uint8Array | undefined> {
    return this.#ask('/tip', signal ? { signal } : {}, async (a) => {
      if (a.status === 404) {
        await a.discard();
        return undefined;
      }
      if (a.status !== 200) return this.#unexpected(a);
      const bytes = await a.bytes(64);
      if (bytes.length !== 32) throw new CalendarAnswerError(this.url, `a tip of ${bytes.length} bytes, expected 32`);
      return bytes;
    });
  }

  /** GET /: whether the calendar answers at all (any status below 500); never rejects but on the caller's abort. */
  async answers(signal?: AbortSignal): Promise<boolean> {
    try {
      return await this.#ask('/', signal ? { signal } : {}, async (a) => {
        await a.discard();
        return a.status < 500;
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      return false;
    }
  }

  /** The timestamp from `msg` that `bytes` encode, all of them (clients ignore trailing bytes; a calendar sends none). */
  #parse(bytes: Uint8Array, msg: Uint8Array): Timestamp {
    const r = new BytesReader(bytes);
    let t: Timestamp;
    try {
      t = Timestamp.decode(r, msg);
    } catch (err) {
      throw new CalendarAnswerError(this.url, `answer is not a timestamp: ${describeError(err)}`, 'invalid', { cause: err });
    }
    if (r.remaining() > 0) throw new CalendarAnswerError(this.url, `answer has ${r.remaining()} bytes after its timestamp`);
    return t;
  }
}
