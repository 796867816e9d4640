/** @module The one table that maps domain errors to HTTP statuses and client-facing texts (never err.message). */
import { AggregatorStoppedError, CommitFailedError, PushbackError } from '../aggregator/aggregator.js';
import { DonationPushbackError, DonationRefusedError } from '../anchor/errors.js';
import { CACHE } from './cache-policy.js';
import type { HttpResponse } from './types.js';

/** An error the edge itself raises for a bad request; the text is written for the client. */
export class HttpError extends Error {
  readonly code = 'http';
  constructor(
    readonly status: number,
    readonly text: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(text);
    this.name = 'HttpError';
  }
}

export function jsonResponse(status: number, value: unknown, cacheControl: string, extra: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': cacheControl, 'x-content-type-options': 'nosniff', ...extra }, body: JSON.stringify(value) + '\n' };
}

export function textResponse(status: number, text: string, cacheControl: string, extra: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': cacheControl, ...extra }, body: text };
}

/** Maps anything thrown by a handler to a response; unknown errors become a 500 that leaks nothing. */
export function errorResponse(err: unknown, log: (err: unknown) => void): HttpResponse {
  if (err instanceof HttpError) return textResponse(err.status, err.text, CACHE.never, err.headers);
  if (err instanceof PushbackError) {
    return textResponse(503, 'Too many digests waiting; retry shortly', CACHE.never, { 'retry-after': String(err.retryAfterSeconds) });
  }
  if (err instanceof AggregatorStoppedError) return textResponse(503, 'Shutting down; retry shortly', CACHE.never, { 'retry-after': '5' });
  if (err instanceof CommitFailedError) {
    // logged once per failed tick by the aggregator's owner, not once per waiting request
    return textResponse(503, 'Could not store the digest durably; retry shortly', CACHE.never, { 'retry-after': '5' });
  }
  if (err instanceof DonationRefusedError) {
    // the code and the reason are written for the donor (src/anchor/donation-protocol.ts)
    return jsonResponse(400, { accepted: false, code: err.refusal, reason: err.reason }, CACHE.never);
  }
  if (err instanceof DonationPushbackError) {
    return textResponse(err.kind === 'rate' ? 429 : 503, err.text, CACHE.never, { 'retry-after': String(err.retryAfterSeconds) });
  }
  log(err);
  return textResponse(500, 'Internal error', CACHE.never);
}
