/** @module The node:http adapter: socket limits, body reading with caps and timeouts, and writing HttpResponse (reference-server §11 bugs avoided). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HttpRequest, HttpResponse } from './types.js';
import { HttpError } from './errors.js';
import { CORS_HEADERS } from './cache-policy.js';

export interface NodeServerOptions {
  /** Largest request body read at all (POST /digest needs 64 bytes). */
  maxBodyBytes?: number;
  /** A client must send its whole body within this time. */
  bodyTimeoutMs?: number;
  /** Whole request (headers + body) deadline, enforced by node:http. */
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  onAccess?: (req: HttpRequest, res: HttpResponse, ms: number) => void;
  /** POST paths whose body is read (with the cap); any other POST is routed with an empty body. Default: /digest. */
  readsBody?: (path: string) => boolean;
}

export function createNodeServer(handle: (req: HttpRequest) => Promise<HttpResponse>, opts: NodeServerOptions = {}): Server {
  const readsBody = opts.readsBody ?? ((path: string) => path === '/digest');
  const maxBody = opts.maxBodyBytes ?? 64;
  const bodyTimeout = opts.bodyTimeoutMs ?? 5_000;
  const server = createServer({
    requestTimeout: opts.requestTimeoutMs ?? 15_000,
    headersTimeout: opts.headersTimeoutMs ?? 10_000,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 5_000,
    maxHeaderSize: 16 * 1024,
    noDelay: true,
    // how often node:http checks the header and request deadlines (its default, 30 s, lets a stalled client linger)
    connectionsCheckingInterval: Math.min(1_000, opts.headersTimeoutMs ?? 1_000),
  });
  server.maxHeadersCount = 100;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const text =
      status === 431 ? 'Request headers too large' : status === 408 ? 'Request timeout' : err.code === 'HPE_INVALID_CONTENT_LENGTH' ? 'invalid Content-Length' : 'Bad request';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${text.length}\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: ETag, Retry-After\r\n\r\n${text}`);
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = opts.onAccess ? performance.now() : 0;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const request: HttpRequest = {
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      headers: req.headers,
      body: EMPTY,
    };
    const finish = (response: HttpResponse): void => {
      write(res, response);
      opts.onAccess?.(request, response, performance.now() - started);
    };
    if (request.method !== 'POST' || !readsBody(request.path)) {
      // Nothing to read; drain anything sent anyway without buffering it.
      req.resume();
      handle(request).then(finish, () => finish(internalError()));
      return;
    }
    readBody(req, maxBody, bodyTimeout).then(
      (body) => {
        request.body = body;
        handle(request).then(finish, () => finish(internalError()));
      },
      (err: unknown) => {
        const e = err instanceof HttpError ? err : new HttpError(400, 'Bad request');
        res.shouldKeepAlive = false;
        finish({ status: e.status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close', ...CORS_HEADERS }, body: e.text });
      },
    );
  });
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
  r.headers['content-length'] = String(body.length);
  res.writeHead(r.status, r.headers);
  res.end(body);
}

/**
 * Reads a request body of at most `max` bytes. Content-Length is required and checked before reading
 * (the reference crashed on a non-numeric one and read a negative one to EOF); a body that does not
 * arrive in time gets 408 instead of holding the socket.
 */
function readBody(req: IncomingMessage, max: number, timeoutMs: number): Promise<Uint8Array> {
  const header = req.headers['content-length'];
  if (header === undefined) {
    req.resume();
    return Promise.reject(new HttpError(411, 'Content-Length required'));
  }
  if (!/^\d{1,10}$/.test(header)) {
    req.resume();
    return Promise.reject(new HttpError(400, 'invalid Content-Length'));
  }
  const length = Number(header);
  if (length > max) {
    req.resume();
    return Promise.reject(new HttpError(400, 'digest too long'));
  }
  if (length === 0) return Promise.resolve(EMPTY);
  return new Promise((resolve, reject) => {
    const buf = Buffer.alloc(length);
    let got = 0;
    let timer: NodeJS.Timeout | undefined;
    // Usually the body came in the same read as the headers and has been read by the end of this turn of the
    // event loop: then no timer is needed. Only a body still on its way gets one.
    setImmediate(() => {
      if (settled || req.complete) return;
      timer = setTimeout(() => {
        cleanup();
        reject(new HttpError(408, 'Request body not received in time'));
      }, timeoutMs);
    });
    let settled = false;
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
      settled = true;
      if (timer) clearTimeout(timer);
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
