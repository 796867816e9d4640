/** @module Logging: JSON lines on stdout by default (journald reads them), readable lines on a terminal, levels, an optional file reopened on SIGHUP, and no secrets ever. */
import { openSync, writeSync, closeSync } from 'node:fs';
import type { Log, LogFields, LogLevel } from '../log/log.js';

export type Level = LogLevel;
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = LogFields;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** The neutral log (src/log) the domain writes to: a bound function, safe to pass on. */
  log: Log;
  child(fields: Fields): Logger;
  /** Reopens the log file (after logrotate renamed it). */
  reopen(): void;
  enabled(level: Level): boolean;
}

export interface LoggerOptions {
  level?: Level;
  format?: 'json' | 'text' | 'auto';
  /** Also append to this file (reopened by reopen()). */
  file?: string;
  /** Where stdout lines go; default process.stdout. */
  write?: (line: string) => void;
  isTty?: boolean;
}

/** Field names whose values are never written (a key, a password, a cookie). */
const SECRET_FIELD = /(^|[_-])(key|hmac|password|passwd|secret|cookie|authorization|auth|token)([_-]|$)|hmacKey|rpcPassword/i;
/** Credentials inside URLs: scheme://user:password@host → scheme://***@host */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]*@/gi;

export function redact(value: unknown, key = ''): unknown {
  if (key && SECRET_FIELD.test(key) && !/path|file|dir/i.test(key)) return '[redacted]';
  if (typeof value === 'string') return value.replace(URL_USERINFO, '$1***@');
  if (value instanceof Error) {
    const text = `${value.name}: ${value.message}`;
    return redact(value.cause === undefined ? text : `${text} (cause: ${String(redact(value.cause))})`);
  }
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k);
    return out;
  }
  return value;
}

export function createLogger(opts: LoggerOptions = {}, bound: Fields = {}): Logger {
  const state = {
    min: RANK[opts.level ?? 'info'],
    json: opts.format === 'json' || (opts.format !== 'text' && !(opts.isTty ?? process.stdout.isTTY)),
    write: opts.write ?? ((line: string) => void process.stdout.write(line)),
    file: opts.file,
    fd: opts.file ? openSync(opts.file, 'a', 0o640) : -1,
  };
  const make = (extra: Fields): Logger => {
    const log = (level: Level, msg: string, fields?: Fields): void => {
      if (RANK[level] < state.min) return;
      const all = redact({ ...extra, ...fields }) as Fields;
      const time = new Date().toISOString();
      const line = state.json ? JSON.stringify({ time, level, msg: redact(msg), ...all }) + '\n' : textLine(time, level, String(redact(msg)), all);
      state.write(line);
      if (state.fd >= 0) {
        const out = state.json ? line : JSON.stringify({ time, level, msg: redact(msg), ...all }) + '\n';
        try {
          writeSync(state.fd, out);
        } catch {
          // A full disk must not take the server down with it; stdout still has the line.
        }
      }
    };
    return {
      debug: (m, f) => log('debug', m, f),
      info: (m, f) => log('info', m, f),
      warn: (m, f) => log('warn', m, f),
      error: (m, f) => log('error', m, f),
      log,
      child: (f) => make({ ...extra, ...f }),
      enabled: (level) => RANK[level] >= state.min,
      reopen: () => {
        if (!state.file) return;
        const old = state.fd;
        state.fd = openSync(state.file, 'a', 0o640);
        if (old >= 0) closeSync(old);
      },
    };
  };
  return make(bound);
}

function textLine(time: string, level: Level, msg: string, fields: Fields): string {
  const kv = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${kv ? ' ' + kv : ''}\n`;
}
