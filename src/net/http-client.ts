/**
 * @module One way to ask another server, for every client of one (mirrors, aggregators, the calendar client):
 * an injectable fetch, a User-Agent, a deadline for the headers and another for the body, bounded bodies,
 * the caller's and the owner's signals linked and let go of, one description of what went wrong — and
 * credentials never shown: a URL with userinfo is asked with an Authorization header and named without it.
 */
import { BufferFullError, type ByteBudget } from './byte-budget.js';
import { BodyTooLongError, readAtMost } from './bounded-body.js';
import { linkedAbort } from './linked-abort.js';

/** What a request hands to the fetch function. */
export interface FetchInit {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Uint8Array;
  signal: AbortSignal;
  redirect: 'error' | 'follow';
}

/**
 * The narrowest fetch-shaped function the clients need (style rule 7): `globalThis.fetch` satisfies it, and
 * tests wrap it to observe or disturb requests. It must reject on network failure and honour `signal`.
 */
export type FetchFn = (url: string, init: FetchInit) => Promise<Response>;

/** The request got no usable answer: the server could not be reached, reset the connection, or missed a deadline. */
export class RequestFailedError extends Error {
  readonly code = 'request-failed';
  constructor(
    /** The URL asked, without credentials. */
    readonly url: string,
    readonly reason: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(`${url}: ${reason}`, options);
    this.name = 'RequestFailedError';
  }
}

/** Statuses a proxy or a busy server gives for a moment: retry, do not judge the server by them. */
export function transientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** Hides `user:password@` wherever a URL is written in `text` (an error message quoting one, say). */
export function withoutCredentials(text: string): string {
  return text.replace(/(\/\/)[^/\s@]*@/g, '$1');
}

/**
 * What went wrong, in a few words, for logs and errors: a timeout as such, otherwise the message with the
 * first system code found among its causes (`fetch failed (ECONNREFUSED)`), credentials removed.
 */
export function describeError(err: unknown): string {
  let code: string | undefined;
  let inner: string | undefined;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e.name === 'TimeoutError') return 'no answer in time';
    const c = (e as { code?: unknown }).code;
    if (code === undefined && typeof c === 'string') code = c;
    if (depth > 0 && inner === undefined) inner = e.message;
  }
  const message = err instanceof Error ? err.message : String(err);
  const detail = code ?? inner;
  return withoutCredentials(detail !== undefined && detail !== message ? `${message} (${detail})` : message);
}

/** `url` split into what is asked (no userinfo), how it is named, and the Authorization its userinfo stands for. */
function target(url: string): { ask: string; shown: string; authorization: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ask: url, shown: withoutCredentials(url), authorization: undefined };
  }
  if (parsed.username === '' && parsed.password === '') return { ask: url, shown: url, authorization: undefined };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  // the URL as written, its userinfo cut out (URL.toString would also add a trailing slash)
  const ask = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
  return { ask, shown: ask, authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

export interface HttpClientOptions {
  /** Default: the global fetch. */
  fetch?: FetchFn;
  /** Sent as User-Agent, so an operator can tell clients apart in the server's logs. */
  userAgent: string;
  /** Longest wait for an answer's headers (default 10 s). */
  timeoutMs?: number;
  /** Longest wait for the whole body once the headers came (default: timeoutMs). */
  bodyTimeoutMs?: number;
  /** The owner's signal: aborting it (closing) fails every request in flight with "shutting down". */
  signal?: AbortSignal;
}

export interface RequestSpec {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Added to the headers' deadline: a long poll the server holds on purpose. */
  extraWaitMs?: number;
  /** The caller's own: its abort is rethrown as it came, not turned into a RequestFailedError. */
  signal?: AbortSignal;
  /** Default 'error': a server of ours never redirects, and a redirect elsewhere is not what was asked. */
  redirect?: 'error' | 'follow';
}

/** An answer whose body is read at most once, within the body's deadline. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The URL asked, without credentials: for errors and logs. */
  readonly url: string;
  /** The request's signal (aborted by a deadline, the caller or the owner). */
  readonly signal: AbortSignal;
  /**
   * The whole body, at most `max` bytes: BodyTooLongError beyond, BufferFullError when `budget` cannot take it
   * (the bytes stay taken on success: see readAtMost), RequestFailedError when the stream fails or is late.
   */
  bytes(max: number, budget?: ByteBudget): Promise<Uint8Array>;
  /** The body as UTF-8 text, at most `max` bytes. */
  text(max: number): Promise<string>;
  /** Lets the body go unread (also done for any body left unread when the request ends). */
  discard(): Promise<void>;
}

