/** @module The journal API for mirrors: the head, aligned immutable chunks, and a long-poll tail, serving records exactly as stored (src/journal/api-protocol.ts). */
import type { CalendarIndex } from '../index/index.js';
import { IndexBackupChunks } from '../backup/index.js';
import { backupRoutes } from './backup-routes.js';
import {
  CHUNK_PREFIX,
  CHUNK_RECORDS,
  HEAD_PATH,
  HEADER,
  JOURNAL_API_VERSION,
  JournalClosedError,
  JournalHashes,
  JOURNAL_FORMAT,
  MAX_TAIL_WAIT_MS,
  SHORT_MAX_AGE_SECONDS,
  TAIL_PATH,
  type Journal,
  type JournalHeadInfo,
} from '../journal/index.js';
import { CACHE, notModified } from './cache-policy.js';
import { textResponse } from './errors.js';
import type { HttpRequest, HttpResponse } from './types.js';
import { bytesToHex } from '../ots/index.js';

/** Tail requests waiting at once; more are told to come back shortly (503) rather than holding more sockets. */
const MAX_WAITERS = 10_000;
const SHORT = `public, max-age=${SHORT_MAX_AGE_SECONDS}`;
const DECIMAL = /^\d{1,15}$/;

export interface JournalRoutesOptions {
  /** Records per chunk; the default is the protocol's, which every mirror expects. */
  chunkRecords?: number;
  /** Cap on `wait` of tail requests. */
  maxWaitMs?: number;
  /** Tail requests waiting at once (default 10,000). */
  maxWaiters?: number;
}

export interface JournalRoutes {
  /** An `extraRoutes` entry of createApp: answers /journal/… and returns undefined for every other path. */
  route(req: HttpRequest): Promise<HttpResponse> | undefined;
  /** Answers every waiting tail request now and stops waiting for appends (before the journal closes). */
  close(): void;
}

interface Waiter {
  from: number;
  wake(): void;
}

/** Nobody reads this answer (the connection closed); it is only logged, as nginx logs such a request. */
function clientGone(): HttpResponse {
  return textResponse(499, 'Client closed the connection', CACHE.never);
}

/**
 * Serves `journal` read-only. Every body is a run of whole records as stored, with the head hash after its last
 * record in a header; full chunks never change, so caches and CDNs may keep them for a year.
 */
