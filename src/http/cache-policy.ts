/** @module How long a cache may keep each kind of answer: a complete proof never changes, a pending one soon will (DESIGN §3). */

export const CACHE = {
  /** A complete proof: the same bytes forever. */
  complete: 'public, max-age=31536000, immutable',
  /** Pending: re-checked soon so a cache in front shows the complete proof shortly after anchoring. */
  pending: 'public, max-age=30',
  /** Unknown commitment: briefly, so a digest submitted through another path is found soon. */
  unknown: 'public, max-age=5',
  /** Malformed request URLs never become valid. */
  malformed: 'public, max-age=31536000, immutable',
  tip: 'public, max-age=10',
  status: 'public, max-age=5',
  unknownPath: 'public, max-age=3600',
  never: 'no-store',
} as const;

/** Headers every answer carries: browsers may call a calendar from any origin (the JS client does). */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'ETag, Retry-After',
};

export const PREFLIGHT_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-methods': 'GET, HEAD, POST, OPTIONS',
  'access-control-allow-headers': 'Content-Type, Accept, If-None-Match',
  'access-control-max-age': '86400',
};

/** True when If-None-Match names this strong ETag (or `*`). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
