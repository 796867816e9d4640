/** @module `ots-calendar mirror`: follows a calendar (journal API, or the reference's backup chunks), verifies what it stores, and serves the same proofs. */
import { mkdirSync } from 'node:fs';
import { BitcoinRpc, ChainMismatchError, checkGenesis, getChain, type Chain } from '../bitcoin/index.js';
import type { Answer } from '../calendar/calendar.js';
import { textResponse } from '../http/errors.js';
import { CACHE } from '../http/cache-policy.js';
import { journalRoutes } from '../http/journal-routes.js';
import { backupRoutes } from '../http/backup-routes.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { AttestationChecker, CalendarMirror, JournalClient, UpstreamUnavailableError, nodeHeaderSource } from '../mirror/index.js';
import { sleep } from '../net/sleep.js';
import { withoutCredentials } from '../net/http-client.js';
import { BackupMirror } from '../mirror/backup-mirror.js';
import { IndexBackupChunks } from '../backup/index.js';
import { mirrorMetrics } from '../mirror/metrics.js';
import { RemoteCalendars } from '../aggregator/remote-calendars.js';
import type { Aggregator } from '../aggregator/aggregator.js';
import { aggregatorMetrics } from '../aggregator/metrics.js';
import { Registry } from '../metrics/registry.js';
import { makeAggregator, suffixBudget } from './aggregator-setup.js';
import type { Logger } from './log.js';
import type { ConfigFor } from './options.js';
import { progressReporter } from './progress.js';
import { serveRole, type RunningServer } from './serve-role.js';
import { serverSettings, tickSettings, type ServerSettings, type TickSettings } from './server-settings.js';
import { VERSION } from './version.js';

export const MIRROR_SUMMARY = 'Mirror a calendar: follow its journal (or a reference calendar\'s backup chunks), verify it, serve its proofs.';

export interface MirrorSettings extends ServerSettings {
  upstream: string;
  dataDir: string;
  protocol: 'journal' | 'backup';
  /** With --aggregate: the tick settings of the aggregator that submits to the upstream. */
  aggregate: TickSettings | undefined;
  upstreamTimeoutMs: number;
  /** The public URL shown on the welcome page; undefined: the URL it listens on. */
  publicUri: string | undefined;
  pendingMaxAgeSeconds: number;
  /** A node to check attestations with; undefined: structure only. */
  node: { url: string; cookie: string | undefined; chain: Chain } | undefined;
  pollWaitMs: number;
  backupPollMs: number;
}

/** The mirror's settings, and every problem that involves several options. */
export function mirrorSettings(c: ConfigFor<'mirror'>): { settings: MirrorSettings; problems: string[] } {
  const problems: string[] = [];
  if (c.upstream === undefined) problems.push('"upstream" is required: the URL of the calendar to follow (--upstream URL)');
  const chain = getChain(c.chain);
  const checked = c['rpc-url'] !== undefined || c['rpc-cookie'] !== undefined;
  return {
    settings: {
      ...serverSettings(c),
      upstream: (c.upstream ?? '').replace(/\/+$/, ''),
      dataDir: c['data-dir'],
      protocol: c['backup-protocol'] ? 'backup' : 'journal',
      aggregate: c.aggregate ? tickSettings(c) : undefined,
      upstreamTimeoutMs: c['upstream-timeout-ms'],
      publicUri: c.uri,
      pendingMaxAgeSeconds: c['pending-max-age'],
      node: checked ? { url: c['rpc-url'] ?? `http://127.0.0.1:${chain.rpcPort}`, cookie: c['rpc-cookie'], chain } : undefined,
      pollWaitMs: c['poll-wait-ms'],
      backupPollMs: c['backup-poll-seconds'] * 1000,
    },
    problems,
  };
}

/** What the command needs from either way of following. */
interface MirrorRole {
  protocol: 'journal' | 'backup';
  answer(c: Uint8Array, key?: string): Answer;
  /** The proof cache's complete proof for a lower-case hex commitment, where the role has a proof cache. */
  cachedProof?(key: string): Uint8Array | undefined;
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
async function attestationChecker(node: MirrorSettings['node'], log: Logger): Promise<AttestationChecker | undefined> {
  if (node === undefined) {
    log.warn('no --rpc-url: attestations are not checked against a node, only the proofs\' structure');
    return undefined;
  }
  const { chain, cookie } = node;
  const rpc = new BitcoinRpc({ url: node.url, retries: 2, ...(cookie ? { cookieFile: cookie } : {}) });
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
  log.info("waiting for the upstream's journal head: a new mirror takes its segment size from it", { upstream: client.base });
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
    localProblems: () => (failure ? [] : ["waiting for the upstream's journal head (a new mirror takes its segment size from it)"]),
    routes: [journalApi],
    start: () => undefined,
    close: () => Promise.resolve(),
    fail: (code, message) => {
      failure = { code, message };
    },
  };
}

