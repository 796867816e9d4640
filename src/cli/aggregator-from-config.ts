/** @module The aggregator as both the calendar and the stand-alone aggregator run it: its settings from the configuration, and one debug line and metrics per tick. */
import { Aggregator, type Upstream } from '../aggregator/aggregator.js';
import type { TickObserver } from '../http/calendar-metrics.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';

export function aggregatorFromConfig(config: Config, upstream: Upstream, metrics: TickObserver, log: Logger): Aggregator {
  return new Aggregator({
    upstream,
    tickMs: Number(config['tick-ms']),
    maxQueue: Number(config['max-queue']),
    maxBatch: Number(config['max-batch']),
    onTick: (info) => {
      metrics.onTick(info);
      if (log.enabled('debug')) log.debug('aggregated digests', { digests: info.digests, root: Buffer.from(info.root).toString('hex'), ms: Math.round(info.ms * 10) / 10 });
    },
    onError: (err) => {
      metrics.onTickFailed();
      log.error('tick failed; its digests were answered 503', { err });
    },
  });
}