/**
 * Safe for concurrent use: each request has its own signal and deadlines. Contract of `request`: `use` runs
 * once with the answer, whatever its status; the request's deadlines also cover reading the body in `use`;
 * when it returns or throws, the body left unread is cancelled and the signal let go of.
 */
export class HttpClient {
  readonly #fetch: FetchFn;
  readonly #userAgent: string;
  readonly #timeoutMs: number;
  readonly #bodyTimeoutMs: number;
  readonly #signal: AbortSignal | undefined;

  constructor(opts: HttpClientOptions) {
    this.#fetch = opts.fetch ?? ((url, init) => fetch(url, init));
    this.#userAgent = opts.userAgent;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#bodyTimeoutMs = opts.bodyTimeoutMs ?? this.#timeoutMs;
    this.#signal = opts.signal;
  }

  /** `url` as it appears in errors and logs. */
  static shown(url: string): string {
    return target(url).shown;
  }

  async request<T>(url: string, spec: RequestSpec, use: (answer: HttpAnswer) => Promise<T>): Promise<T> {
    const { ask, shown, authorization } = target(url);
    if (this.#signal?.aborted) throw new RequestFailedError(shown, 'shutting down', false);
    const headersMs = this.#timeoutMs + (spec.extraWaitMs ?? 0);
    const request = linkedAbort([spec.signal, this.#signal], headersMs);
    let phase: 'headers' | 'body' = 'headers';
    const failed = (cause: unknown): unknown => {
      if (spec.signal?.aborted) return cause;
      if (this.#signal?.aborted) return new RequestFailedError(shown, 'shutting down', false, { cause });
      const timedOut = request.signal.aborted && (request.signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
      if (timedOut) {
        const reason = phase === 'headers' ? `no answer within ${headersMs} ms` : `body not complete within ${this.#bodyTimeoutMs} ms`;
        return new RequestFailedError(shown, reason, true, { cause });
      }
      return new RequestFailedError(shown, phase === 'headers' ? describeError(cause) : `body: ${describeError(cause)}`, false, { cause });
    };
    const headers: Record<string, string> = { 'user-agent': this.#userAgent, ...(authorization ? { authorization } : {}), ...spec.headers };
    let res: Response | undefined;
    let read = false;
    try {
      try {
        res = await this.#fetch(ask, {
          method: spec.method ?? 'GET',
          headers,
          signal: request.signal,
          redirect: spec.redirect ?? 'error',
          ...(spec.body ? { body: spec.body } : {}),
        });
      } catch (cause) {
        throw failed(cause);
      }
      phase = 'body';
      request.restart(this.#bodyTimeoutMs);
      const body = res;
      const once = (): void => {
        if (read) throw new RangeError('an answer\'s body is read once');
        read = true;
      };
      const bytes = async (max: number, budget?: ByteBudget): Promise<Uint8Array> => {
        once();
        try {
          return await readAtMost(body, max, budget);
        } catch (cause) {
          if (cause instanceof BodyTooLongError || cause instanceof BufferFullError) throw cause;
          throw failed(cause);
        }
      };
      return await use({
        status: res.status,
        headers: res.headers,
        url: shown,
        signal: request.signal,
        bytes,
        text: async (max) => new TextDecoder().decode(await bytes(max)),
        discard: async () => {
          once();
          await body.body?.cancel().catch(() => undefined);
        },
      });
    } finally {
      if (res && !read) await res.body?.cancel().catch(() => undefined);
      request.dispose();
    }
  }
}
