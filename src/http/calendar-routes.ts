/** @module The calendar's wire-compatible endpoints: POST /digest, GET /timestamp/<hex>, GET /tip (reference-server §1). */
import type { Aggregator } from '../aggregator/aggregator.js';
import { MAX_DIGEST_LENGTH } from '../aggregator/aggregator.js';
import type { Answer } from '../calendar/calendar.js';
import { CACHE, CORS_HEADERS, notModified } from './cache-policy.js';
import { HttpError, textResponse } from './errors.js';
import type { HttpRequest, HttpResponse } from './types.js';

const UPPER = /[A-F]/;
/** Longest commitment a client may ask about: any message up to the op limit could be a node of a proof. */
const MAX_COMMITMENT_HEX = 2 * 4096;

export interface CalendarRoutesDeps {
  /** Absent on a role that takes no digests (a mirror): POST /digest is then an unknown path. */
  aggregator?: Aggregator;
  /** Where `commitment` stands; `key` is its lower-case hex (what the proof cache is keyed by). */
  answer: (commitment: Uint8Array, key: string) => Answer;
  /**
   * The complete proof cached for this exact path segment when it is a commitment's lower-case hex, else
   * undefined (`answer` is then asked): a cached proof is answered without decoding the hex again.
   */
  cachedProof?: (key: string) => Uint8Array | undefined;
  /** The merkle tip of the transaction being built, if any (GET /tip). */
  tip?: () => Uint8Array | undefined;
  /** Cache-Control for pending answers (default CACHE.pending). */
  pendingCacheControl?: string;
}

/** Answers once the digest's commitment is durable; not async, so a waiting request holds no frame of ours. */
export function postDigest(deps: CalendarRoutesDeps, req: HttpRequest): HttpResponse | Promise<HttpResponse> {
  if (!deps.aggregator) return textResponse(404, 'not found', CACHE.unknownPath);
  if (req.body.length > MAX_DIGEST_LENGTH) throw new HttpError(400, 'digest too long');
  return deps.aggregator.submit(req.body).then(digestAnswer);
}

function digestAnswer(proof: Uint8Array): HttpResponse {
  return { status: 200, headers: { 'content-type': 'application/octet-stream', 'cache-control': CACHE.never }, body: proof };
}

export function getTimestamp(deps: CalendarRoutesDeps, req: HttpRequest, hex: string): HttpResponse {
  // only a commitment's lower-case hex is a key of the proof cache, so a hit is valid hex already
  const cached = deps.cachedProof?.(hex);
  if (cached !== undefined) return completeAnswer(req, cached);
  // parsing is the check: hex decodes to half its length only when every pair is hex
  const commitment = hex.length <= MAX_COMMITMENT_HEX && hex.length % 2 === 0 ? Buffer.from(hex, 'hex') : undefined;
  if (commitment === undefined || commitment.length * 2 !== hex.length) {
    return textResponse(400, 'commitment must be hex-encoded bytes', CACHE.malformed);
  }
  const answer = deps.answer(commitment, UPPER.test(hex) ? hex.toLowerCase() : hex);
  switch (answer.kind) {
    case 'complete':
      return completeAnswer(req, answer.proof);
    case 'pending':
      return textResponse(404, answer.reason, deps.pendingCacheControl ?? CACHE.pending);
    case 'unknown':
      return textResponse(404, 'Not found', CACHE.unknown);
  }
}

/** 200 with the proof and its prepared headers, or 304 when the client's If-None-Match names its ETag. */
function completeAnswer(req: HttpRequest, proof: Uint8Array): HttpResponse {
  const ready = prepared(proof);
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && notModified(Array.isArray(inm) ? inm.join(',') : inm, ready.etag)) {
    return { status: 304, headers: { 'content-type': 'application/octet-stream', 'cache-control': CACHE.complete, etag: ready.etag }, body: '' };
  }
  return { status: 200, headers: ready.headers, body: proof };
}

export function getTip(deps: CalendarRoutesDeps): HttpResponse {
  const tip = deps.tip?.();
  if (!tip) return textResponse(404, 'No transaction in progress', CACHE.tip);
  return { status: 200, headers: { 'content-type': 'application/octet-stream', 'cache-control': CACHE.tip }, body: tip };
}

interface Prepared {
  etag: string;
  /** Every header of the 200 answer, CORS and length included, in the order they are sent: shared, never modified. */
  headers: Record<string, string>;
}

/**
 * The answer's headers for proofs the index keeps cached (the same bytes object), so a hot proof is hashed
 * and its headers are built once, not at every request.
 */
const ready = new WeakMap<Uint8Array, Prepared>();

function prepared(proof: Uint8Array): Prepared {
  let p = ready.get(proof);
  if (p === undefined) {
    const etag = `"${etagOf(proof)}"`;
    const headers = { 'content-type': 'application/octet-stream', 'cache-control': CACHE.complete, etag, ...CORS_HEADERS, 'content-length': String(proof.length) };
    ready.set(proof, (p = { etag, headers }));
  }
  return p;
}
/** A strong validator for immutable bytes: FNV-1a 64 over the proof, cheap and stable across restarts and mirrors. */
function etagOf(bytes: Uint8Array): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    h1 = Math.imul(h1 ^ (bytes[i] as number), 0x01000193);
    h2 = Math.imul(h2 ^ (bytes[bytes.length - 1 - i] as number), 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0') + bytes.length.toString(16);
}
