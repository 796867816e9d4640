/** @module The options of `ots-calendar aggregator`: which calendars take its ticks, how many must acknowledge, and how it serves. */
import type { ConfigValue, OptionSpec } from './config.js';

const AGG = ['aggregator'] as const;

function checkCalendarUrls(v: ConfigValue): string | undefined {
  const all = Array.isArray(v) ? v : [String(v)];
  const trimmed = all.map((u) => u.replace(/\/+$/, ''));
  const twice = trimmed.find((u, i) => trimmed.indexOf(u) !== i);
  // the same calendar twice would count twice toward "required"
  if (twice !== undefined) return `${twice} is given more than once`;
  for (const one of all) {
    let url: URL;
    try {
      url = new URL(one);
    } catch {
      return `${JSON.stringify(one)} must be a URL such as https://calendar.example.org`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${one} must start with http:// or https://`;
    if (url.search || url.hash) return `${one} must not carry a query or fragment`;
    if (url.username || url.password) return `${url.protocol}//${url.host} must not carry credentials`;
  }
  return undefined;
}

/** Every option of the aggregator command (the shared ones repeated here: each entry names the commands that take it). */
export const AGGREGATOR_OPTIONS: readonly OptionSpec[] = [
  { key: 'config', type: 'string', help: 'read options from this file (key = value lines)', commands: AGG },
  {
    key: 'upstream',
    type: 'list',
    help: 'URL of a calendar that gets every tick\'s merkle root (repeat for several; required)',
    commands: AGG,
    check: checkCalendarUrls,
  },
  { key: 'required', type: 'int', help: 'calendars that must acknowledge a tick before its digests get 200', default: 1, min: 1, max: 100, commands: AGG },
  { key: 'upstream-timeout-ms', type: 'int', help: 'longest wait for one calendar\'s answer', default: 5_000, min: 100, max: 600_000, commands: AGG },
  {
    key: 'straggler-ms',
    type: 'int',
    help: 'once enough calendars answered, how much longer the others are waited for',
    default: 1_000,
    min: 0,
    max: 600_000,
    commands: AGG,
  },
  { key: 'host', type: 'string', help: 'address to listen on', default: '127.0.0.1', commands: AGG },
  { key: 'port', type: 'int', help: 'port to listen on', default: 14790, min: 0, max: 65535, commands: AGG },
  { key: 'uri', type: 'string', help: 'this aggregator\'s public URL, shown on its welcome page (default http://HOST:PORT)', commands: AGG, check: checkCalendarUrls },
  { key: 'operator', type: 'string', help: 'who runs this aggregator (shown on the welcome page)', commands: AGG },
  { key: 'tick-ms', type: 'int', help: 'aggregation interval in milliseconds', default: 1000, min: 10, max: 60_000, commands: AGG },
  { key: 'max-queue', type: 'int', help: 'digests waiting for a tick at most; beyond, clients get 503 + Retry-After', default: 100_000, min: 1, max: 10_000_000, commands: AGG },
  { key: 'max-batch', type: 'int', help: 'digests per tick at most (0: no cap); a full batch is submitted at once', default: 1000, min: 0, max: 10_000_000, commands: AGG },
  { key: 'log-level', type: 'enum', values: ['debug', 'info', 'warn', 'error'], help: 'least severe level logged', default: 'info', commands: AGG },
  { key: 'log-format', type: 'enum', values: ['auto', 'json', 'text'], help: 'json lines, readable text, or auto (text on a terminal)', default: 'auto', commands: AGG },
  { key: 'log-file', type: 'string', help: 'also append JSON log lines to this file (reopened on SIGHUP)', commands: AGG },
  { key: 'access-log', type: 'bool', help: 'log every HTTP request', default: false, commands: AGG },
  { key: 'body-timeout-ms', type: 'int', help: 'a client must send its request body within this time, else 408', default: 5_000, min: 100, max: 600_000, commands: AGG },
  { key: 'headers-timeout-ms', type: 'int', help: 'a client must send its request headers within this time, else 408', default: 10_000, min: 100, max: 600_000, commands: AGG },
  { key: 'keep-alive-timeout-ms', type: 'int', help: 'idle keep-alive connections are closed after this time', default: 5_000, min: 100, max: 600_000, commands: AGG },
  { key: 'listen-backlog', type: 'int', help: 'connections the kernel queues before they are accepted (capped by net.core.somaxconn)', default: 4096, min: 16, max: 65_535, commands: AGG },
  { key: 'shutdown-timeout-ms', type: 'int', help: 'longest a graceful stop may take before exiting anyway (more than upstream-timeout-ms + straggler-ms)', default: 15_000, min: 100, max: 600_000, commands: AGG },
];
