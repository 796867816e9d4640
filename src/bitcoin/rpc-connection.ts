/** @module One Bitcoin Core JSON-RPC endpoint: credentials (URL or cookie), wallet paths, timeout, retry policy and error mapping. */
import { readFile } from 'node:fs/promises';
import { type FetchFn, nodeHttpTransport } from './http-transport.js';
import { parseJsonExact } from './rpc-json.js';
import { RpcAuthError, RpcResponseError, RpcUnavailableError, RpcWarmupError, rpcErrorFrom, type UnavailableReason } from './rpc-errors.js';
import { sleep } from '../net/sleep.js';

export interface RpcConnectionOptions {
  /** `http://[user:password@]host:port`. Credentials in the URL win over `cookieFile`. */
  url: string;
  /** Core's `.cookie` file (`__cookie__:<hex>`); re-read when the node answers 401, as it rewrites it on restart. */
  cookieFile?: string;
  /** Per-attempt limit. Default 30 s, python-bitcoinlib's, which the reference used. */
  timeoutMs?: number;
  /** Extra attempts for idempotent calls after a transient failure. Default 3. */
  retries?: number;
  /** Delay before the first retry; doubled each time, capped at 5 s. Default 100 ms. */
  retryDelayMs?: number;
  /** Injected transport; default {@link nodeHttpTransport}. */
  fetch?: FetchFn;
}

/** Positional parameters, or named ones (Core maps an object's keys to argument names). */
export type RpcParams = unknown[] | Record<string, unknown>;

export interface CallOptions {
  /**
   * Whether repeating the call cannot change anything on the node (reads). Only such calls are retried
   * on a transient failure; a write such as `sendrawtransaction` is one attempt, because it "could
   * succeed on the node while the answer is lost" and the caller must reconcile (style rule 9).
   */
  idempotent: boolean;
  /** Send to `/wallet/<name>` instead of `/`. */
  wallet?: string;
}

const MAX_RETRY_DELAY_MS = 5_000;
const NETWORK_CODES: Record<string, UnavailableReason> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
};

/** What went wrong on the wire, from Node's, undici's or an abort's error shape. */
function unavailableReason(err: unknown): UnavailableReason {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(NETWORK_CODES, code)) return NETWORK_CODES[code] ?? 'network';
  }
  return 'network';
}

/**
 * Sends JSON-RPC 1.0 requests to one node. Safe for concurrent use: each call is independent and
 * the cached cookie is only ever replaced by a fresher read.
 */
export class RpcConnection {
  /** scheme://host:port, without credentials: the only form of the address that errors and logs show. */
  readonly endpoint: string;
  readonly #base: string;
  readonly #urlAuth: string | undefined;
  readonly #cookieFile: string | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #fetch: FetchFn;
  #cookieAuth: string | undefined;
  #nextId = 1;

  constructor(options: RpcConnectionOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`"url" expected http: or https:, got ${url.protocol}`);
    if (url.username || url.password) {
      const userPass = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      this.#urlAuth = `Basic ${Buffer.from(userPass).toString('base64')}`;
    }
    url.username = '';
    url.password = '';
    this.endpoint = url.origin;
    this.#base = url.origin + url.pathname.replace(/\/+$/, '');
    this.#cookieFile = options.cookieFile;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retries = options.retries ?? 3;
    this.#retryDelayMs = options.retryDelayMs ?? 100;
    this.#fetch = options.fetch ?? nodeHttpTransport;
    for (const [name, v] of [['timeoutMs', this.#timeoutMs], ['retries', this.#retries], ['retryDelayMs', this.#retryDelayMs]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`"${name}" expected a non-negative integer, got ${v}`);
    }
  }

  /** Calls `method`; resolves to its `result` (still `unknown`: the caller validates it). */
  async call(method: string, params: RpcParams, options: CallOptions): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once(method, params, options.wallet);
      } catch (err) {
        const transient = err instanceof RpcUnavailableError || err instanceof RpcWarmupError;
        if (!options.idempotent || !transient || attempt >= this.#retries) throw err;
        await sleep(Math.min(this.#retryDelayMs * 2 ** attempt, MAX_RETRY_DELAY_MS));
      }
    }
  }

  async #once(method: string, params: RpcParams, wallet: string | undefined): Promise<unknown> {
    const url = wallet === undefined ? `${this.#base}/` : `${this.#base}/wallet/${encodeURIComponent(wallet)}`;
    const id = this.#nextId++;
    const body = JSON.stringify({ jsonrpc: '1.0', id, method, params });
    let auth = await this.#auth(method, false);
    let status: number;
    let text: string;
    for (let authTry = 0; ; authTry++) {
      ({ status, text } = await this.#post(method, url, body, auth));
      // A 401 means the node did not run the call, so one more try is safe even for a write. With a
      // cookie, the node may have restarted and written a new one.
      if (status !== 401 || authTry > 0 || this.#urlAuth !== undefined || this.#cookieFile === undefined) break;
      auth = await this.#auth(method, true);
    }
    if (status === 401 || status === 403) {
      const how = this.#urlAuth !== undefined ? 'URL credentials' : this.#cookieFile !== undefined ? 'cookie file' : 'no credentials configured';
      throw new RpcAuthError(method, status, this.endpoint, how);
    }
    if (status === 503) throw new RpcUnavailableError(method, 'busy', this.endpoint);
    let reply: unknown;
    try {
      reply = parseJsonExact(text);
    } catch (err) {
      throw new RpcResponseError(method, `HTTP ${status} with a body that is not JSON (${text.length} bytes)`, { cause: err });
    }
    if (typeof reply !== 'object' || reply === null || !('result' in reply) || !('error' in reply)) {
      throw new RpcResponseError(method, `HTTP ${status} without a JSON-RPC reply object`);
    }
    const { result, error, id: replyId } = reply as { result: unknown; error: unknown; id?: unknown };
    if (replyId !== id) throw new RpcResponseError(method, `reply id ${String(replyId)} for request ${id}`);
    if (error !== null) {
      if (typeof error !== 'object' || typeof (error as { code?: unknown }).code !== 'number' || typeof (error as { message?: unknown }).message !== 'string') {
        throw new RpcResponseError(method, 'malformed error object');
      }
      const { code, message } = error as { code: number; message: string };
      throw rpcErrorFrom(method, code, message);
    }
    return result;
  }

  async #post(method: string, url: string, body: string, auth: string | undefined): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth !== undefined) headers.authorization = auth;
    try {
      const res = await this.#fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.#timeoutMs) });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      throw new RpcUnavailableError(method, unavailableReason(err), this.endpoint, { cause: err });
    }
  }

  async #auth(method: string, reload: boolean): Promise<string | undefined> {
    if (this.#urlAuth !== undefined) return this.#urlAuth;
    if (this.#cookieFile === undefined) return undefined;
    if (this.#cookieAuth === undefined || reload) {
      let cookie: string;
      try {
        cookie = (await readFile(this.#cookieFile, 'utf8')).trim();
      } catch (err) {
        // Core deletes the cookie when it shuts down and writes it once RPC is up: no file, no node.
        throw new RpcUnavailableError(method, 'no-cookie', this.endpoint, { cause: err });
      }
      if (!cookie.includes(':')) throw new RpcAuthError(method, 0, this.endpoint, 'cookie file is not user:password');
      this.#cookieAuth = `Basic ${Buffer.from(cookie).toString('base64')}`;
    }
    return this.#cookieAuth;
  }
}
