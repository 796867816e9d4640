/** @module `ots-calendar aggregator`: a stand-alone aggregator with no storage — every tick's merkle root goes to remote calendars, and a digest gets 200 once enough of them acknowledged it. */
import type { Server } from 'node:http';
import { RemoteCalendars } from '../aggregator/remote-calendars.js';
import { createApp } from '../http/app.js';
import { aggregatorMetrics } from '../aggregator/metrics.js';
import { Registry } from '../metrics/registry.js';
import { requestMetrics } from '../http/request-metrics.js';
import type { StatusInfo, StatusValue } from '../http/status-info.js';
import { ConfigError, helpText, resolveConfig, type Config } from './config.js';
import { listenHttp } from './http-listener.js';
import { aggregatorFromConfig, suffixBudget } from './aggregator-from-config.js';
import { createLogger, type Level, type Logger } from './log.js';
import { OPTIONS } from './options.js';
import { installSignalHandlers } from './signals.js';
import { createNotifier } from './systemd-notify.js';
import { VERSION } from './version.js';

export const AGGREGATOR_SUMMARY =
  'Run a stand-alone aggregator: no storage; every tick\'s merkle root goes to one or more calendars, and clients upgrade from those.';

export interface RunningAggregator {
  url: string;
  stop(): Promise<void>;
}

export async function startAggregator(config: Config, log: Logger): Promise<RunningAggregator> {
  const upstreams = config['upstream'];
  if (!Array.isArray(upstreams) || upstreams.length === 0) {
    throw new ConfigError(['"upstream" is required: the URL of a calendar to submit to (--upstream URL, repeat for several)']);
  }
  const required = Number(config['required']);
  if (required > upstreams.length) {
    throw new ConfigError([`"required" is ${required} but only ${upstreams.length} upstream calendar(s) are given: it must be at most that`]);
  }
  const upstreamWait = Number(config['upstream-timeout-ms']) + Number(config['straggler-ms']);
  if (Number(config['shutdown-timeout-ms']) <= upstreamWait) {
    throw new ConfigError([
      `"shutdown-timeout-ms" (${Number(config['shutdown-timeout-ms'])}) must be more than upstream-timeout-ms + straggler-ms (${upstreamWait}): a stop waits for the ticks already submitted`,
    ]);
  }
  const host = String(config['host']);
  const port = Number(config['port']);
  const calendars = new RemoteCalendars({
    urls: upstreams,
    required,
    timeoutMs: Number(config['upstream-timeout-ms']),
    ...suffixBudget(config),
    stragglerMs: Number(config['straggler-ms']),
    userAgent: `ots-calendar/${VERSION} (aggregator)`,
    onFailure: (err) => log.warn('a calendar did not acknowledge a tick', { calendar: err.url, reason: err.reason }),
  });
  const registry = new Registry();
  let queued = (): number => 0;
  const tickObserver = aggregatorMetrics(registry, () => queued());
  const onRequest = requestMetrics(registry);
  const acknowledged = registry.gauge('ots_upstream_acknowledged_total', 'Ticks each upstream calendar acknowledged since start');
  const failed = registry.gauge('ots_upstream_failures_total', 'Ticks each upstream calendar failed to acknowledge since start');
  const reachable = registry.gauge('ots_upstream_reachable', '1 while the calendar\'s last submission was acknowledged');
  const renderMetrics = (): string => {
    for (const h of calendars.health()) {
      acknowledged.set(h.acknowledged, { calendar: h.url });
      failed.set(h.failures, { calendar: h.url });
      reachable.set(h.consecutiveFailures === 0 ? 1 : 0, { calendar: h.url });
    }
    return registry.render();
  };
  const aggregator = aggregatorFromConfig(config, calendars, tickObserver, log);
  queued = () => aggregator.queued;

  let stoppingNow = false;
  const notReady = (): string[] => {
    const problems: string[] = [];
    if (stoppingNow) problems.push('shutting down');
    if (calendars.reachable() < calendars.required) {
      problems.push(`${calendars.reachable()} of the ${calendars.required} required upstream calendars acknowledged the last tick`);
    }
    return problems;
  };
  const startedAt = new Date();
  const publicUri = config['uri'] === undefined ? undefined : String(config['uri']);
  let url = '';
  const status = (): StatusInfo => {
    const upstream: Record<string, StatusValue> = { required: calendars.required, reachable: calendars.reachable() };
    calendars.health().forEach((h, i) => {
      upstream[`calendar${i + 1}`] = h.url;
      upstream[`calendar${i + 1}Acknowledged`] = h.acknowledged;
      upstream[`calendar${i + 1}Failures`] = h.failures;
      upstream[`calendar${i + 1}LastError`] = h.consecutiveFailures > 0 ? (h.lastError ?? null) : null;
    });
    return {
      software: 'ots-calendar',
      version: VERSION,
      role: 'aggregator',
      uri: publicUri ?? url,
      ...(config['operator'] ? { operator: String(config['operator']) } : {}),
      startedAt: startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      commitments: 0,
      digests: aggregator.stats.digests,
      ticks: aggregator.stats.ticks,
      tickMs: aggregator.tickMs,
      lastTickAt: aggregator.stats.lastTickAt ? new Date(aggregator.stats.lastTickAt).toISOString() : null,
      queued: aggregator.queued,
      upstreams: [...calendars.urls],
      aggregator: upstream,
    };
  };
  const app = createApp({
    aggregator,
    // no storage: proofs are upgraded from the calendars named in their pending attestations
    answer: () => ({ kind: 'unknown' }),
    status,
    onError: (err) => log.error('request failed', { err }),
    metrics: renderMetrics,
    notReady,
  });
  const listening = await listenHttp(app, { config, log, host, port, onRequest });
  const server: Server = listening.server;
  url = listening.url;
  aggregator.start();
  log.info('aggregator listening', { url, upstreams: calendars.urls, required: calendars.required, tickMs: aggregator.tickMs });
  const notifier = createNotifier(process.env, (err) => log.warn('systemd-notify failed', { err }));
  notifier.ready(`serving ${url}; submitting to ${calendars.urls.length} calendar(s)`);
  notifier.startWatchdog(() => !stoppingNow);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      log.info('stopping: intake closed, submitting what waits');
      stoppingNow = true;
      notifier.stopping();
      notifier.close();
      server.close();
      // half the shutdown budget for submitting what waits; what is not in a tick by then gets 503
      await aggregator.stop({ giveUpAfterMs: Number(config['shutdown-timeout-ms']) / 2 });
      calendars.close();
      server.closeAllConnections();
      log.info('stopped cleanly', { digests: aggregator.stats.digests });
    })());
  return { url, stop };
}

/** `ots-calendar aggregator [options]`: help, configuration, logging, then runs until SIGTERM/SIGINT. Returns the exit code. */
export async function runAggregator(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(OPTIONS, 'aggregator', AGGREGATOR_SUMMARY));
    return 0;
  }
  const { config } = resolveConfig(OPTIONS, 'aggregator', argv);
  const log = createLogger({
    level: (config['log-level'] as Level | undefined) ?? 'info',
    format: (config['log-format'] as 'auto' | 'json' | 'text' | undefined) ?? 'auto',
    ...(typeof config['log-file'] === 'string' ? { file: config['log-file'] } : {}),
  });
  const running = await startAggregator(config, log);
  return installSignalHandlers({ log, stop: running.stop, timeoutMs: Number(config['shutdown-timeout-ms']) });
}