async function journalRole(s: MirrorSettings, log: Logger, segmentRecords: number | undefined): Promise<MirrorRole> {
  const { upstream, dataDir } = s;
  const attestations = await attestationChecker(s.node, log);
  const logFn = log.log;
  const progress = progressReporter(log, 'catching up with the upstream');
  let catchingUp = true;
  const open = (seg: number | undefined): Promise<CalendarMirror> =>
    CalendarMirror.open({
      dir: dataDir,
      upstream,
      userAgent: `ots-calendar-mirror/${VERSION}`,
      log: logFn,
      waitMs: s.pollWaitMs,
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
    answer: (c, key) => mirror.answer(c, key),
    cachedProof: (key) => mirror.cachedProof(key),
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

async function backupRole(s: MirrorSettings, log: Logger): Promise<MirrorRole> {
  const { upstream, dataDir } = s;
  const attestations = await attestationChecker(s.node, log);
  const mirror = await BackupMirror.open({
    dir: dataDir,
    upstream,
    userAgent: `ots-calendar-mirror/${VERSION}`,
    pollMs: s.backupPollMs,
    log: log.log,
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

export async function startMirror(s: MirrorSettings, log: Logger): Promise<RunningServer> {
  const { upstream } = s;
  mkdirSync(s.dataDir, { recursive: true });
  // userinfo in the upstream's URL is sent as Basic authorization, and shown nowhere
  const shownUpstream = withoutCredentials(upstream);
  log.info('starting mirror', { upstream: shownUpstream, protocol: s.protocol, dataDir: s.dataDir });
  // a new journal mirror listens at once and opens once its upstream answered (it may hang: the port is open meanwhile)
  const waiting = s.protocol === 'backup' || !CalendarMirror.isNew(s.dataDir) ? undefined : waitingRole();
  let role: MirrorRole = waiting ?? (s.protocol === 'backup' ? await backupRole(s, log) : await journalRole(s, log, undefined));
  const opening = new AbortController();
  let opened: Promise<void> = Promise.resolve();
  const registry = new Registry();
  mirrorMetrics(registry, {
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
  if (s.aggregate) {
    submitter = new RemoteCalendars({
      urls: [upstream],
      timeoutMs: s.upstreamTimeoutMs,
      ...suffixBudget(s.aggregate),
      userAgent: `ots-calendar/${VERSION} (mirror)`,
      onFailure: (err) => log.warn('the upstream did not acknowledge a tick', { calendar: err.url, reason: err.reason }),
    });
    aggregator = makeAggregator(s.aggregate, submitter, aggregatorMetrics(registry, () => aggregator?.queued), log);
  }
  return serveRole({
    role: 'mirror',
    settings: s,
    log,
    registry,
    service: {
      app: {
        ...(aggregator ? { aggregator } : {}),
        answer: (c, key) => role.answer(c, key),
        cachedProof: (key) => role.cachedProof?.(key),
        pendingCacheControl: `public, max-age=${s.pendingMaxAgeSeconds}`,
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
      },
      status: () => {
        const failure = role.failure();
        const lag = role.lagSeconds();
        const pending = role.pendingCommitments();
        return {
          ...(s.node ? { chain: s.node.chain.label } : {}),
          commitments: role.commitments(),
          ...(pending === undefined ? {} : { pendingCommitments: pending }),
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
      },
      problems: () => {
        const out = [...role.localProblems()];
        const failure = role.failure();
        if (failure) out.push(`following stopped: ${failure.code}`);
        else if (role.state() === 'catching-up' || role.state() === 'idle') out.push('catching up with the upstream');
        else if (role.state() === 'stalled') out.push(`stalled: the upstream has brought nothing that shows the mirror current for ${Math.round(role.lagSeconds() ?? 0)} s`);
        return out;
      },
      ...(s.publicUri === undefined ? {} : { uri: () => s.publicUri as string }),
      start: () => {
        if (waiting) {
          opened = (async () => {
            try {
              const segmentRecords = await waitForUpstream(upstream, log, opening.signal);
              if (segmentRecords === undefined) return;
              const journal = await journalRole(s, log, segmentRecords);
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
        } else role.start();
        aggregator?.start();
      },
      // digests already taken are still submitted and answered before the connections close
      drain: async (budgetMs) => {
        await aggregator?.stop({ giveUpAfterMs: budgetMs });
        submitter?.close();
      },
      close: async () => {
        opening.abort();
        await opened;
        const records = role.records();
        await role.close();
        log.info('mirror closed', { records });
      },
      describe: (url) => ({ status: `serving ${url}; mirroring ${shownUpstream}`, fields: { upstream: shownUpstream, protocol: role.protocol, aggregating: aggregator !== undefined } }),
    },
  });
}
