/** @module The calendar's metrics: intake, ticks, journal, index and HTTP latency, plus gauges any other part adds. */
import { Registry, routeOf, type Histogram, type Counter } from './metrics.js';
import type { HttpRequest, HttpResponse } from './types.js';

export interface CalendarMetricsSources {
  commitments: () => number;
  pendingCommitments: () => number | undefined;
  journalRecords: () => number;
  journalBytes: () => number | undefined;
  queued: () => number;
}

export interface CalendarMetrics {
  registry: Registry;
  onTick(info: { digests: number; ms: number }): void;
  onTickFailed(): void;
  onRequest(req: HttpRequest, res: HttpResponse, ms: number): void;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000];

export function calendarMetrics(src: CalendarMetricsSources): CalendarMetrics {
  const r = new Registry();
  const digests: Counter = r.counter('ots_digests_total', 'Digests acknowledged (their commitment durable)');
  const ticks: Counter = r.counter('ots_ticks_total', 'Aggregator ticks that committed a merkle root');
  const tickFailures: Counter = r.counter('ots_tick_failures_total', 'Ticks whose commitment could not be stored (their digests got 503)');
  const batch: Histogram = r.histogram('ots_tick_batch_size', 'Digests per tick', BATCH_BUCKETS);
  const tickSeconds: Histogram = r.histogram('ots_tick_duration_seconds', 'Time to build a tick\'s tree and make its commitment durable', LATENCY_BUCKETS);
  r.gauge('ots_commitments', 'Commitments in the journal', src.commitments);
  r.gauge('ots_pending_commitments', 'Commitments not yet anchored', src.pendingCommitments);
  r.gauge('ots_journal_records', 'Records in the journal', src.journalRecords);
  r.gauge('ots_journal_bytes', 'Bytes of journal on disk', src.journalBytes);
  r.gauge('ots_queued_digests', 'Digests waiting for the next tick', src.queued);
  const requests: Counter = r.counter('ots_http_requests_total', 'HTTP requests by route, method and status');
  const latency: Histogram = r.histogram('ots_http_request_duration_seconds', 'HTTP request latency by route and status', LATENCY_BUCKETS);
  return {
    registry: r,
    onTick: ({ digests: n, ms }) => {
      digests.inc({}, n);
      ticks.inc();
      batch.observe(n);
      tickSeconds.observe(ms / 1000);
    },
    onTickFailed: () => tickFailures.inc(),
    onRequest: (req, res, ms) => {
      const labels = { route: routeOf(req.path), status: String(res.status) };
      requests.inc({ ...labels, method: req.method });
      latency.observe(ms / 1000, labels);
    },
  };
}
