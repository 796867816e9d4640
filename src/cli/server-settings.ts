/** @module The settings every server role shares, built once from its typed configuration: logging, the HTTP listener, the aggregator's ticks, and the public face (URI, operator) and shutdown budget. */
import type { LoggerOptions } from './log.js';

/** The options every server role takes, with their types (each role's configuration has them). */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly operator: string | undefined;
  readonly 'log-level': 'debug' | 'info' | 'warn' | 'error';
  readonly 'log-format': 'auto' | 'json' | 'text';
  readonly 'log-file': string | undefined;
  readonly 'access-log': boolean;
  readonly 'trust-proxy': readonly string[] | undefined;
  readonly 'body-timeout-ms': number;
  readonly 'headers-timeout-ms': number;
  readonly 'keep-alive-timeout-ms': number;
  readonly 'listen-backlog': number;
  readonly 'shutdown-timeout-ms': number;
  readonly 'metrics-listen': string | undefined;
}

/** The aggregator's options, for the roles that take digests. */
export interface TickConfig {
  readonly 'tick-ms': number;
  readonly 'max-queue': number;
  readonly 'max-batch': number;
}

export interface HttpSettings {
  host: string;
  port: number;
  accessLog: boolean;
  /** Peers whose X-Real-IP / X-Forwarded-For name the client in the access log. */
  trustProxy: readonly string[];
  bodyTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  listenBacklog: number;
}

export interface TickSettings {
  tickMs: number;
  maxQueue: number;
  maxBatch: number;
}

/** A HOST:PORT to listen on. */
export interface ListenAddress {
  host: string;
  port: number;
}

export interface ServerSettings {
  log: LoggerOptions;
  http: HttpSettings;
  /** `--metrics-listen`: where /metrics is served instead of the public port; undefined: on the public port. */
  metricsListen: ListenAddress | undefined;
  operator: string | undefined;
  shutdownTimeoutMs: number;
}

export function serverSettings(c: ServerConfig): ServerSettings {
  return {
    log: { level: c['log-level'], format: c['log-format'], ...(c['log-file'] === undefined ? {} : { file: c['log-file'] }) },
    http: {
      host: c.host,
      port: c.port,
      accessLog: c['access-log'],
      trustProxy: c['trust-proxy'] ?? [],
      bodyTimeoutMs: c['body-timeout-ms'],
      headersTimeoutMs: c['headers-timeout-ms'],
      keepAliveTimeoutMs: c['keep-alive-timeout-ms'],
      listenBacklog: c['listen-backlog'],
    },
    metricsListen: c['metrics-listen'] === undefined ? undefined : (parseListenAddress(c['metrics-listen']) as ListenAddress),
    operator: c.operator,
    shutdownTimeoutMs: c['shutdown-timeout-ms'],
  };
}

export function tickSettings(c: TickConfig): TickSettings {
  return { tickMs: c['tick-ms'], maxQueue: c['max-queue'], maxBatch: c['max-batch'] };
}

/** `http://host:port` with an IPv6 host in brackets. */
export function hostUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** `HOST:PORT` or `[IPv6]:PORT` → the address; a string saying what is wrong otherwise. */
export function parseListenAddress(text: string): ListenAddress | string {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65_535) return 'must be HOST:PORT (e.g. 127.0.0.1:9464, or [::1]:9464 for IPv6), with a port of at most 65535';
  return { host: (m[1] ?? m[2]) as string, port };
}

export function listenAddressProblem(text: string): string | undefined {
  const a = parseListenAddress(text);
  return typeof a === 'string' ? a : undefined;
}
