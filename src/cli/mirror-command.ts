/** @module `ots-calendar mirror`: follows a calendar (journal API, or the reference's backup chunks), verifies what it stores, and serves the same proofs. */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { BitcoinRpc, ChainMismatchError, checkGenesis, getChain } from '../bitcoin/index.js';
import type { Answer } from '../calendar/calendar.js';
import { createApp } from '../http/app.js';
import { textResponse } from '../http/errors.js';
import { CACHE } from '../http/cache-policy.js';
import { journalRoutes } from '../http/journal-routes.js';
import { backupRoutes } from '../http/backup-routes.js';
import type { StatusInfo } from '../http/status-page.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { AttestationChecker, CalendarMirror, JournalClient, UpstreamUnavailableError, nodeHeaderSource } from '../mirror/index.js';
import { sleep } from '../mirror/abortable-sleep.js';
import { withoutCredentials } from '../net/http-client.js';
import { BackupMirror } from '../mirror/backup-mirror.js';
import { IndexBackupChunks } from '../mirror/backup-chunks.js';
import { mirrorMetrics } from '../mirror/metrics.js';
import { RemoteCalendars } from '../aggregator/remote-calendars.js';
import type { Aggregator } from '../aggregator/aggregator.js';
import { tickMetrics } from '../http/calendar-metrics.js';
import { aggregatorFromConfig, suffixBudget } from './aggregator-from-config.js';
import { ConfigError, helpText, resolveConfig, type Config } from './config.js';
import { createLogger, type Level, type Logger } from './log.js';
import { OPTIONS } from './options.js';
import { installSignalHandlers } from './signals.js';
import { progressReporter } from './progress.js';
import { createNotifier } from './systemd-notify.js';
import { listenHttp } from './http-listener.js';
import { VERSION } from './version.js';

export const MIRROR_SUMMARY = 'Mirror a calendar: follow its journal (or a reference calendar\'s backup chunks), verify it, serve its proofs.';

export interface RunningMirror {
  url: string;
  stop(): Promise<void>;
}

/** What the command needs from either way of following. */
interface MirrorRole {
  protocol: 'journal' | 'backup';
  answer(c: Uint8Array): Answer;
  commitments(): number;
  pendingCommitments(): number | undefined;
  records(): number;
  upstreamRecords(): number | undefined;
  lagSeconds(): number | undefined;
  state(): string;
  failure(): { code: string; message: string } | undefined;
  stats(): { recordsAppended: number; attestationsChecked: number; retries: number };
  /** Local reasons not to send traffic here (the index or the journal failed). */
  localProblems(): string[];
  routes: ReadonlyArray<(req: HttpRequest) => Promise<HttpResponse> | undefined>;
  start(): void;
  /** Stops following and releases files. */
  close(): Promise<void>;
}

/** A node to check attestations with, when --rpc-url or --rpc-cookie is given; its chain is checked when reachable. */
async function attestationChecker(config: Config, log: Logger): Promise<AttestationChecker | undefined> {
  const url = config['rpc-url'] === undefined ? undefined : String(config['rpc-url']);
  const cookie = config['rpc-cookie'] === undefined ? undefined : String(config['rpc-cookie']);
  if (url === undefined && cookie === undefined) {
    log.warn('no --rpc-url: attestations are not checked against a node, only the proofs\' structure');
    return undefined;
  }
  const chain = getChain(String(config['chain']));
  const rpc = new BitcoinRpc({ url: url ?? `http://127.0.0.1:${chain.rpcPort}`, retries: 2, ...(cookie ? { cookieFile: cookie } : {}) });
  try {
    await checkGenesis(rpc, chain);
  } catch (err) {
    if (err instanceof ChainMismatchError) throw err;
    log.warn('node not reachable at start; attestations wait for it', { node: rpc.endpoint, err });
  }
  log.info('attestations are checked against a node', { node: rpc.endpoint, chain: chain.name, attestation: chain.attestation });
  return new AttestationChecker(nodeHeaderSource(rpc), chain.attestation);
}

/** Longest wait for the upstream's head while a new mirror waits for it, so that every try is logged soon. */
const FIRST_HEAD_TIMEOUT_MS = 10_000;

/**
 * Asks the upstream for its head until it answers (a new mirror needs its segment size), saying so first and
 * after every failed try; protocol errors are final. Resolves undefined when `signal` aborts (a stop).
 */
