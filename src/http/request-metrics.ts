/**
 * @module HTTP request metrics: count and latency by route, method and status, with a fixed set of route labels so cardinality stays bounded. Counted here in plain numbers, one tally per label set, and handed to the registry at every scrape: nothing per request but a few map reads and increments.
 */
import type { HistogramTally, Registry } from '../metrics/registry.js';
import type { HttpRequest, HttpResponse } from './types.js';

export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Route label for HTTP metrics: a fixed, small set so label cardinality stays bounded. */
export function routeOf(path: string): string {
  if (path.startsWith('/timestamp/')) return '/timestamp';
  if (path.startsWith('/journal/')) return '/journal';
  if (path.startsWith('/experimental/backup/')) return '/experimental/backup';
  // the labels are these literals, not the request's own string: the tallies' maps find them by a kept hash
  switch (path) {
    case '/':
      return '/';
    case '/digest':
      return '/digest';
    case '/tip':
      return '/tip';
    case '/status':
      return '/status';
    case '/metrics':
      return '/metrics';
    case '/healthz':
      return '/healthz';
    case '/readyz':
      return '/readyz';
    default:
      return 'other';
  }
}

/** The latency of one route and status: observations per bucket of LATENCY_BUCKETS (the last above them all) and their sum. */
class Latency implements HistogramTally<'route' | 'status'> {
  readonly counts = new Float64Array(LATENCY_BUCKETS.length + 1);
  sum = 0;
  constructor(readonly labels: { route: string; status: string }) {}

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[i] as number)) i++;
    (this.counts[i] as number)++;
    this.sum += seconds;
  }
}

/** Requests of one method, route and status, and the latency they share with the route's other methods. */
interface Tally {
  labels: { method: string; route: string; status: string };
  count: number;
  latency: Latency;
}

/** Registers the request counter and latency histogram in `r`; the returned function observes one answered request. */
export function requestMetrics(r: Registry): (req: HttpRequest, res: HttpResponse, ms: number) => void {
  // route → method → status; bounded as the labels are (a method is one node:http parsed)
  const tallies = new Map<string, Map<string, Map<number, Tally>>>();
  const all: Tally[] = [];
  const latencies = new Map<string, Latency>();
  r.counter('ots_http_requests_total', 'HTTP requests by route, method and status', {
    labels: ['method', 'route', 'status'],
    read: () => all.map((t) => ({ labels: t.labels, value: t.count })),
  });
  r.tallyHistogram('ots_http_request_duration_seconds', 'HTTP request latency by route and status', LATENCY_BUCKETS, { labels: ['route', 'status'], read: () => latencies.values() });
  const tallyOf = (method: string, route: string, status: number): Tally => {
    let byMethod = tallies.get(route);
    if (byMethod === undefined) tallies.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let t = byStatus.get(status);
    if (t === undefined) {
      const key = `${route} ${status}`;
      let latency = latencies.get(key);
      if (latency === undefined) latencies.set(key, (latency = new Latency({ route, status: String(status) })));
      byStatus.set(status, (t = { labels: { method, route, status: String(status) }, count: 0, latency }));
      all.push(t);
    }
    return t;
  };
  return (req, res, ms) => {
    const route = routeOf(req.path);
    const t = tallies.get(route)?.get(req.method)?.get(res.status) ?? tallyOf(req.method, route, res.status);
    t.count++;
    t.latency.observe(ms / 1000);
  };
}
