/** @module The one table that maps domain errors to HTTP statuses and client-facing texts (never err.message). */
import { AggregatorStoppedError, CommitFailedError, PushbackError } from '../aggregator/aggregator.js';
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
  log(err);
  return textResponse(500, 'Internal error', CACHE.never);
}
