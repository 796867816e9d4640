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
  readonly 'body-timeout-ms': number;
  readonly 'headers-timeout-ms': number;
  readonly 'keep-alive-timeout-ms': number;
  readonly 'listen-backlog': number;
  readonly 'shutdown-timeout-ms': number;
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

export interface ServerSettings {
  log: LoggerOptions;
  http: HttpSettings;
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
      bodyTimeoutMs: c['body-timeout-ms'],
      headersTimeoutMs: c['headers-timeout-ms'],
      keepAliveTimeoutMs: c['keep-alive-timeout-ms'],
      listenBacklog: c['listen-backlog'],
    },
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
