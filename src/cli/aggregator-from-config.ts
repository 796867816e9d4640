/** @module The aggregator as both the calendar and the stand-alone aggregator run it: its settings from the configuration, and one debug line and metrics per tick. */
import { Aggregator, type Upstream } from '../aggregator/aggregator.js';
import type { TickObserver } from '../aggregator/metrics.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { MAX_ANSWER_BYTES } from '../aggregator/remote-calendars.js';

/**
 * How much of a client's proof the upstream calendars' joined answer may take: what clients read (10,000
 * bytes) and nest (python: 256 levels), less the longest path this aggregator writes in front of it
 * (append(nonce) sha256, then 35 bytes and 2 ops per merkle level of the largest batch), with a margin.
 */
export function suffixBudget(config: Config): { maxSuffixBytes: number; maxSuffixDepth: number } {
  const maxQueue = Number(config['max-queue']);
  const maxBatch = Number(config['max-batch']);
  const largest = Math.max(2, maxBatch > 0 ? Math.min(maxBatch, maxQueue) : maxQueue);
  const levels = Math.ceil(Math.log2(largest));
  return { maxSuffixBytes: MAX_ANSWER_BYTES - (19 + 35 * levels) - 100, maxSuffixDepth: 250 - (2 + 2 * levels) };
}

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
