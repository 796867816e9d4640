/** @module The options of `ots-calendar stamper`: which calendars to pay for, its own node and wallet, its delay and fee caps, where its state lives and how it serves its status. */
import { join } from 'node:path';
import { CHAINS } from '../bitcoin/index.js';
import { defaultDataDir, type ConfigValue, type OptionSpec } from './config.js';

const STAMPER = ['stamper'] as const;

function checkUrl(one: string): string | undefined {
  let url: URL;
  try {
    url = new URL(one);
  } catch {
    return 'must be a URL such as https://calendar.example.org';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.search || url.hash) return 'must not carry a query or fragment';
  return undefined;
}

function checkCalendars(v: ConfigValue): string | undefined {
  const all = Array.isArray(v) ? v : [String(v)];
  for (const one of all) {
    const p = checkUrl(one);
    // not echoed: a URL may carry credentials
    if (p !== undefined) return `(one of them) ${p}`;
  }
  const trimmed = all.map((u) => u.replace(/\/+$/, ''));
  return trimmed.some((u, i) => trimmed.indexOf(u) !== i) ? 'names the same calendar twice' : undefined;
}

function checkOne(v: ConfigValue): string | undefined {
  return checkUrl(String(v));
}

export const STAMPER_OPTIONS = [
  { key: 'calendar', type: 'list', help: 'a calendar whose advertised tips this stamper pays for (repeat for several; required)', commands: STAMPER, check: checkCalendars },
  { key: 'chain', type: 'enum', values: Object.keys(CHAINS), help: 'the chain its transactions go to; a calendar on another chain is left alone', default: 'bitcoin', commands: STAMPER },
  {
    key: 'rpc-url',
    type: 'string',
    help: 'its own node\'s JSON-RPC URL, http://[user:password@]host:port (default: 127.0.0.1 and the chain\'s port); never logged',
    secret: true,
    commands: STAMPER,
    check: checkOne,
  },
  { key: 'rpc-cookie', type: 'string', help: 'the node\'s .cookie file (instead of a password in rpc-url)', commands: STAMPER },
  { key: 'rpc-wallet', type: 'string', help: 'the wallet that pays (used by this stamper alone; its confirmed native segwit outputs are spent)', commands: STAMPER },
  {
    key: 'delay',
    type: 'int',
    help: 'seconds a calendar\'s oldest waiting commitment waits before this stamper pays for its tip (a stamper with a shorter delay, or the calendar\'s own wallet, may pay first)',
    default: 600,
    min: 0,
    max: 30 * 86_400,
    commands: STAMPER,
  },
  { key: 'max-fee', type: 'int', help: 'satoshis one transaction may pay at most', default: 10_000, min: 1, max: 100_000_000, commands: STAMPER },
  { key: 'max-fee-per-day', type: 'int', help: 'satoshis all transactions of any 24 hours may pay at most', default: 100_000, min: 1, max: 10_000_000_000, commands: STAMPER },
  { key: 'confirmations', type: 'int', help: 'blocks deep a transaction of this stamper must be before it is done with', default: 6, min: 1, max: 1000, commands: STAMPER },
  { key: 'poll-interval-ms', type: 'int', help: 'milliseconds between two looks at the calendars and the node', default: 5_000, min: 50, max: 600_000, commands: STAMPER },
  { key: 'data-dir', type: 'string', help: 'where its state (the transactions it paid for) lives', default: join(defaultDataDir(), 'stamper'), commands: STAMPER },
  { key: 'port', type: 'int', help: 'port its status page listens on', default: 14791, min: 0, max: 65535, commands: STAMPER },
  { key: 'uri', type: 'string', help: 'this stamper\'s public URL, shown on its status page (default http://HOST:PORT)', commands: STAMPER, check: checkOne },
  { key: 'shutdown-timeout-ms', type: 'int', help: 'longest a graceful stop may take before exiting anyway', default: 10_000, min: 100, max: 600_000, commands: STAMPER },
] as const satisfies readonly OptionSpec[];
