/**
 * @module The journal API's wire contract, shared by the routes that serve it and the follower that reads it: paths, headers, chunk size, limits (DESIGN §3).
 *
 *   GET /journal/head                  JSON {format, version, size, hash, segmentRecords, chunkRecords}; cacheable for seconds
 *   GET /journal/chunk/<n>             records [n·C, n·C + C) as stored; immutable once full, short-lived while partial
 *   GET /journal/tail?from=S&wait=MS   records from S up to the end of S's chunk; waits up to MS for the first one; no-store;
 *                                      416 when S is beyond the head (whose size and hash are in the headers, as on a 200)
 *
 * Bodies are the records exactly as stored (frames with their CRC), so a mirror appends them as they are and its
 * journal is byte-identical to its upstream's. Every body says which records it holds and the head hash after its
 * last record, so the follower checks the hash chain before it stores anything (src/journal/head-hash.ts).
 */

/** Records per chunk: a day of one-per-second commits is 22 chunks of about 250 KB; the same for every server, so URLs align. */
export const CHUNK_RECORDS = 4096;
/** Longest a tail request waits for new records; short enough for any proxy's idle timeout. */
export const MAX_TAIL_WAIT_MS = 30_000;
/** How long a cache may keep the head or a partial chunk: they grow by the second. */
export const SHORT_MAX_AGE_SECONDS = 1;

export const JOURNAL_FORMAT = 'ots-calendar-journal';
export const JOURNAL_API_VERSION = 1;

export const HEAD_PATH = '/journal/head';
export const CHUNK_PREFIX = '/journal/chunk/';
export const TAIL_PATH = '/journal/tail';

/** Response headers (lower case, as node:http and fetch hand them over). */
export const HEADER = {
  /** Seq of the first record in the body. */
  first: 'x-journal-first',
  /** Records in the body. */
  count: 'x-journal-count',
  /** Head hash (hex) after the body's last record: h(first + count − 1). */
  hash: 'x-journal-hash',
  /** Tail only (its 416 too): the upstream's head size when it answered. */
  size: 'x-journal-size',
  /** Tail only (its 416 too): the upstream's head hash when it answered. */
  headHash: 'x-journal-head-hash',
  /** Records per segment file: a mirror created with the same value has byte-identical segments. */
  segmentRecords: 'x-journal-segment-records',
} as const;

/** What GET /journal/head answers. */
export interface JournalHeadInfo {
  format: typeof JOURNAL_FORMAT;
  version: number;
  size: number;
  /** Hex of the head hash h(size − 1); 32 zero bytes for an empty journal. */
  hash: string;
  segmentRecords: number;
  chunkRecords: number;
}

/** Joins a path of the API onto an upstream's base URL, keeping any path prefix the base has (`https://host/cal/`). */
export function apiUrl(base: string, path: string): string {
  const root = base.endsWith('/') ? base : `${base}/`;
  return new URL(path.replace(/^\//, ''), root).toString();
}