async function waitForUpstream(upstream: string, log: Logger, signal: AbortSignal): Promise<number | undefined> {
  const client = new JournalClient(upstream, { userAgent: `ots-calendar-mirror/${VERSION}`, timeoutMs: FIRST_HEAD_TIMEOUT_MS, bodyTimeoutMs: FIRST_HEAD_TIMEOUT_MS });
  log.info('waiting for the upstream\'s journal head: a new mirror takes its segment size from it', { upstream: client.base });
  for (let delay = 500; !signal.aborted; delay = Math.min(delay * 2, 10_000)) {
    try {
      return (await client.head(signal)).segmentRecords;
    } catch (err) {
      if (signal.aborted) break;
      if (!(err instanceof UpstreamUnavailableError)) throw err;
      log.warn('upstream not reachable; a new mirror needs it once to start', { upstream: client.base, error: err.message, retryMs: delay });
      await sleep(delay, signal);
    }
  }
  return undefined;
}

/**
 * What a new mirror serves while it waits for its upstream's head: nothing yet, the journal API answering 503 (a
 * mirror following this one waits rather than judging it), and readiness saying what it waits for — or, once
 * opening failed for good, why.
 */
function waitingRole(): MirrorRole & { fail(code: string, message: string): void } {
  let failure: { code: string; message: string } | undefined;
  const journalApi = (req: HttpRequest): Promise<HttpResponse> | undefined =>
    req.path.startsWith('/journal/') ? Promise.resolve(textResponse(503, 'Waiting for the upstream; retry shortly', CACHE.never, { 'retry-after': '5' })) : undefined;
  return {
    protocol: 'journal',
    answer: () => ({ kind: 'unknown' }),
    commitments: () => 0,
    pendingCommitments: () => undefined,
    records: () => 0,
    upstreamRecords: () => undefined,
    lagSeconds: () => undefined,
    state: () => (failure ? 'failed' : 'idle'),
    failure: () => failure,
    stats: () => ({ recordsAppended: 0, attestationsChecked: 0, retries: 0 }),
    localProblems: () => (failure ? [] : ['waiting for the upstream\'s journal head (a new mirror takes its segment size from it)']),
    routes: [journalApi],
    start: () => undefined,
    close: () => Promise.resolve(),
    fail: (code, message) => {
      failure = { code, message };
    },
  };
}

async function journalRole(config: Config, log: Logger, upstream: string, dataDir: string, segmentRecords: number | undefined): Promise<MirrorRole> {
  const attestations = await attestationChecker(config, log);
  const logFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void => log.log(level, msg, fields);
  const progress = progressReporter(log, 'catching up with the upstream');
  let catchingUp = true;
  const open = (seg: number | undefined): Promise<CalendarMirror> =>
    CalendarMirror.open({
      dir: dataDir,
      upstream,
      userAgent: `ots-calendar-mirror/${VERSION}`,
      log: logFn,
      waitMs: Number(config['poll-wait-ms']),
      onIndexProgress: progressReporter(log, 'indexing the mirrored journal'),
      onProgress: (p) => {
        if (!catchingUp) return;
        progress(p.localSize, p.upstreamSize);
        if (p.localSize >= p.upstreamSize) {
          catchingUp = false;
          log.info('caught up with the upstream', { records: p.localSize });
        }
      },
      ...(attestations ? { attestations } : {}),
      ...(seg === undefined ? {} : { segmentRecords: seg }),
    });
  // a new mirror got its segment size from the upstream; an existing one opens offline
  const mirror = await open(segmentRecords);
  log.info('mirrored journal open', { records: mirror.journal.head().size, commitments: mirror.index.commitCount, anchors: mirror.index.anchors.size });
  const journalApi = journalRoutes(mirror.journal);
  const backupApi = backupRoutes(new IndexBackupChunks(mirror.index));
  const f = mirror.follower;
  return {
    protocol: 'journal',
    answer: (c) => mirror.answer(c),
    commitments: () => mirror.index.commitCount,
    pendingCommitments: () => mirror.index.commitCount - mirror.index.anchors.coveredCount(),
    records: () => mirror.journal.head().size,
    upstreamRecords: () => (f.upstreamSize < 0 ? undefined : f.upstreamSize),
    lagSeconds: () => f.lagSeconds(),
    state: () => f.state,
    failure: () => (f.failure ? { code: f.failure.code, message: f.failure.message } : undefined),
    stats: () => f.stats,
    localProblems: () => [...(mirror.index.failure ? ['index failed'] : []), ...(mirror.journal.failure ? ['journal not writable'] : [])],
    routes: [(req) => journalApi.route(req), (req) => backupApi.route(req)],
    start: () => f.start(),
    close: async () => {
      journalApi.close();
      await mirror.close();
    },
  };
}

