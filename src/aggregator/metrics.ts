/** @module The aggregator's metrics: digests acknowledged, ticks, failed ticks, batch sizes, tick durations and the queue, and a stand-alone aggregator's upstream calendars, in whatever registry its role gives it. */
import type { Counter, Histogram, Registry } from '../metrics/registry.js';
import type { CalendarHealth } from './remote-calendars.js';

const BATCH_BUCKETS = [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000];
const TICK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What an aggregator reports per tick. */
export interface TickObserver {
  onTick(info: { digests: number; ms: number }): void;
  onTickFailed(): void;
}

/** Registers the aggregator's metrics in `r`; `queued` is read at scrape time. */
export function aggregatorMetrics(r: Registry, queued: () => number | undefined): TickObserver {
  const digests: Counter = r.counter('ots_digests_total', 'Digests acknowledged (their commitment durable)');
  const ticks: Counter = r.counter('ots_ticks_total', 'Aggregator ticks that committed a merkle root');
  const tickFailures: Counter = r.counter('ots_tick_failures_total', 'Ticks whose commitment could not be stored (their digests got 503)');
  const batch: Histogram = r.histogram('ots_tick_batch_size', 'Digests per tick', BATCH_BUCKETS);
  const tickSeconds: Histogram = r.histogram('ots_tick_duration_seconds', "Time to build a tick's tree and make its commitment durable", TICK_BUCKETS);
  r.gauge('ots_queued_digests', 'Digests waiting for the next tick', { read: queued });
  return {
    onTick: ({ digests: n, ms }) => {
      digests.inc(n);
      ticks.inc();
      batch.observe(n);
      tickSeconds.observe(ms / 1000);
    },
    onTickFailed: () => tickFailures.inc(),
  };
}

/** Registers, per upstream calendar (label `calendar`: its URL, as configured), what `RemoteCalendars` counts; read at scrape time. */
export function upstreamMetrics(r: Registry, health: () => readonly CalendarHealth[]): void {
  const per = (value: (h: CalendarHealth) => number) => () => health().map((h) => ({ labels: { calendar: h.url }, value: value(h) }));
  r.counter('ots_upstream_acknowledged_total', 'Ticks each upstream calendar acknowledged since start', { labels: ['calendar'], read: per((h) => h.acknowledged) });
  r.counter('ots_upstream_failures_total', 'Ticks each upstream calendar failed to acknowledge since start', { labels: ['calendar'], read: per((h) => h.failures) });
  r.gauge('ots_upstream_reachable', "1 while the calendar's last submission was acknowledged", { labels: ['calendar'], read: per((h) => (h.consecutiveFailures === 0 ? 1 : 0)) });
}
