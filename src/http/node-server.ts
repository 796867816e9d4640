/** @module The node:http adapter: socket limits, back-pressure per connection, body reading with caps and timeouts, answers to what the parser refuses, and writing HttpResponse (reference-server §11 bugs avoided). */
import { createServer, IncomingMessage, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpRequest, HttpResponse } from './types.js';
import { HttpError } from './errors.js';
import { CORS_HEADERS } from './cache-policy.js';
import { ConnectionFlows, DEFAULT_IN_FLIGHT, FlowResponse, type FlowTask } from './connection-flow.js';
import { connectAnswer, describeRefused, parserErrorAnswer, rawAnswer, unspokenRequestAnswer } from './protocol-errors.js';

/** How a POST path's body is read: at most `maxBytes`, and the answer to a longer one. */
export interface BodyLimit {
  maxBytes: number;
  status: number;
  text: string;
}

/** POST /digest: the reference's cap and answer (reference-server §1.2). */
export const DIGEST_BODY: BodyLimit = { maxBytes: 64, status: 400, text: 'digest too long' };

export interface NodeServerOptions {
  /** A client must send its whole body within this time. */
  bodyTimeoutMs?: number;
  /** Whole request (headers + body) deadline, enforced by node:http. */
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** Called for every answer, those to requests node's parser refused included (their method and path may be '-'). */
  onAccess?: (req: HttpRequest, res: HttpResponse, ms: number) => void;
  /** POST paths whose body is read, each with its cap; any other POST is routed with an empty body. Default: /digest alone. */
  bodies?: Readonly<Record<string, BodyLimit>>;
  /** Answers one connection may have in flight; its further requests wait, unread (default 4, connection-flow.ts). */
  maxInFlightPerConnection?: number;
}

/** How a started request is answered: one function per server, so a request holds no closure of its own. */
type Serve = (req: IncomingMessage, res: FlowResponse, request: NodeRequest, started: number) => void;

/**
 * The request as handlers see it, and its task in its connection's flow. `signal` is made only for a handler
 * that asks (a long poll), and `headers` only when read: node:http builds a request's header object lazily,
 * and a waiting POST /digest never needs it (what the adapter needs it reads from the raw headers).
 */
class NodeRequest implements HttpRequest, FlowTask {
  body: Uint8Array = EMPTY;
  readonly remote: string | undefined;
  readonly #in: IncomingMessage;
  readonly #out: FlowResponse;
  readonly #serve: Serve;
  readonly #started: number;
  #aborter: AbortController | undefined;
  #gone = false;

  constructor(
    readonly method: string,
    readonly path: string,
    readonly query: string,
    incoming: IncomingMessage,
    out: FlowResponse,
    serve: Serve,
    started: number,
  ) {
    this.remote = incoming.socket.remoteAddress;
    this.#in = incoming;
    this.#out = out;
    this.#serve = serve;
    this.#started = started;
  }

  get headers(): IncomingHttpHeaders {
    return this.#in.headers;
  }

