/** @module GET / and GET /status: what this server is and how it is doing, as an HTML page for people or JSON for machines, never mixed (reference-server §1.8 bugs fixed). */
import { CACHE } from './cache-policy.js';
import { preferredFormat } from './welcome-accept.js';
import { renderWelcome } from './welcome-html.js';
import { WELCOME_CSP } from './welcome-style.js';
import type { HttpRequest, HttpResponse } from './types.js';
import type { StatusInfo } from './status-info.js';

export type StatusSource = () => StatusInfo;

/**
 * Answers `/` (HTML unless the Accept header prefers JSON; `Vary: Accept` so caches keep the two
 * apart) and `/status` (always JSON). Both may be cached for a few seconds.
 */
export function statusPage(source: StatusSource, req: HttpRequest, jsonOnly: boolean): HttpResponse {
  const accept = req.headers['accept'];
  const format = jsonOnly ? 'json' : preferredFormat(Array.isArray(accept) ? accept.join(',') : accept);
  const info = source();
  const headers: Record<string, string> = { 'cache-control': CACHE.status, 'x-content-type-options': 'nosniff' };
  if (!jsonOnly) headers['vary'] = 'Accept';
  if (format === 'json') {
    return { status: 200, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(info, null, 2) + '\n' };
  }
  return {
    status: 200,
    headers: { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': WELCOME_CSP, 'referrer-policy': 'no-referrer' },
    body: renderWelcome(info, new Date()),
  };
}
