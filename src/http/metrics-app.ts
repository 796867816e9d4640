/** @module GET /metrics: the Prometheus answer, served by the public app, or alone by the dispatch of a separate metrics listener (`--metrics-listen`) so that metrics need not be public. */
import { CACHE } from './cache-policy.js';
import { errorResponse, textResponse } from './errors.js';
import type { HttpRequest, HttpResponse } from './types.js';

/** The text exposition format's content type (version 0.0.4), as Prometheus asks for it. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** GET /metrics (HEAD too; any other method is 405). */
export async function metricsResponse(req: HttpRequest, metrics: () => Promise<string>): Promise<HttpResponse> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return textResponse(405, 'Method not allowed', CACHE.never, { allow: 'GET, HEAD' });
  return { status: 200, headers: { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': CACHE.never }, body: await metrics() };
}

/** The dispatch of a listener that serves only /metrics: every other path is 404. */
export function createMetricsApp(deps: { metrics: () => Promise<string>; onError: (err: unknown) => void }): (req: HttpRequest) => Promise<HttpResponse> {
  return async (req) => {
    try {
      if (req.path === '/metrics') return await metricsResponse(req, deps.metrics);
      return textResponse(404, 'Not found: this address serves only /metrics', CACHE.never);
    } catch (err) {
      return errorResponse(err, deps.onError);
    }
  };
}
