/** @module The fetch-shaped transport the RPC client is given, and the default one: one fresh node:http connection per call. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface TransportRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

export interface TransportResponse {
  status: number;
  text(): Promise<string>;
}

/**
 * The narrowest fetch-like function the client needs (style rule 7). `globalThis.fetch` satisfies it;
 * tests wrap it to observe or disturb calls. It must reject (not resolve) on network failure and honour
 * `signal`.
 */
export type FetchFn = (url: string, init: TransportRequest) => Promise<TransportResponse>;

/**
 * Default transport: `Connection: close`, no pooled sockets. Two measured reasons (environment §3 setup):
 * a pooled keep-alive socket to a node that restarted fails the next call even though the node is up,
 * which would turn a single-attempt `sendrawtransaction` into an unknown outcome; and Core's shutdown
 * waits for idle keep-alive clients (a `stop` took 4 s with fetch's pool, 0.14 s without).
 * A loopback call costs about 0.5 ms this way.
 */
export const nodeHttpTransport: FetchFn = (url, init) =>
  new Promise<TransportResponse>((resolve, reject) => {
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    if (init.signal.aborted) {
      reject(init.signal.reason);
      return;
    }
    const req = request(
      target,
      {
        method: init.method,
        agent: false,
        headers: { ...init.headers, connection: 'close', 'content-length': String(Buffer.byteLength(init.body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          init.signal.removeEventListener('abort', onAbort);
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, text: () => Promise.resolve(body) });
        });
      },
    );
    // Rejecting here as well covers an abort after the headers arrived, when the socket's own error
    // may never reach `req`; a settled promise ignores the later settle calls.
    const onAbort = (): void => {
      const reason: unknown = init.signal.reason;
      reject(reason);
      req.destroy(reason instanceof Error ? reason : undefined);
    };
    init.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => {
      init.signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    req.end(init.body);
  });
