/**
 * @module Answers to requests that never reach dispatch: what node's parser refuses, CONNECT, and request lines
 * this server does not speak (HTTP/0.9, HTTP/2 over plain text); each with a status and a text that say what
 * was wrong, as the README promises for bad input.
 */
import { METHODS } from 'node:http';
import { CORS_HEADERS } from './cache-policy.js';
import type { HttpRequest, HttpResponse } from './types.js';

/** Every method this server answers anywhere; anything else is a 405 with this list. */
export const ALLOWED_METHODS = 'GET, HEAD, POST, OPTIONS';

/** The answer to a request node's parser refused, by its error code (llhttp's `HPE_…`, or node's own). */
export function parserErrorAnswer(err: { code?: string; reason?: string; rawPacket?: Buffer }): HttpResponse {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return closing(431, 'Request headers too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return closing(408, 'Request timeout');
    case 'HPE_INVALID_METHOD':
      // a method node does not know (BREW) is a 405; bytes that are not HTTP at all (a TLS hello) are a 400
      return METHOD_TOKEN.test(err.rawPacket?.subarray(0, 64).toString('latin1') ?? '') ? closing(405, 'Method not allowed', { allow: ALLOWED_METHODS }) : closing(400, 'Bad request');
    case 'HPE_INVALID_VERSION':
      return closing(505, 'HTTP version not supported: send HTTP/1.1 (or HTTP/1.0)');
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return closing(400, BOTH_LENGTHS);
    case 'HPE_INVALID_CONTENT_LENGTH':
      // llhttp reports both orders of the two headers, one of them under this code
      return closing(400, /transfer-encoding/i.test(err.reason ?? '') ? BOTH_LENGTHS : 'invalid Content-Length');
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return closing(400, 'more than one Content-Length');
    default:
      return closing(400, 'Bad request');
  }
}

/** A request line's start: a method token (RFC 9110 §9.1) and a space. */
const METHOD_TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32} /;
const BOTH_LENGTHS = 'Content-Length and Transfer-Encoding must not be sent together';

/** CONNECT: this is no proxy. */
export function connectAnswer(): HttpResponse {
  return closing(405, 'Method not allowed', { allow: ALLOWED_METHODS });
}

/**
 * The answer to a parsed request this server does not speak, or undefined for one it does: only HTTP/1.x, and
 * HTTP/1.1 must name its Host (RFC 9112 §3.2).
 */
export function unspokenRequestAnswer(versionMajor: number, versionMinor: number, host: string | undefined): HttpResponse | undefined {
  if (versionMajor === 1) {
    if (versionMinor >= 1 && host === undefined) return closing(400, 'Host header required (HTTP/1.1)');
    return undefined;
  }
  // node's parser reads a request line without a version as HTTP/0.9
  if (versionMajor === 0) return closing(400, 'The request line must end with the HTTP version: HTTP/1.1 (or HTTP/1.0)');
  return closing(505, 'HTTP version not supported: send HTTP/1.1 (or HTTP/1.0)');
}

/** The bytes of an answer written straight to a socket node:http no longer serves (parser errors, CONNECT). */
export function rawAnswer(res: HttpResponse): string {
  const body = typeof res.body === 'string' ? res.body : Buffer.from(res.body).toString('latin1');
  const head = [`HTTP/1.1 ${res.status} ${REASONS[res.status] ?? 'Error'}`];
  for (const [k, v] of Object.entries({ ...res.headers, 'content-length': String(Buffer.byteLength(body)) })) head.push(`${k}: ${v}`);
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  505: 'HTTP Version Not Supported',
};

/**
 * What the access log and metrics see of a request the parser refused: its method and path when they are
 * plain tokens (a method node knows, so metric labels stay few), '-' otherwise; never raw bytes.
 */
export function describeRefused(rawPacket: Buffer | undefined): HttpRequest {
  const line = rawPacket ? rawPacket.subarray(0, 512).toString('latin1').split('\r\n', 1)[0] ?? '' : '';
  const [method = '', target = ''] = line.split(' ');
  const path = target.split('?', 1)[0] ?? '';
  return {
    method: METHODS.includes(method) ? method : '-',
    path: /^\/[\x21-\x7e]{0,200}$/.test(path) ? path : '-',
    query: '',
    headers: {},
    body: new Uint8Array(0),
  };
}

function closing(status: number, text: string, extra: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close', ...CORS_HEADERS, ...extra },
    body: text,
  };
}