export function journalRoutes(journal: Journal, opts: JournalRoutesOptions = {}): JournalRoutes {
  const C = opts.chunkRecords ?? CHUNK_RECORDS;
  const maxWait = opts.maxWaitMs ?? MAX_TAIL_WAIT_MS;
  const maxWaiters = opts.maxWaiters ?? MAX_WAITERS;
  const hashes = new JournalHashes(journal, C);
  const waiters = new Set<Waiter>();
  let closed = false;
  const unsubscribe = journal.onAppend(() => {
    if (waiters.size === 0) return;
    const size = journal.head().size;
    for (const w of waiters) if (w.from < size) w.wake();
  });

  const batchHeaders = (first: number, count: number, hash: Uint8Array): Record<string, string> => ({
    'content-type': 'application/octet-stream',
    [HEADER.first]: String(first),
    [HEADER.count]: String(count),
    [HEADER.hash]: bytesToHex(hash),
    [HEADER.segmentRecords]: String(journal.segmentRecords),
  });

  const head = (): HttpResponse => {
    const h = journal.head();
    const info: JournalHeadInfo = { format: JOURNAL_FORMAT, version: JOURNAL_API_VERSION, size: h.size, hash: bytesToHex(h.hash), segmentRecords: journal.segmentRecords, chunkRecords: C };
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': SHORT }, body: JSON.stringify(info) + '\n' };
  };

  const chunk = async (req: HttpRequest, n: number): Promise<HttpResponse> => {
    const size = journal.head().size;
    const first = n * C;
    if (first >= size) return textResponse(404, 'Not found', SHORT);
    const count = Math.min(C, size - first);
    const [bytes, hash] = await Promise.all([journal.readRange(first, count), hashes.at(first + count)]);
    const headers = batchHeaders(first, count, hash);
    if (count < C) return { status: 200, headers: { ...headers, 'cache-control': SHORT }, body: bytes };
    // the hash after the chunk names its content (and everything before it): a strong validator
    const etag = `"${bytesToHex(hash)}"`;
    Object.assign(headers, { 'cache-control': CACHE.complete, etag });
    const inm = req.headers['if-none-match'];
    if (notModified(Array.isArray(inm) ? inm.join(',') : inm, etag)) return { status: 304, headers, body: '' };
    return { status: 200, headers, body: bytes };
  };

  const tail = async (from: number, waitMs: number, signal: AbortSignal | undefined): Promise<HttpResponse> => {
    const now = journal.head();
    if (from > now.size) {
      // not an empty answer: a follower asking past the end holds records this journal does not (or it is behind);
      // the head in the headers tells which
      return textResponse(416, `from ${from} is beyond the end of the journal (${now.size} records)`, CACHE.never, { [HEADER.size]: String(now.size), [HEADER.headHash]: bytesToHex(now.hash) });
    }
    if (now.size === from && waitMs > 0 && !closed) {
      if (signal?.aborted) return clientGone();
      // an empty answer now would bring the same request straight back: a storm instead of a wait
      if (waiters.size >= maxWaiters) return textResponse(503, 'Too many waiting requests; retry shortly', CACHE.never, { 'retry-after': '1' });
      await new Promise<void>((resolve) => {
        const w: Waiter = {
          from,
          wake: () => {
            clearTimeout(timer);
            waiters.delete(w);
            signal?.removeEventListener('abort', w.wake);
            resolve();
          },
        };
        const timer = setTimeout(w.wake, waitMs);
        // a waiting request must not keep a stopping process alive
        timer.unref();
        waiters.add(w);
        // a client that went away frees its place at once, not when its wait would have ended
        signal?.addEventListener('abort', w.wake, { once: true });
      });
      // woken by close(): the journal is about to close under this request
      if (closed) return textResponse(503, 'Shutting down; retry shortly', CACHE.never, { 'retry-after': '1' });
      if (signal?.aborted) return clientGone();
    }
    const h = journal.head();
    // never past the end of `from`'s chunk: the follower then reads whole chunks, which caches keep
    const end = Math.min(h.size, Math.floor(from / C) * C + C);
    const count = Math.max(0, end - from);
    // at the head (the steady state) the snapshot's hash is the one; a cut at a chunk end is folded (and remembered)
    const atHead = count === 0 || from + count === h.size;
    const [bytes, hash] = await Promise.all([journal.readRange(from, count), atHead ? h.hash : hashes.at(from + count)]);
    const headers = { ...batchHeaders(from, count, hash), [HEADER.size]: String(h.size), [HEADER.headHash]: bytesToHex(h.hash), 'cache-control': CACHE.never };
    return { status: 200, headers, body: bytes };
  };

  const route = (req: HttpRequest): Promise<HttpResponse> | undefined => {
    const res = dispatch(req);
    // a request still waiting when the journal closed (a stop without close()) is told to come back
    return res?.catch((err: unknown) => {
      if (err instanceof JournalClosedError) return textResponse(503, 'Shutting down; retry shortly', CACHE.never, { 'retry-after': '1' });
      throw err;
    });
  };

  const dispatch = (req: HttpRequest): Promise<HttpResponse> | undefined => {
    const { path } = req;
    if (!path.startsWith('/journal/')) return undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') return Promise.resolve(textResponse(405, 'Method not allowed', CACHE.never, { allow: 'GET, HEAD, OPTIONS' }));
    if (path === HEAD_PATH) return Promise.resolve(head());
    if (path.startsWith(CHUNK_PREFIX)) {
      const n = path.slice(CHUNK_PREFIX.length);
      if (!DECIMAL.test(n)) return Promise.resolve(textResponse(400, 'chunk number must be a decimal integer', CACHE.malformed));
      return chunk(req, Number(n));
    }
    if (path === TAIL_PATH) {
      const params = new URLSearchParams(req.query);
      const from = params.get('from') ?? '';
      const wait = params.get('wait') ?? '0';
      if (!DECIMAL.test(from) || !DECIMAL.test(wait)) return Promise.resolve(textResponse(400, 'from and wait must be decimal integers', CACHE.never));
      return tail(Number(from), Math.min(Number(wait), maxWait), req.signal);
    }
    return Promise.resolve(textResponse(404, 'Not found', CACHE.unknownPath));
  };

  return {
    route,
    close: () => {
      closed = true;
      unsubscribe();
      for (const w of [...waiters]) w.wake();
    },
  };
}

/**
 * Everything a calendar serves for mirrors, as `extraRoutes` of createApp: the journal API over `journal`, and
 * the reference's backup chunks built from `index`. A stopping process answers waiting tail requests with 503.
 */
export function mirrorApiRoutes(journal: Journal, index: CalendarIndex): Array<(req: HttpRequest) => Promise<HttpResponse> | undefined> {
  const journalApi = journalRoutes(journal);
  const backupApi = backupRoutes(new IndexBackupChunks(index));
  return [(req) => journalApi.route(req), (req) => backupApi.route(req)];
}
