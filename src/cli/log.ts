/** @module Logging: JSON lines on stdout by default (journald reads them), readable lines on a terminal, levels, an optional file reopened on SIGHUP, repeated warnings held back, a destination that fails never fatal, and no secrets ever. */
import { openSync, writeSync, closeSync } from 'node:fs';
import { isatty } from 'node:tty';
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
  /**
   * Prefix each stdout line with its sd-daemon priority (`<3>` error, `<4>` warning, `<6>` info, `<7>` debug),
   * which journald turns into the entry's priority. Default: when stdout is journald's (JOURNAL_STREAM is set).
   */
  priorities?: boolean;
  /** Also append to this file (reopened by reopen()). */
  file?: string;
  /** Where stdout lines go; default file descriptor 1. A throw loses that line only (counted, see stdoutLine). */
  write?: (line: string) => void;
  isTty?: boolean;
}

/** sd-daemon(3) prefixes: journald reads them as the line's priority (and strips them). */
const PRIORITY: Record<Level, string> = { error: '<3>', warn: '<4>', info: '<6>', debug: '<7>' };

/** Field names whose values are never written (a key, a password, a cookie). */
const SECRET_FIELD = /(^|[_-])(key|hmac|password|passwd|secret|cookie|authorization|auth|token)([_-]|$)|hmacKey|rpcPassword/i;
/** Credentials inside URLs: scheme://user:password@host → scheme://***@host */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]*@/gi;

export function redact(value: unknown, key = '', stacks = false): unknown {
  if (key && SECRET_FIELD.test(key) && !/path|file|dir/i.test(key)) return '[redacted]';
  if (typeof value === 'string') return value.replace(URL_USERINFO, '$1***@');
  if (value instanceof Error) {
    const text = `${value.name}: ${value.message}`;
    const line = String(redact(value.cause === undefined ? text : `${text} (cause: ${String(redact(value.cause))})`));
    // at debug, where it happened too (the stack repeats the message, which is redacted the same way)
    return stacks && value.stack !== undefined ? { error: line, stack: redact(value.stack) } : line;
  }
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return value.map((v) => redact(v, '', stacks));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, stacks);
    return out;
  }
  return value;
}

