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

/** The options only the aggregator command takes, or takes with its own default (the shared ones are in options.ts). */
export const AGGREGATOR_OPTIONS = [
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
  { key: 'port', type: 'int', help: 'port to listen on', default: 14790, min: 0, max: 65535, commands: AGG },
  { key: 'uri', type: 'string', help: 'this aggregator\'s public URL, shown on its welcome page (default http://HOST:PORT)', commands: AGG, check: checkCalendarUrls },
  { key: 'shutdown-timeout-ms', type: 'int', help: 'longest a graceful stop may take before exiting anyway (more than upstream-timeout-ms + straggler-ms)', default: 15_000, min: 100, max: 600_000, commands: AGG },
] as const satisfies readonly OptionSpec[];
