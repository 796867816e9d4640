/**
 * @module One set-up for every server role (calendar, mirror, aggregator, and those to come): metrics registry (with the process metrics and build info), HTTP app and listener (and the metrics listener of `--metrics-listen`), readiness, the base of the status record, systemd ready/watchdog/stopping, and the ordered shutdown.
 *
 * A role builds its parts and hands over a {@link RoleService}; this module does the rest, the same way for all:
 *
 *   start:  listen (public, then metrics) → service.start() → READY=1 (+ watchdog pings while the service is healthy)
 *   stop:   STOPPING=1 → stop accepting connections → service.drain(half the budget: answer what was taken)
 *           → close every connection → service.close() (files, timers) → close the metrics listener → "stopped cleanly"
 */
import type { Server } from 'node:http';
import { createApp, type AppDeps } from '../http/app.js';
import { createMetricsApp } from '../http/metrics-app.js';
import { DONATE_BODY } from '../http/donation-routes.js';
import { type BodyLimit, DIGEST_BODY } from '../http/node-server.js';
import { requestMetrics } from '../http/request-metrics.js';
import type { StatusInfo } from '../http/status-info.js';
import { processMetrics } from '../metrics/process-metrics.js';
import type { Registry } from '../metrics/registry.js';
import { listenHttp } from './http-listener.js';
import type { Fields, Logger } from './log.js';
import type { ServerSettings } from './server-settings.js';
import { createNotifier } from './systemd-notify.js';
import { VERSION } from './version.js';

export type RoleName = 'calendar' | 'aggregator' | 'mirror' | 'stamper';

/** The status fields every role fills in; the set-up adds software, version, role, uri, operator and times. */
export type RoleStatus = Omit<StatusInfo, 'software' | 'version' | 'role' | 'uri' | 'operator' | 'startedAt' | 'uptimeSeconds'>;

/** What a role hands to the set-up. Methods are called from one event loop, in the order of the module comment. */
export interface RoleService {
  /** The role's routes and answers (the set-up adds status, readiness, metrics and error logging). */
  app: Omit<AppDeps, 'status' | 'notReady' | 'onError' | 'metrics'>;
  /** The role's part of the status record. */
  status(): RoleStatus;
  /** Reasons not to send traffic here now (empty when ready): GET /readyz. */
  problems(): string[];
  /** Named checks that monitoring probes beside readiness, each at GET /readyz/<name> (e.g. anchoring). */
  probes?: Readonly<Record<string, () => string[]>>;
  /** The public URI shown in the status record; undefined: the URL it listens on. */
  uri?: () => string;
  /** Whether the systemd watchdog may be fed: the process takes and answers requests (default: not stopping). */
  healthy?: () => boolean;
  /** Starts following, ticking, polling: called once the port is open. */
  start(): void;
  /** Intake is closed: finish what was taken within `budgetMs`. */
  drain(budgetMs: number): Promise<void>;
  /** Every connection is closed: release files and timers. Also called when listening fails. */
  close(): Promise<void>;
  /** The systemd STATUS= line once serving, and the fields of the "listening" log line. */
  describe(url: string): { status: string; fields: Fields };
}

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

export async function serveRole(o: { role: RoleName; settings: ServerSettings; log: Logger; registry: Registry; service: RoleService }): Promise<RunningServer> {
  const { role, settings, log, registry, service } = o;
  const startedAt = new Date();
  let stoppingNow = false;
  let url = '';
  const problems = (): string[] => [...(stoppingNow ? ['shutting down'] : []), ...service.problems()];
  const status = (): StatusInfo => ({
    software: 'ots-calendar',
    version: VERSION,
    role,
    uri: service.uri?.() ?? url,
    ...(settings.operator ? { operator: settings.operator } : {}),
    startedAt: startedAt.toISOString(),
    uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    ...service.status(),
  });
  processMetrics(registry, { version: VERSION, role });
  const metrics = (): Promise<string> => registry.render();
  const onError = (err: unknown): void => log.error('request failed', { err });
  const app = createApp({
    ...service.app,
    status,
    notReady: problems,
    ...(service.probes ? { probes: service.probes } : {}),
    onError,
    // with --metrics-listen, /metrics is served there only
    ...(settings.metricsListen ? {} : { metrics }),
  });
  const onRequest = requestMetrics(registry);
  let server: Server;
  let metricsServer: Server | undefined;
  let metricsUrl: string | undefined;
  try {
    // POST bodies read: digests, and posted transactions where the role takes them
    const bodies: Record<string, BodyLimit> = service.app.donations ? { '/digest': DIGEST_BODY, '/donate': DONATE_BODY } : { '/digest': DIGEST_BODY };
    ({ server, url } = await listenHttp(app, { settings: settings.http, log, onRequest, bodies }));
    if (settings.metricsListen) {
      try {
        ({ server: metricsServer, url: metricsUrl } = await listenHttp(createMetricsApp({ metrics, onError }), { settings: { ...settings.http, ...settings.metricsListen }, log, onRequest, bodies: {} }));
      } catch (err) {
        server.close();
        throw err;
      }
    }
  } catch (err) {
    await service.close();
    throw err;
  }
  service.start();
  const described = service.describe(url);
  log.info(`${role} listening`, { url, ...(metricsUrl ? { metricsUrl } : {}), ...described.fields });
  const notifier = createNotifier(process.env, (err) => log.warn('systemd-notify failed', { err }));
  notifier.ready(described.status);
  notifier.startWatchdog(() => !stoppingNow && (service.healthy?.() ?? true));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      log.info(`stopping the ${role}: intake closed, finishing what was taken`);
      stoppingNow = true;
      notifier.stopping();
      notifier.close();
      server.close();
      // half the shutdown budget for what was taken; what is not in a tick by then gets 503
      await service.drain(settings.shutdownTimeoutMs / 2);
      server.closeAllConnections();
      await service.close();
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      log.info('stopped cleanly');
    })());
  return { url, stop };
}