async function backupRole(config: Config, log: Logger, upstream: string, dataDir: string): Promise<MirrorRole> {
  const attestations = await attestationChecker(config, log);
  const mirror = await BackupMirror.open({
    dir: dataDir,
    upstream,
    userAgent: `ots-calendar-mirror/${VERSION}`,
    pollMs: Number(config['backup-poll-seconds']) * 1000,
    log: (level, msg, fields) => log.log(level, msg, fields),
    ...(attestations ? { attestations } : {}),
  });
  log.info('backup store open', { chunks: mirror.store.chunks, commitments: mirror.store.commitments });
  const routes = backupRoutes(mirror.store);
  return {
    protocol: 'backup',
    answer: (c) => mirror.answer(c),
    commitments: () => mirror.store.commitments,
    pendingCommitments: () => undefined,
    records: () => mirror.store.chunks,
    upstreamRecords: () => undefined,
    lagSeconds: () => mirror.lagSeconds(),
    state: () => mirror.state,
    failure: () => (mirror.failure ? { code: mirror.failure.code, message: mirror.failure.message } : undefined),
    stats: () => mirror.stats,
    localProblems: () => [],
    routes: [(req) => routes.route(req)],
    start: () => mirror.start(),
    close: () => mirror.close(),
  };
}

export async function startMirror(config: Config, log: Logger): Promise<RunningMirror> {
  if (config['upstream'] === undefined) throw new ConfigError(['"upstream" is required: the URL of the calendar to follow (--upstream URL)']);
  const upstream = String(config['upstream']).replace(/\/+$/, '');
  const host = String(config['host']);
  const port = Number(config['port']);
  const dataDir = String(config['data-dir']);
  mkdirSync(dataDir, { recursive: true });
  const backup = config['backup-protocol'] === true;
  // userinfo in the upstream's URL is sent as Basic authorization, and shown nowhere
  const shownUpstream = withoutCredentials(upstream);
  log.info('starting mirror', { upstream: shownUpstream, protocol: backup ? 'backup' : 'journal', dataDir });
  // a new journal mirror listens at once and opens once its upstream answered (it may hang: the port is open meanwhile)
  const waiting = backup || !CalendarMirror.isNew(dataDir) ? undefined : waitingRole();
  let role: MirrorRole = waiting ?? (backup ? await backupRole(config, log, upstream, dataDir) : await journalRole(config, log, upstream, dataDir, undefined));

  const metrics = mirrorMetrics({
    lagSeconds: () => role.lagSeconds(),
    records: () => role.records(),
    upstreamRecords: () => role.upstreamRecords(),
    commitments: () => role.commitments(),
    following: () => role.failure() === undefined,
    failureCode: () => role.failure()?.code,
    recordsAppended: () => role.stats().recordsAppended,
    attestationsChecked: () => role.stats().attestationsChecked,
    retries: () => role.stats().retries,
  });
  // --aggregate: digests submitted here go, one merkle root per tick, to the upstream calendar; their proofs
  // are pending there, and this mirror serves the upgrades once the upstream's journal brings them
  let submitter: RemoteCalendars | undefined;
  let aggregator: Aggregator | undefined;
  if (config['aggregate'] === true) {
    submitter = new RemoteCalendars({
      urls: [upstream],
      timeoutMs: Number(config['upstream-timeout-ms']),
      ...suffixBudget(config),
      userAgent: `ots-calendar/${VERSION} (mirror)`,
      onFailure: (err) => log.warn('the upstream did not acknowledge a tick', { calendar: err.url, reason: err.reason }),
    });
    aggregator = aggregatorFromConfig(config, submitter, tickMetrics(metrics.registry), log);
    metrics.registry.gauge('ots_queued_digests', 'Digests waiting for the next tick', () => aggregator?.queued);
  }
  let stoppingNow = false;
  const notReady = (): string[] => {
    const problems: string[] = [];
    if (stoppingNow) problems.push('shutting down');
    problems.push(...role.localProblems());
    const failure = role.failure();
    if (failure) problems.push(`following stopped: ${failure.code}`);
    else if (role.state() === 'catching-up' || role.state() === 'idle') problems.push('catching up with the upstream');
    else if (role.state() === 'stalled') problems.push(`stalled: the upstream has brought nothing that shows the mirror current for ${Math.round(role.lagSeconds() ?? 0)} s`);
    return problems;
  };
  const startedAt = new Date();
  const publicUri = config['uri'] === undefined ? undefined : String(config['uri']);
  let url = '';
  const status = (): StatusInfo & { mirror: Record<string, string | number | boolean | null> } => {
    const failure = role.failure();
    const lag = role.lagSeconds();
    return {
      software: 'ots-calendar',
      version: VERSION,
      role: 'mirror',
      uri: publicUri ?? url,
      ...(config['operator'] ? { operator: String(config['operator']) } : {}),
      startedAt: startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      commitments: role.commitments(),
      ...(role.pendingCommitments() === undefined ? {} : { pendingCommitments: role.pendingCommitments() as number }),
      digests: aggregator?.stats.digests ?? 0,
      ticks: aggregator?.stats.ticks ?? 0,
      tickMs: aggregator?.tickMs ?? 0,
      lastTickAt: aggregator?.stats.lastTickAt ? new Date(aggregator.stats.lastTickAt).toISOString() : null,
      queued: aggregator?.queued ?? 0,
      upstreams: [shownUpstream],
      ...(lag === undefined ? {} : { lagSeconds: Math.round(lag * 10) / 10 }),
      mirror: {
        protocol: role.protocol,
        state: role.state(),
        following: failure === undefined,
        records: role.records(),
        upstreamRecords: role.upstreamRecords() ?? null,
        attestationsChecked: role.stats().attestationsChecked,
        failureCode: failure?.code ?? null,
        failure: failure?.message ?? null,
      },
    };
  };
  const app = createApp({
    ...(aggregator ? { aggregator } : {}),
    answer: (c) => role.answer(c),
    status,
    onError: (err) => log.error('request failed', { err }),
    metrics: () => metrics.registry.render(),
    notReady,
    pendingCacheControl: `public, max-age=${Number(config['pending-max-age'])}`,
    // the role's routes as they are now (a new mirror's change once it opened)
    extraRoutes: [
      (req) => {
        for (const route of role.routes) {
          const res = route(req);
          if (res) return res;
        }
        return undefined;
      },
    ],
  });
  let server: Server;
  try {
    ({ server, url } = await listenHttp(app, { config, log, host, port, onRequest: metrics.onRequest }));
  } catch (err) {
    await role.close();
    throw err;
  }
  const opening = new AbortController();
  let opened: Promise<void> = Promise.resolve();
  if (waiting) {
    opened = (async () => {
      try {
        const segmentRecords = await waitForUpstream(upstream, log, opening.signal);
        if (segmentRecords === undefined) return;
        const journal = await journalRole(config, log, upstream, dataDir, segmentRecords);
        if (opening.signal.aborted) {
          await journal.close();
          return;
        }
        role = journal;
        role.start();
      } catch (err) {
        const code = typeof (err as { code?: unknown }).code === 'string' ? String((err as { code: string }).code) : 'mirror-open';
        const message = err instanceof Error ? err.message : String(err);
        waiting.fail(code, message);
        log.error('the mirror could not open its journal; it serves nothing until a restart', { code, error: message });
      }
    })();
  } else {
    role.start();
  }
  aggregator?.start();
  log.info('mirror listening', { url, upstream: shownUpstream, protocol: role.protocol, aggregating: aggregator !== undefined });
  const notifier = createNotifier(process.env, (err) => log.warn('systemd-notify failed', { err }));
  notifier.ready(`serving ${url}; mirroring ${shownUpstream}`);
  notifier.startWatchdog(() => !stoppingNow);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      log.info('stopping the mirror');
      stoppingNow = true;
      notifier.stopping();
      notifier.close();
      server.close();
      // digests already taken are still submitted and answered before the connections close
      await aggregator?.stop({ giveUpAfterMs: Number(config['shutdown-timeout-ms']) / 2 });
      submitter?.close();
      server.closeIdleConnections();
      opening.abort();
      await opened;
      await role.close();
      server.closeAllConnections();
      log.info('stopped cleanly', { records: role.records() });
    })());
  return { url, stop };
}

/** `ots-calendar mirror [options]`: help, configuration, logging, then runs until SIGTERM/SIGINT. Returns the exit code. */
export async function runMirror(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(OPTIONS, 'mirror', MIRROR_SUMMARY));
    return 0;
  }
  const { config } = resolveConfig(OPTIONS, 'mirror', argv);
  const log = createLogger({
    level: (config['log-level'] as Level | undefined) ?? 'info',
    format: (config['log-format'] as 'auto' | 'json' | 'text' | undefined) ?? 'auto',
    ...(typeof config['log-file'] === 'string' ? { file: config['log-file'] } : {}),
  });
  const running = await startMirror(config, log);
  return installSignalHandlers({ log, stop: running.stop, timeoutMs: Number(config['shutdown-timeout-ms']) });
}
