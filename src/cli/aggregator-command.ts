/** @module `ots-calendar aggregator`: a stand-alone aggregator with no storage — every tick's merkle root goes to remote calendars, and a digest gets 200 once enough of them acknowledged it. Its settings from the configuration, served by the shared role set-up. */
import { RemoteCalendars } from '../aggregator/remote-calendars.js';
import { aggregatorMetrics, upstreamMetrics } from '../aggregator/metrics.js';
import type { StatusValue } from '../http/status-info.js';
import { Registry } from '../metrics/registry.js';
import { makeAggregator, suffixBudget } from './aggregator-setup.js';
import type { Logger } from './log.js';
import type { ConfigFor } from './options.js';
import { serveRole, type RunningServer } from './serve-role.js';
import { serverSettings, tickSettings, type ServerSettings, type TickSettings } from './server-settings.js';
import { VERSION } from './version.js';

export const AGGREGATOR_SUMMARY =
  'Run a stand-alone aggregator: no storage; every tick\'s merkle root goes to one or more calendars, and clients upgrade from those.';

export interface AggregatorSettings extends ServerSettings {
  upstreams: readonly string[];
  required: number;
  upstreamTimeoutMs: number;
  stragglerMs: number;
  ticks: TickSettings;
  /** The public URL shown on the welcome page; undefined: the URL it listens on. */
  publicUri: string | undefined;
}

/** The aggregator's settings, and every problem that involves several options. */
export function aggregatorSettings(c: ConfigFor<'aggregator'>): { settings: AggregatorSettings; problems: string[] } {
  const problems: string[] = [];
  const upstreams = c.upstream ?? [];
  if (upstreams.length === 0) problems.push('"upstream" is required: the URL of a calendar to submit to (--upstream URL, repeat for several)');
  else if (c.required > upstreams.length) problems.push(`"required" is ${c.required} but only ${upstreams.length} upstream calendar(s) are given: it must be at most that`);
  const upstreamWait = c['upstream-timeout-ms'] + c['straggler-ms'];
  if (c['shutdown-timeout-ms'] <= upstreamWait) {
    problems.push(`"shutdown-timeout-ms" (${c['shutdown-timeout-ms']}) must be more than upstream-timeout-ms + straggler-ms (${upstreamWait}): a stop waits for the ticks already submitted`);
  }
  return {
    settings: {
      ...serverSettings(c),
      upstreams,
      required: c.required,
      upstreamTimeoutMs: c['upstream-timeout-ms'],
      stragglerMs: c['straggler-ms'],
      ticks: tickSettings(c),
      publicUri: c.uri,
    },
    problems,
  };
}

export async function startAggregator(s: AggregatorSettings, log: Logger): Promise<RunningServer> {
  const calendars = new RemoteCalendars({
    urls: s.upstreams,
    required: s.required,
    timeoutMs: s.upstreamTimeoutMs,
    ...suffixBudget(s.ticks),
    stragglerMs: s.stragglerMs,
    userAgent: `ots-calendar/${VERSION} (aggregator)`,
    onFailure: (err) => log.warn('a calendar did not acknowledge a tick', { calendar: err.url, reason: err.reason }),
  });
  const registry = new Registry();
  let queued = (): number => 0;
  const aggregator = makeAggregator(s.ticks, calendars, aggregatorMetrics(registry, () => queued()), log);
  queued = () => aggregator.queued;
  upstreamMetrics(registry, () => calendars.health());
  return serveRole({
    role: 'aggregator',
    settings: s,
    log,
    registry,
    service: {
      // no storage: proofs are upgraded from the calendars named in their pending attestations
      app: { aggregator, answer: () => ({ kind: 'unknown' }) },
      status: () => {
        const upstream: Record<string, StatusValue> = { required: calendars.required, reachable: calendars.reachable() };
        calendars.health().forEach((h, i) => {
          upstream[`calendar${i + 1}`] = h.url;
          upstream[`calendar${i + 1}Acknowledged`] = h.acknowledged;
          upstream[`calendar${i + 1}Failures`] = h.failures;
          upstream[`calendar${i + 1}LastError`] = h.consecutiveFailures > 0 ? (h.lastError ?? null) : null;
        });
        return {
          commitments: 0,
          digests: aggregator.stats.digests,
          ticks: aggregator.stats.ticks,
          tickMs: aggregator.tickMs,
          lastTickAt: aggregator.stats.lastTickAt ? new Date(aggregator.stats.lastTickAt).toISOString() : null,
          queued: aggregator.queued,
          upstreams: [...calendars.urls],
          aggregator: upstream,
        };
      },
      problems: () =>
        calendars.reachable() < calendars.required ? [`${calendars.reachable()} of the ${calendars.required} required upstream calendars acknowledged the last tick`] : [],
      ...(s.publicUri === undefined ? {} : { uri: () => s.publicUri as string }),
      start: () => aggregator.start(),
      drain: (budgetMs) => aggregator.stop({ giveUpAfterMs: budgetMs }),
      close: async () => calendars.close(),
      describe: (url) => ({
        status: `serving ${url}; submitting to ${calendars.urls.length} calendar(s)`,
        fields: { upstreams: calendars.urls, required: calendars.required, tickMs: aggregator.tickMs },
      }),
    },
  });
}
