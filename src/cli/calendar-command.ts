/** @module `ots-calendar calendar`: its settings from the configuration, then data directory, journal, index, calendar, anchoring and aggregator wired together and served by the shared role set-up. */
import { Journal } from '../journal/index.js';
import { CalendarIndex, trustedIndexedLocation } from '../index/index.js';
import { Calendar } from '../calendar/calendar.js';
import { openDataDir } from '../calendar/data-dir.js';
import { calendarMetrics, oldestPendingTime } from '../calendar/metrics.js';
import { aggregatorMetrics } from '../aggregator/metrics.js';
import { startAnchoring, type AnchorSettings, type AnchoringReport } from '../anchor/index.js';
import { VERSION } from './version.js';
import { mirrorApiRoutes } from '../http/journal-routes.js';
import { Registry } from '../metrics/registry.js';
import { anchorSettings } from './anchor-options.js';
import { makeAggregator } from './aggregator-setup.js';
import { directoryBytes } from './disk-usage.js';
import type { Logger } from './log.js';
import type { ConfigFor } from './options.js';
import { progressReporter } from './progress.js';
import { serveRole, type RoleStatus, type RunningServer } from './serve-role.js';
import { hostUrl, serverSettings, tickSettings, type ServerSettings, type TickSettings } from './server-settings.js';

export const CALENDAR_SUMMARY = 'Run a calendar: aggregate digests, keep the journal and index, serve proofs.';

export interface CalendarSettings extends ServerSettings {
  dataDir: string;
  /** `--uri`; undefined: the stored one, or `defaultUri` on first run. */
  uri: string | undefined;
  defaultUri: string;
  ticks: TickSettings;
  pendingMaxAgeSeconds: number;
  explorerUrl: string | undefined;
  anchor: AnchorSettings | undefined;
}

/** The calendar's settings, and every problem that involves several options. */
export function calendarSettings(c: ConfigFor<'calendar'>): { settings: CalendarSettings; problems: string[] } {
  const anchor = anchorSettings(c);
  return {
    settings: {
      ...serverSettings(c),
      dataDir: c['data-dir'],
      uri: c.uri,
      defaultUri: hostUrl(c.host, c.port),
      ticks: tickSettings(c),
      pendingMaxAgeSeconds: c['pending-max-age'],
      explorerUrl: c['explorer-url'],
      anchor: anchor.settings,
    },
    problems: anchor.problems,
  };
}

