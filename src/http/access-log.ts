/** @module What one access-log line says about a request: the client's address (a proxy's forwarded one only when the peer is a trusted proxy), method, path with query, status, bytes sent, time taken and user agent. Pure. */
import type { HttpRequest, HttpResponse } from './types.js';

/** Longest user agent or forwarded address kept in a log line: enough to read, not enough to flood the log. */
const MAX_FIELD = 200;

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) → `127.0.0.1`. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function header(req: HttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * The client's address. Only when the peer is one of `trusted` (our own nginx, a load balancer) is its word
 * taken: `X-Real-IP`, else the right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Anything a
 * client could write is ignored otherwise, so a log line never names an address a client made up.
 */
export function clientAddress(req: HttpRequest, trusted: ReadonlySet<string>): string {
  const peer = req.remote === undefined ? '-' : plainAddress(req.remote);
  if (!trusted.has(peer)) return peer;
  const real = header(req, 'x-real-ip')?.trim();
  if (real) return plainAddress(real).slice(0, MAX_FIELD);
  const forwarded = header(req, 'x-forwarded-for')?.split(',').map((a) => plainAddress(a.trim())).filter((a) => a !== '') ?? [];
  for (let i = forwarded.length - 1; i >= 0; i--) {
    const a = forwarded[i] as string;
    if (!trusted.has(a)) return a.slice(0, MAX_FIELD);
  }
  return peer;
}

/** Bytes of the answer's body as sent (none for HEAD). */
export function bodyBytes(req: HttpRequest, res: HttpResponse): number {
  if (req.method === 'HEAD') return 0;
  return typeof res.body === 'string' ? Buffer.byteLength(res.body) : res.body.length;
}

export interface AccessLine {
  msg: string;
  fields: { client: string; status: number; bytes: number; ms: number; ua: string | null };
}

export function accessLine(req: HttpRequest, res: HttpResponse, ms: number, trusted: ReadonlySet<string>): AccessLine {
  const ua = header(req, 'user-agent');
  return {
    msg: `${req.method} ${req.path}${req.query === '' ? '' : `?${req.query}`}`,
    fields: { client: clientAddress(req, trusted), status: res.status, bytes: bodyBytes(req, res), ms: Math.round(ms * 10) / 10, ua: ua === undefined ? null : ua.slice(0, MAX_FIELD) },
  };
}
