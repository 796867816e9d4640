/** @module HTTP request metrics: count and latency by route, method and status, with a fixed set of route labels so cardinality stays bounded. */
import type { Counter, Histogram, Registry } from '../metrics/registry.js';
import type { HttpRequest, HttpResponse } from './types.js';

export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Route label for HTTP metrics: a fixed, small set so label cardinality stays bounded. */
export function routeOf(path: string): string {
  if (path.startsWith('/timestamp/')) return '/timestamp';
  if (path.startsWith('/journal/')) return '/journal';
  if (path.startsWith('/experimental/backup/')) return '/experimental/backup';
  switch (path) {
    case '/':
    case '/digest':
    case '/tip':
    case '/status':
    case '/metrics':
    case '/healthz':
    case '/readyz':
      return path;
    default:
      return 'other';
  }
}

/** Registers the request counter and latency histogram in `r`; the returned function observes one answered request. */
export function requestMetrics(r: Registry): (req: HttpRequest, res: HttpResponse, ms: number) => void {
  const requests: Counter<'method' | 'route' | 'status'> = r.counter('ots_http_requests_total', 'HTTP requests by route, method and status', { labels: ['method', 'route', 'status'] });
  const latency: Histogram<'route' | 'status'> = r.histogram('ots_http_request_duration_seconds', 'HTTP request latency by route and status', LATENCY_BUCKETS, { labels: ['route', 'status'] });
  // one entry per method, route and status seen: bounded as the labels are (a method is one node:http parsed)
  const bound = new Map<string, { count: () => void; time: (seconds: number) => void }>();
  return (req, res, ms) => {
    const route = routeOf(req.path);
    const key = `${req.method} ${route} ${res.status}`;
    let b = bound.get(key);
    if (b === undefined) {
      const labels = { route, status: String(res.status) };
      b = { count: requests.of({ method: req.method, ...labels }), time: latency.of(labels) };
      bound.set(key, b);
    }
    b.count();
    b.time(ms / 1000);
  };
}
