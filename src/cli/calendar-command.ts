/** @module `ots-calendar calendar`: wires data directory, journal, index, calendar, aggregator and HTTP together, and stops them cleanly. */
import { Journal } from '../journal/index.js';
import { CalendarIndex, lastIndexedLocation } from '../index/index.js';
import { Calendar } from '../calendar/calendar.js';
import { openDataDir, type DataDir } from '../calendar/data-dir.js';
import { createApp } from '../http/app.js';
import { mirrorApiRoutes } from '../http/journal-routes.js';
import type { StatusInfo } from '../http/status-info.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { VERSION } from './version.js';
import { progressReporter } from './progress.js';
import { calendarMetrics } from '../calendar/metrics.js';
import { aggregatorMetrics } from '../aggregator/metrics.js';
import { anchoringMetrics } from '../anchor/metrics.js';
import { Registry } from '../metrics/registry.js';
import { requestMetrics } from '../http/request-metrics.js';
import { createNotifier } from './systemd-notify.js';
import { directoryBytes } from './disk-usage.js';
import { listenHttp } from './http-listener.js';
import { aggregatorFromConfig } from './aggregator-from-config.js';
import { startAnchoring } from '../anchor/start.js';

export interface RunningCalendar {
  url: string;
  stop(): Promise<void>;
}

export async function startCalendar(config: Config, log: Logger): Promise<RunningCalendar> {
  const host = String(config['host']);
  const port = Number(config['port']);
  const dataDir = openDataDir(String(config['data-dir']), {
    uri: config['uri'] === undefined ? undefined : String(config['uri']),
    defaultUri: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
  });
  for (const n of dataDir.notes) log.log(n.level, n.msg, n.fields);
  log.info('opening the journal', { dir: dataDir.journalDir });
  // Recovery may cut a torn tail, but never a record the index already saw durable: that would be lost data.
  const verifiedUpTo = lastIndexedLocation(dataDir.indexDir);
  const journal = await Journal.open({
    dir: dataDir.journalDir,
    log: log.log,
    ...(verifiedUpTo ? { verifiedUpTo } : {}),
  });
  // From here on a failure must release the journal (its lock) and every timer, or the process would hang.
  const cleanups: Array<() => Promise<void> | void> = [() => journal.close()];
  const unwind = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) await c();
  };
  try {
    return await serve(config, log, dataDir, journal, cleanups, unwind);
  } catch (err) {
    await unwind().catch(() => undefined);
    throw err;
  }
}

async function serve(
  config: Config,
  log: Logger,
  dataDir: DataDir,
  journal: Journal,
  cleanups: Array<() => Promise<void> | void>,
  unwind: () => Promise<void>,
): Promise<RunningCalendar> {
  const host = String(config['host']);
  const port = Number(config['port']);
  const index = await CalendarIndex.open({
    dir: dataDir.indexDir,
    journal,
    log: log.log,
    progress: progressReporter(log, 'indexing journal'),
  });
  cleanups.push(() => index.close());
  log.info('journal open', { records: journal.head().size, commitments: index.commitCount, anchors: index.anchors.size });

  const calendar = new Calendar({ journal, index, hmacKey: dataDir.hmacKey, uri: dataDir.uri });
  const anchoring = await startAnchoring({ config, calendar, dataDir, log: log.child({ part: 'anchoring' }).log });
  if (anchoring) cleanups.push(() => anchoring.stop());
  const registry = new Registry();
  calendarMetrics(registry, {
    commitments: () => index.commitCount,
    pendingCommitments: () => index.commitCount - index.anchors.coveredCount(),
    journalRecords: () => journal.head().size,
    journalBytes: directoryBytes(dataDir.journalDir, 10_000),
  });
  let queued = (): number => 0;
  const tickObserver = aggregatorMetrics(registry, () => queued());
  if (anchoring) anchoringMetrics(registry, () => anchoring.status());
  const onRequest = requestMetrics(registry);
  const aggregator = aggregatorFromConfig(config, calendar, tickObserver, log);
  queued = () => aggregator.queued;
  let stoppingNow = false;
  const notReady = (): string[] => {
    const problems: string[] = [];
    if (stoppingNow) problems.push('shutting down');
    if (journal.failure) problems.push('journal not writable');
    if (index.failure) {
      problems.push('index failed');
      void index.heal(); // readiness and watchdog checks retry it even without traffic
    }
    const { lastFailureAt, lastTickAt } = aggregator.stats;
    if (lastFailureAt !== undefined && (lastTickAt === undefined || lastFailureAt > lastTickAt)) problems.push('the last commitment could not be stored');
    if (anchoring && anchoring.status()['nodeReachable'] !== true) problems.push('Bitcoin node not reachable');
    if (index.indexedSize < journal.head().size) problems.push('index catching up');
    return problems;
  };
  const startedAt = new Date();
  const status = (): StatusInfo => ({
    software: 'ots-calendar',
    version: VERSION,
    role: 'calendar',
    uri: calendar.uri,
    ...(config['operator'] ? { operator: String(config['operator']) } : {}),
    startedAt: startedAt.toISOString(),
    uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    commitments: index.commitCount,
    digests: aggregator.stats.digests,
    ticks: aggregator.stats.ticks,
    tickMs: aggregator.tickMs,
    lastTickAt: aggregator.stats.lastTickAt ? new Date(aggregator.stats.lastTickAt).toISOString() : null,
    queued: aggregator.queued,
    pendingCommitments: index.commitCount - index.anchors.coveredCount(),
    ...(config['explorer-url'] ? { explorerUrl: String(config['explorer-url']) } : {}),
    ...(anchoring ? { anchoring: anchoring.status() } : {}),
  });
  const app = createApp({
    aggregator,
    answer: (c) => calendar.answer(c),
    tip: () => anchoring?.tip(),
    status,
    onError: (err) => log.error('request failed', { err }),
    metrics: () => registry.render(),
    notReady,
    pendingCacheControl: `public, max-age=${Number(config['pending-max-age'])}`,
    extraRoutes: mirrorApiRoutes(journal, index),
  });
  const { server, url } = await listenHttp(app, { config, log, host, port, onRequest });
  cleanups.push(() => {
    server.close();
    server.closeAllConnections();
  });
  aggregator.start();
  cleanups.push(() => aggregator.stop());
  log.info('calendar listening', { url, uri: calendar.uri, tickMs: aggregator.tickMs });
  const notifier = createNotifier(process.env, (err) => log.warn('systemd-notify failed', { err }));
  notifier.ready(`serving ${url}; ${index.commitCount} commitments`);
  notifier.startWatchdog(() => notReady().length === 0);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      log.info('stopping: intake closed, finishing the current tick');
      stoppingNow = true;
      notifier.stopping();
      notifier.close();
      // intake first (new connections, then the queue, answered after its last commit), then every
      // connection, and only then the index and the journal, which answers on open connections still read
      server.close();
      // half the shutdown budget for submitting what waits; what is not in a tick by then gets 503
      await aggregator.stop({ giveUpAfterMs: Number(config['shutdown-timeout-ms']) / 2 });
      server.closeAllConnections();
      const records = journal.head().size;
      await unwind();
      log.info('stopped cleanly', { records });
    })());
  return { url, stop };
}
