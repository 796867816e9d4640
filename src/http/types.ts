/** @module The HTTP edge's own request/response shapes: handlers are plain functions, testable without a socket (style rule 11). */
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
  /**
   * Aborted once the client's connection closes before the answer was written: a handler that waits (a long
   * poll) stops and lets go of what it holds. Absent when nothing serves a connection (a direct call).
   */
  readonly signal?: AbortSignal;
  /** The peer's address (a proxy's, behind one); absent when nothing serves a connection (a direct call). */
  readonly remote?: string;
}

export interface HttpResponse {
  status: number;
  /**
   * Headers to send. A handler may answer with a prepared object shared by many answers (a complete proof's):
   * one that already carries Access-Control-Allow-Origin and Content-Length is sent as it is, never modified.
   */
  headers: Record<string, string>;
  body: Uint8Array | string;
}
