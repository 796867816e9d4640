/** @module GET /experimental/backup/<n>: the reference's backup chunks, for its `otsd-backup.py` and for our mirrors (reference-server §1.5, §6.1). */
import type { BackupChunkSource } from '../backup/index.js';
import { CACHE } from './cache-policy.js';
import { textResponse } from './errors.js';
import type { HttpRequest, HttpResponse } from './types.js';

export const BACKUP_PREFIX = '/experimental/backup/';
/** The reference's 404 here: empty, cached for a minute (the next chunk may appear any time). */
const NOT_YET = 'public, max-age=60';
const DECIMAL = /^\d{1,12}$/;

export interface BackupRoutes {
  /** An `extraRoutes` entry of createApp: answers /experimental/backup/… and returns undefined for every other path. */
  route(req: HttpRequest): Promise<HttpResponse> | undefined;
}

/**
 * A chunk that exists never changes: 200 is cacheable for a year; one that does not exist yet is a short, empty 404
 * as the reference's; a path that names no chunk number is a 400 that says so.
 */
export function backupRoutes(source: BackupChunkSource): BackupRoutes {
  const route = async (req: HttpRequest, n: string): Promise<HttpResponse> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return textResponse(405, 'Method not allowed', CACHE.never, { allow: 'GET, HEAD, OPTIONS' });
    // the reference answered its bare 404 for any n int() refused; its backup tool only ever asks for numbers
    if (!DECIMAL.test(n)) return textResponse(400, 'backup chunk number must be a decimal integer', CACHE.malformed);
    const bytes = await source.backupChunk(Number(n));
    if (bytes === undefined) return textResponse(404, '', NOT_YET);
    return { status: 200, headers: { 'content-type': 'application/octet-stream', 'cache-control': CACHE.complete }, body: bytes };
  };
  return {
    route: (req) => (req.path.startsWith(BACKUP_PREFIX) ? route(req, req.path.slice(BACKUP_PREFIX.length)) : undefined),
  };
}