  get signal(): AbortSignal {
    if (!this.#aborter) {
      this.#aborter = new AbortController();
      if (this.#gone) this.#aborter.abort();
    }
    return this.#aborter.signal;
  }

  /** Its turn in the connection's flow has come. */
  start(): void {
    this.#serve(this.#in, this.#out, this, this.#started);
  }

  /** The client went away before its answer was written. */
  abandon(): void {
    this.#gone = true;
    this.#aborter?.abort();
  }
}

/** The first value of header `name` (lower case), as node:http's header object keeps it, read from the raw list. */
function rawHeader(req: IncomingMessage, name: string): string | undefined {
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i] as string;
    if (key.length === name.length && key.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}

export function createNodeServer(handle: (req: HttpRequest) => Promise<HttpResponse>, opts: NodeServerOptions = {}): Server {
  const bodies = opts.bodies ?? { '/digest': DIGEST_BODY };
  const bodyTimeout = opts.bodyTimeoutMs ?? 5_000;
  const server = createServer<typeof IncomingMessage, typeof FlowResponse>({
    ServerResponse: FlowResponse,
    // answered by unspokenRequestAnswer, with CORS and a text, rather than by node's bare 400
    requireHostHeader: false,
    requestTimeout: opts.requestTimeoutMs ?? 15_000,
    headersTimeout: opts.headersTimeoutMs ?? 10_000,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 5_000,
    maxHeaderSize: 16 * 1024,
    noDelay: true,
    // how often node:http checks the header and request deadlines (its default, 30 s, lets a stalled client linger)
    connectionsCheckingInterval: Math.min(1_000, opts.headersTimeoutMs ?? 1_000),
  });
  server.maxHeadersCount = 100;
  const flows = new ConnectionFlows(opts.maxInFlightPerConnection ?? DEFAULT_IN_FLIGHT);
  // answered here and written straight to the socket, which node:http has given up (parse errors) or handed over (CONNECT)
  const answerRaw = (socket: Duplex, request: HttpRequest, response: HttpResponse): void => {
    socket.end(rawAnswer(response));
    opts.onAccess?.(request, response, 0);
  };
  server.on('clientError', (err: NodeJS.ErrnoException & { reason?: string; rawPacket?: Buffer }, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    answerRaw(socket, { ...describeRefused(err.rawPacket), remote: (socket as Duplex & { remoteAddress?: string }).remoteAddress }, parserErrorAnswer(err));
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    answerRaw(socket, { method: 'CONNECT', path: '-', query: '', headers: req.headers, body: EMPTY, remote: req.socket.remoteAddress }, connectAnswer());
  });
  server.on('request', (req: IncomingMessage, res: FlowResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    // the time logged includes any wait for the connection's earlier answers
    const started = opts.onAccess ? performance.now() : 0;
    const request = new NodeRequest(req.method ?? 'GET', q < 0 ? url : url.slice(0, q), q < 0 ? '' : url.slice(q + 1), req, res, serve, started);
    flows.admit(req.socket, res, request);
  });
  const serve = (req: IncomingMessage, res: FlowResponse, request: NodeRequest, started: number): void => {
    const finish = (response: HttpResponse): void => {
      if (response.headers['connection'] === 'close') res.shouldKeepAlive = false;
      write(res, response);
      opts.onAccess?.(request, response, performance.now() - started);
    };
    const unspoken = unspokenRequestAnswer(req.httpVersionMajor, req.httpVersionMinor, rawHeader(req, 'host'));
    if (unspoken) {
      req.resume();
      finish(unspoken);
      return;
    }
    const limit = request.method === 'POST' && Object.hasOwn(bodies, request.path) ? bodies[request.path] : undefined;
    if (limit === undefined) {
      // Nothing to read; drain anything sent anyway without buffering it.
      req.resume();
      handle(request).then(finish, () => finish(internalError()));
      return;
    }
    readBody(req, limit, bodyTimeout).then(
      (body) => {
        request.body = body;
        handle(request).then(finish, () => finish(internalError()));
      },
      (err: unknown) => {
        const e = err instanceof HttpError ? err : new HttpError(400, 'Bad request');
        finish({ status: e.status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close', ...CORS_HEADERS }, body: e.text });
      },
    );
  };
  return server;
}

const EMPTY = new Uint8Array(0);

function internalError(): HttpResponse {
  return { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: 'Internal error' };
}

function write(res: ServerResponse, r: HttpResponse): void {
  if (res.headersSent || res.destroyed) return;
  if (r.status === 304) {
    // RFC 9110 §8.6: a 304 must not carry a Content-Length other than the 200's, so it carries none
    res.writeHead(304, r.headers);
    res.end();
    return;
  }
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  // a prepared (shared) header object carries its length already and is not modified (HttpResponse)
  if (r.headers['content-length'] === undefined) r.headers['content-length'] = String(body.length);
  res.writeHead(r.status, r.headers);
  res.end(body);
}

/**
 * Reads a request body of at most `limit.maxBytes` bytes. Content-Length is required and checked before reading
 * (the reference crashed on a non-numeric one and read a negative one to EOF); a body that does not
 * arrive in time gets 408 instead of holding the socket.
 */
function readBody(req: IncomingMessage, limit: BodyLimit, timeoutMs: number): Promise<Uint8Array> {
  const header = rawHeader(req, 'content-length');
  if (header === undefined) {
    req.resume();
    return Promise.reject(new HttpError(411, 'Content-Length required'));
  }
  if (!/^\d{1,10}$/.test(header)) {
    req.resume();
    return Promise.reject(new HttpError(400, 'invalid Content-Length'));
  }
  const length = Number(header);
  if (length > limit.maxBytes) {
    req.resume();
    return Promise.reject(new HttpError(limit.status, limit.text));
  }
  if (length === 0) return Promise.resolve(EMPTY);
  return new Promise((resolve, reject) => {
    // a small body comes from node's shared pool, not a buffer of its own: every byte is written before it is used
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    // node:http hands the body over in callbacks of its own after the request's, even when it came in the same read
    // as the headers (nothing in between can tell it has arrived), so every body read gets its deadline at once
    const timer = setTimeout(() => {
      cleanup();
      reject(new HttpError(408, 'Request body not received in time'));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      if (got + chunk.length > length) {
        cleanup();
        reject(new HttpError(400, 'body longer than Content-Length'));
        return;
      }
      chunk.copy(buf, got);
      got += chunk.length;
    };
    const onEnd = (): void => {
      cleanup();
      if (got === length) resolve(buf);
      else reject(new HttpError(400, 'body shorter than Content-Length'));
    };
    const onError = (): void => {
      cleanup();
      reject(new HttpError(400, 'Bad request'));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.resume();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