export async function startCalendar(s: CalendarSettings, log: Logger): Promise<RunningServer> {
  const dataDir = openDataDir(s.dataDir, { uri: s.uri, defaultUri: s.defaultUri });
  for (const n of dataDir.notes) log.log(n.level, n.msg, n.fields);
  log.info('opening the journal', { dir: dataDir.journalDir });
  // Recovery may cut a torn tail, but never a record the index already saw durable: that would be lost data.
  const verifiedUpTo = trustedIndexedLocation(dataDir.indexDir, log.log);
  const journal = await Journal.open({ dir: dataDir.journalDir, log: log.log, verifiedBy: `the index (${dataDir.indexDir})`, ...(verifiedUpTo ? { verifiedUpTo } : {}) });
  // From here on a failure must release the journal (its lock) and every timer, or the process would hang.
  const cleanups: Array<() => Promise<void> | void> = [() => journal.close()];
  const unwind = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) await c();
  };
  try {
    const index = await CalendarIndex.open({ dir: dataDir.indexDir, journal, log: log.log, progress: progressReporter(log, 'indexing journal') });
    cleanups.push(() => index.close());
    log.info('journal open', { records: journal.head().size, commitments: index.commitCount, anchors: index.anchors.size });

    const calendar = new Calendar({ journal, index, hmacKey: dataDir.hmacKey, uri: dataDir.uri });
    const anchoring = await startAnchoring({ settings: s.anchor, calendar, dataDir, log: log.child({ part: 'anchoring' }).log, userAgent: `ots-calendar/${VERSION} (calendar)` });
    if (anchoring) cleanups.push(() => anchoring.stop());
    const registry = new Registry();
    const pending = (): number => index.commitCount - index.anchors.coveredCount();
    calendarMetrics(registry, {
      commitments: () => index.commitCount,
      pendingCommitments: pending,
      journalRecords: () => journal.head().size,
      journalBytes: directoryBytes(dataDir.journalDir, 10_000),
      oldestPendingTime: () => oldestPendingTime(index),
    });
    let queued = (): number => 0;
    const aggregator = makeAggregator(s.ticks, calendar, aggregatorMetrics(registry, () => queued()), log);
    queued = () => aggregator.queued;
    anchoring?.registerMetrics(registry);

    /** Whether this process takes and answers requests: the journal, the index and intake (not anchoring: that has its own probe). */
    const problems = (): string[] => {
      const out: string[] = [];
      if (journal.failure) out.push('journal not writable');
      if (index.failure) {
        out.push('index failed');
        void index.heal(); // readiness and watchdog checks retry it even without traffic
      }
      const { lastFailureAt, lastTickAt } = aggregator.stats;
      if (lastFailureAt !== undefined && (lastTickAt === undefined || lastFailureAt > lastTickAt)) out.push('the last commitment could not be stored');
      if (index.indexedSize < journal.head().size) out.push('index catching up');
      return out;
    };
    const anchoringProblems = (): string[] => (anchoring ? anchoring.problems() : ['anchoring is off: no chain configured']);
    return await serveRole({
      role: 'calendar',
      settings: s,
      log,
      registry,
      service: {
        app: {
          aggregator,
          answer: (c, key) => calendar.answer(c, key),
          cachedProof: (key) => calendar.cachedProof(key),
          tip: () => anchoring?.tip(),
          ...(anchoring?.external ? { donations: anchoring.external } : {}),
          pendingCacheControl: `public, max-age=${s.pendingMaxAgeSeconds}`,
          extraRoutes: mirrorApiRoutes(journal, index),
        },
        status: () => ({
          ...(s.anchor ? { chain: s.anchor.chain.label } : {}),
          commitments: index.commitCount,
          digests: aggregator.stats.digests,
          ticks: aggregator.stats.ticks,
          tickMs: aggregator.tickMs,
          lastTickAt: aggregator.stats.lastTickAt ? new Date(aggregator.stats.lastTickAt).toISOString() : null,
          queued: aggregator.queued,
          pendingCommitments: pending(),
          ...(s.explorerUrl ? { explorerUrl: s.explorerUrl } : {}),
          ...(anchoring ? anchoringStatus(anchoring.report()) : {}),
        }),
        problems,
        probes: { anchoring: anchoringProblems },
        uri: () => calendar.uri,
        healthy: () => problems().length === 0,
        start: () => {
          aggregator.start();
          cleanups.push(() => aggregator.stop());
        },
        drain: (budgetMs) => aggregator.stop({ giveUpAfterMs: budgetMs }),
        close: async () => {
          const records = journal.head().size;
          await unwind();
          log.info('journal closed', { records });
        },
        describe: (url) => ({ status: `serving ${url}; ${index.commitCount} commitments`, fields: { uri: calendar.uri, tickMs: aggregator.tickMs } }),
      },
    });
  } catch (err) {
    await unwind().catch(() => undefined);
    throw err;
  }
}

/** The anchoring part of the status record: the summary, each strategy's record, the latest anchors. */
function anchoringStatus(r: AnchoringReport): Pick<RoleStatus, 'anchoring' | 'anchoringStrategies' | 'recentAnchors'> {
  return {
    anchoring: r.summary,
    anchoringStrategies: r.strategies,
    recentAnchors: r.recent.map((e) => ({ by: e.by, paidBy: e.paidBy, txid: e.txid, feeNotPaidSats: e.feeNotPaidSats, at: new Date(e.at).toISOString(), height: e.height, commitments: e.commitments })),
  };
}
