/** @module The mirror's Prometheus metrics: lag, records, verification failures, retries and checked attestations, plus HTTP latency. */
import { Registry, routeOf, type Counter, type Histogram } from '../http/metrics.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';

export interface MirrorMetricsSources {
  lagSeconds: () => number | undefined;
  /** Records (journal mode) or chunks (backup mode) held. */
  records: () => number;
  upstreamRecords: () => number | undefined;
  commitments: () => number;
  /** 1 while following, 0 once stopped on a failure. */
  following: () => boolean;
  /** The failure that stopped following, by code (a bounded set). */
  failureCode: () => string | undefined;
  recordsAppended: () => number;
  attestationsChecked: () => number;
  retries: () => number;
}

export interface MirrorMetrics {
  registry: Registry;
  onRequest(req: HttpRequest, res: HttpResponse, ms: number): void;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A counter whose value is read from its owner at scrape time (the follower's own tallies). */
function collectedCounter(name: string, help: string, read: () => number, labels?: () => Record<string, string> | undefined): { name: string; help: string; type: 'counter'; render(): string[] } {
  return {
    name,
    help,
    type: 'counter',
    render: () => {
      const l = labels?.();
      const k = l ? `{${Object.entries(l).map(([key, v]) => `${key}="${v}"`).join(',')}}` : '';
      return [`${name}${k} ${read()}`];
    },
  };
}

export function mirrorMetrics(src: MirrorMetricsSources): MirrorMetrics {
  const r = new Registry();
  r.gauge('ots_mirror_lag_seconds', 'How far behind the upstream the mirror may be (0 while waiting at its head)', src.lagSeconds);
  r.gauge('ots_mirror_records', 'Records the mirror holds, verified', src.records);
  r.gauge('ots_mirror_upstream_records', 'Records the upstream held when it last answered', src.upstreamRecords);
  r.gauge('ots_commitments', 'Commitments in the mirrored journal', src.commitments);
  r.gauge('ots_mirror_following', '1 while following the upstream, 0 once stopped by a verification failure', () => (src.following() ? 1 : 0));
  r.register(collectedCounter('ots_mirror_records_appended_total', 'Records verified and stored since start', src.recordsAppended));
  r.register(collectedCounter('ots_mirror_attestations_checked_total', 'Attestations checked against the node since start', src.attestationsChecked));
  r.register(collectedCounter('ots_mirror_retries_total', 'Transient failures (upstream or node unavailable) retried since start', src.retries));
  r.register(
    collectedCounter(
      'ots_mirror_verification_failures_total',
      'Verification failures that stopped following, by code',
      () => (src.failureCode() ? 1 : 0),
      () => {
        const code = src.failureCode();
        return code ? { code } : undefined;
      },
    ),
  );
  const requests: Counter = r.counter('ots_http_requests_total', 'HTTP requests by route, method and status');
  const latency: Histogram = r.histogram('ots_http_request_duration_seconds', 'HTTP request latency by route and status', LATENCY_BUCKETS);
  return {
    registry: r,
    onRequest: (req, res, ms) => {
      const labels = { route: routeOf(req.path), status: String(res.status) };
      requests.inc({ ...labels, method: req.method });
      latency.observe(ms / 1000, labels);
    },
  };
}
