/** @module The aggregator's metrics: digests acknowledged, ticks, failed ticks, batch sizes, tick durations and the queue, in whatever registry its role gives it. */
import type { Counter, Histogram, Registry } from '../metrics/registry.js';

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
  r.gauge('ots_queued_digests', 'Digests waiting for the next tick', queued);
  return {
    onTick: ({ digests: n, ms }) => {
      digests.inc({}, n);
      ticks.inc();
      batch.observe(n);
      tickSeconds.observe(ms / 1000);
    },
    onTickFailed: () => tickFailures.inc(),
  };
}
