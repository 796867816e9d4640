/** @module Request dispatch: method and path to a handler, CORS and HEAD for every answer, errors mapped once (DESIGN §3). */
import { CACHE, CORS_HEADERS, PREFLIGHT_HEADERS } from './cache-policy.js';
import { errorResponse, textResponse } from './errors.js';
import { getTimestamp, getTip, postDigest, type CalendarRoutesDeps } from './calendar-routes.js';
import { metricsResponse } from './metrics-app.js';
import { getDonate, postDonate, type DonationRoutesDeps } from './donation-routes.js';
import { statusPage, type StatusSource } from './status-page.js';
import type { HttpRequest, HttpResponse } from './types.js';

export interface AppDeps extends CalendarRoutesDeps, DonationRoutesDeps {
  status: StatusSource;
  onError: (err: unknown) => void;
  /** Prometheus text for GET /metrics; undefined: metrics are served on a listener of their own, and /metrics here is 404. */
  metrics?: () => Promise<string>;
  /** Why the service is not ready to take and answer requests (empty when ready): GET /readyz. */
  notReady: () => string[];
  /** Checks monitoring probes beside readiness (a load balancer does not): GET /readyz/<name>, 503 with the reasons. */
  probes?: Readonly<Record<string, () => string[]>>;
  /**
   * More routes (e.g. the journal API for mirrors): each returns a response for the paths it owns and
   * undefined otherwise. Tried before the 404 for unknown paths.
   */
  extraRoutes?: ReadonlyArray<(req: HttpRequest) => HttpResponse | Promise<HttpResponse> | undefined>;
}

const ALLOW = 'GET, HEAD, POST, OPTIONS';

export function createApp(deps: AppDeps): (req: HttpRequest) => Promise<HttpResponse> {
  // not async: a POST /digest waits for its tick on the aggregator's promise alone, with no frames of ours kept
  const route = (req: HttpRequest): HttpResponse | Promise<HttpResponse> => {
    const { method, path } = req;
    if (method === 'OPTIONS') return { status: 204, headers: { ...PREFLIGHT_HEADERS, allow: ALLOW, 'cache-control': CACHE.status }, body: '' };
    const isGet = method === 'GET' || method === 'HEAD';
    if (path.startsWith('/timestamp/')) {
      if (isGet) return getTimestamp(deps, req, path.slice('/timestamp/'.length));
      return methodNotAllowed('GET, HEAD, OPTIONS');
    }
    if (path === '/digest') {
      if (method === 'POST') return postDigest(deps, req);
      return methodNotAllowed('POST, OPTIONS');
    }
    if (path === '/tip') return isGet ? getTip(deps) : methodNotAllowed('GET, HEAD, OPTIONS');
    if (path === '/donate') {
      if (isGet) return getDonate(deps);
      if (method === 'POST') return postDonate(deps, req);
      return methodNotAllowed('GET, HEAD, POST, OPTIONS');
    }
    if (path === '/healthz') return isGet ? textResponse(200, 'ok', CACHE.never) : methodNotAllowed('GET, HEAD, OPTIONS');
    if (path === '/readyz') {
      if (!isGet) return methodNotAllowed('GET, HEAD, OPTIONS');
      const problems = deps.notReady();
      return problems.length === 0 ? textResponse(200, 'ready', CACHE.never) : textResponse(503, `not ready: ${problems.join('; ')}`, CACHE.never);
    }
    if (path.startsWith('/readyz/')) {
      const probe = Object.hasOwn(deps.probes ?? {}, path.slice(8)) ? deps.probes?.[path.slice(8)] : undefined;
      if (probe === undefined) return textResponse(404, 'Not found', CACHE.unknownPath);
      if (!isGet) return methodNotAllowed('GET, HEAD, OPTIONS');
      const problems = probe();
      return problems.length === 0 ? textResponse(200, 'ok', CACHE.never) : textResponse(503, `not ok: ${problems.join('; ')}`, CACHE.never);
    }
    if (path === '/metrics' && deps.metrics) {
      if (!isGet) return methodNotAllowed('GET, HEAD, OPTIONS');
      return metricsResponse(req, deps.metrics);
    }
    if (path === '/' || path === '/status') return isGet ? statusPage(deps.status, req, path === '/status') : methodNotAllowed('GET, HEAD, OPTIONS');
    for (const extra of deps.extraRoutes ?? []) {
      const res = extra(req);
      if (res) return res;
    }
    if (method === 'POST') return textResponse(404, 'not found', CACHE.unknownPath);
    if (isGet) return textResponse(404, 'Not found', CACHE.unknownPath);
    return methodNotAllowed(ALLOW);
  };
  const failed = (err: unknown): HttpResponse => withCors(errorResponse(err, deps.onError));
  return (req) => {
    let res: HttpResponse | Promise<HttpResponse>;
    try {
      res = route(req);
    } catch (err) {
      return Promise.resolve(failed(err));
    }
    return res instanceof Promise ? res.then(withCors, failed) : Promise.resolve(withCors(res));
  };
}

/** CORS on every answer; a prepared header object carries it already and is left alone (HttpResponse). */
function withCors(res: HttpResponse): HttpResponse {
  if (res.headers['access-control-allow-origin'] === undefined) Object.assign(res.headers, CORS_HEADERS);
  return res;
}

function methodNotAllowed(allow: string): HttpResponse {
  return textResponse(405, 'Method not allowed', CACHE.never, { allow });
}