export function createLogger(opts: LoggerOptions = {}, bound: Fields = {}): Logger {
  const state = {
    min: RANK[opts.level ?? 'info'],
    // isatty, not process.stdout.isTTY: creating process.stdout makes a pipe or socket on fd 1 non-blocking
    json: opts.format === 'json' || (opts.format !== 'text' && !(opts.isTty ?? isatty(1))),
    priorities: opts.priorities ?? (process.env['JOURNAL_STREAM'] ?? '') !== '',
    stacks: (opts.level ?? 'info') === 'debug',
    write: opts.write ?? writeStdout,
    /** Lines stdout refused since the last that got through. */
    lost: 0,
    /** Set once stdout's reader is gone (EPIPE): it never comes back. */
    closed: false,
    file: opts.file,
    fd: opts.file ? openSync(opts.file, 'a', 0o640) : -1,
  };
  const repeats = new RepeatLimiter();
  const format = (time: string, level: Level, msg: string, all: Fields): string =>
    state.json ? JSON.stringify({ time, level, msg, ...all }) + '\n' : textLine(time, level, msg, all);
  const stdoutLine = (line: string): void => {
    if (state.closed) return;
    try {
      if (state.lost > 0) {
        // said first, in the same format, so a reader sees the gap where it was
        const gap = format(new Date().toISOString(), 'warn', 'log lines could not be written to stdout', { lost: state.lost });
        state.write(state.priorities ? PRIORITY.warn + gap : gap);
        state.lost = 0;
      }
      state.write(line);
    } catch (err) {
      state.lost++;
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') state.closed = true;
    }
  };
  const emit = (level: Level, msg: string, all: Fields): void => {
    const time = new Date().toISOString();
    stdoutLine(state.priorities ? PRIORITY[level] + format(time, level, msg, all) : format(time, level, msg, all));
    if (state.fd >= 0) {
      try {
        writeSync(state.fd, JSON.stringify({ time, level, msg, ...all }) + '\n');
      } catch {
        // A full disk must not take the server down with it; stdout still has the line.
      }
    }
  };
  const make = (extra: Fields): Logger => {
    const log = (level: Level, msg: string, fields?: Fields): void => {
      if (RANK[level] < state.min) return;
      const all = redact({ ...extra, ...fields }, '', state.stacks) as Fields;
      const text = String(redact(msg));
      if (RANK[level] >= RANK.warn && !repeats.admit(level, text, all, emit)) return;
      emit(level, text, all);
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

/**
 * Writes a whole line to file descriptor 1 with write(2), not through process.stdout: that stream emits an
 * 'error' when its reader exits (EPIPE) or its file's disk fills (ENOSPC), which ended the process, and is
 * useless afterwards even once space is freed. A failed write throws to the logger, which loses that line only.
 */
function writeStdout(line: string): void {
  const bytes = Buffer.from(line);
  for (let at = 0; at < bytes.length; ) at += writeSync(1, bytes, at, bytes.length - at);
}

/** Identical warnings or errors (same level, message and fields) written within a window before the rest are held back. */
const REPEATS_WRITTEN = 3;
const REPEAT_WINDOW_MS = 10_000;
/** Distinct lines followed at once; more are written without following (an unbounded map would be a leak). */
const REPEATS_FOLLOWED = 1_000;

interface Repeat {
  since: number;
  seen: number;
  held: number;
  level: Level;
  msg: string;
  fields: Fields;
}

/**
 * Holds back a warning or error that keeps repeating (a tick failing on a full disk, every tick): in each 10 s
 * window the first three identical lines are written, the others counted, and one line with the count
 * (`suppressed`, `windowSeconds`) closes the window, so the log shows the problem and how often, not
 * thousands of copies.
 */
class RepeatLimiter {
  readonly #repeats = new Map<string, Repeat>();

  /** True when the line is to be written now; `emit` writes the count of a window that held lines back. */
  admit(level: Level, msg: string, fields: Fields, emit: (level: Level, msg: string, fields: Fields) => void): boolean {
    const key = JSON.stringify([level, msg, fields]);
    const now = Date.now();
    const r = this.#repeats.get(key);
    if (r && now - r.since < REPEAT_WINDOW_MS) {
      if (++r.seen <= REPEATS_WRITTEN) return true;
      if (r.held++ === 0) {
        const timer = setTimeout(() => {
          if (this.#repeats.get(key) === r) this.#close(key, emit);
        }, r.since + REPEAT_WINDOW_MS - now);
        // the count of a stopping process's last window is not worth keeping it alive
        timer.unref();
      }
      return false;
    }
    if (r) this.#close(key, emit);
    if (this.#repeats.size >= REPEATS_FOLLOWED) this.#sweep(now, emit);
    if (this.#repeats.size < REPEATS_FOLLOWED) this.#repeats.set(key, { since: now, seen: 1, held: 0, level, msg, fields });
    return true;
  }

  #close(key: string, emit: (level: Level, msg: string, fields: Fields) => void): void {
    const r = this.#repeats.get(key);
    if (!r) return;
    this.#repeats.delete(key);
    if (r.held > 0) emit(r.level, r.msg, { ...r.fields, suppressed: r.held, windowSeconds: REPEAT_WINDOW_MS / 1000 });
  }

  #sweep(now: number, emit: (level: Level, msg: string, fields: Fields) => void): void {
    for (const [key, r] of this.#repeats) if (now - r.since >= REPEAT_WINDOW_MS) this.#close(key, emit);
  }
}

function textLine(time: string, level: Level, msg: string, fields: Fields): string {
  const kv = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${kv ? ' ' + kv : ''}\n`;
}
