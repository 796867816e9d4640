/** @module The aggregator as every role that takes digests runs it: its tick settings, one debug line and metrics per tick, and the answer budget a proof's upstream part may take. */
import { Aggregator, type Upstream } from '../aggregator/aggregator.js';
import type { TickObserver } from '../aggregator/metrics.js';
import { MAX_ANSWER_BYTES } from '../aggregator/remote-calendars.js';
import type { Logger } from './log.js';
import type { TickSettings } from './server-settings.js';

/**
 * How much of a client's proof the upstream calendars' joined answer may take: what clients read (10,000
 * bytes) and nest (python: 256 levels), less the longest path this aggregator writes in front of it
 * (append(nonce) sha256, then 35 bytes and 2 ops per merkle level of the largest batch), with a margin.
 */
export function suffixBudget(t: TickSettings): { maxSuffixBytes: number; maxSuffixDepth: number } {
  const largest = Math.max(2, t.maxBatch > 0 ? Math.min(t.maxBatch, t.maxQueue) : t.maxQueue);
  const levels = Math.ceil(Math.log2(largest));
  return { maxSuffixBytes: MAX_ANSWER_BYTES - (19 + 35 * levels) - 100, maxSuffixDepth: 250 - (2 + 2 * levels) };
}

export function makeAggregator(t: TickSettings, upstream: Upstream, metrics: TickObserver, log: Logger): Aggregator {
  return new Aggregator({
    upstream,
    tickMs: t.tickMs,
    maxQueue: t.maxQueue,
    maxBatch: t.maxBatch,
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
