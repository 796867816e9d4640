/** @module The options of `ots-calendar mirror`: which calendar to follow and how, where to keep it, how to serve it, and which node checks attestations. */
import { join } from 'node:path';
import { CHAINS } from '../bitcoin/index.js';
import { defaultDataDir, type ConfigValue, type OptionSpec } from './config.js';

const MIRROR = ['mirror'] as const;

function checkHttpUrl(v: ConfigValue): string | undefined {
  let url: URL;
  try {
    url = new URL(String(v));
  } catch {
    return 'must be a URL such as https://calendar.example.org';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.search || url.hash) return 'must not carry a query or fragment';
  return undefined;
}

/** Every option of the mirror command (the shared ones repeated here: each entry names the commands that take it). */
export const MIRROR_OPTIONS: readonly OptionSpec[] = [
  { key: 'config', type: 'string', help: 'read options from this file (key = value lines)', commands: MIRROR },
  { key: 'upstream', type: 'string', help: 'URL of the calendar to follow (required)', commands: MIRROR, check: checkHttpUrl },
  {
    key: 'backup-protocol',
    type: 'bool',
    help: 'follow a reference calendar (otsd) through its /experimental/backup/<n> chunks instead of the journal API',
    default: false,
    commands: MIRROR,
  },
  {
    key: 'aggregate',
    type: 'bool',
    help: 'also take digests (POST /digest) and submit them, one merkle root per tick, to the upstream calendar',
    default: false,
    commands: MIRROR,
  },
  { key: 'tick-ms', type: 'int', help: 'with --aggregate: aggregation interval in milliseconds', default: 1000, min: 10, max: 60_000, commands: MIRROR },
  { key: 'max-queue', type: 'int', help: 'with --aggregate: digests waiting for a tick at most; beyond, 503 + Retry-After', default: 100_000, min: 1, max: 10_000_000, commands: MIRROR },
  { key: 'max-batch', type: 'int', help: 'with --aggregate: digests per tick at most (0: no cap)', default: 1000, min: 0, max: 10_000_000, commands: MIRROR },
  { key: 'upstream-timeout-ms', type: 'int', help: 'with --aggregate: longest wait for the upstream to acknowledge a tick', default: 5_000, min: 100, max: 600_000, commands: MIRROR },
  { key: 'body-timeout-ms', type: 'int', help: 'with --aggregate: a client must send its request body within this time, else 408', default: 5_000, min: 100, max: 600_000, commands: MIRROR },
  { key: 'data-dir', type: 'string', help: 'where the mirrored journal and its index live', default: join(defaultDataDir(), 'mirror'), commands: MIRROR },
  { key: 'host', type: 'string', help: 'address to listen on', default: '127.0.0.1', commands: MIRROR },
  // the reference's backup mirror listened on 14799 (reference-server §6.2)
  { key: 'port', type: 'int', help: 'port to listen on', default: 14799, min: 0, max: 65535, commands: MIRROR },
  { key: 'uri', type: 'string', help: 'this mirror\'s public URL, shown on its welcome page (default http://HOST:PORT)', commands: MIRROR, check: checkHttpUrl },
  { key: 'operator', type: 'string', help: 'who runs this mirror (shown on the welcome page)', commands: MIRROR },
  {
    key: 'rpc-url',
    type: 'string',
    help: 'a node to check every anchor\'s attestation against before storing it, http://[user:password@]host:port; never logged',
    secret: true,
    commands: MIRROR,
    check: checkHttpUrl,
  },
  { key: 'rpc-cookie', type: 'string', help: 'the node\'s .cookie file (instead of a password in rpc-url)', commands: MIRROR },
  { key: 'chain', type: 'enum', values: Object.keys(CHAINS), help: 'the chain the calendar anchors on: which attestations the node checks', default: 'bitcoin', commands: MIRROR },
  { key: 'poll-wait-ms', type: 'int', help: 'how long one request waits at the upstream\'s head for new records', default: 15_000, min: 0, max: 30_000, commands: MIRROR },
  { key: 'backup-poll-seconds', type: 'int', help: 'with --backup-protocol: seconds between asks for the next chunk once caught up', default: 60, min: 1, max: 86_400, commands: MIRROR },
  { key: 'pending-max-age', type: 'int', help: 'seconds a cache may keep a pending answer', default: 30, min: 0, max: 86_400, commands: MIRROR },
  { key: 'log-level', type: 'enum', values: ['debug', 'info', 'warn', 'error'], help: 'least severe level logged', default: 'info', commands: MIRROR },
  { key: 'log-format', type: 'enum', values: ['auto', 'json', 'text'], help: 'json lines, readable text, or auto (text on a terminal)', default: 'auto', commands: MIRROR },
  { key: 'log-file', type: 'string', help: 'also append JSON log lines to this file (reopened on SIGHUP)', commands: MIRROR },
  { key: 'access-log', type: 'bool', help: 'log every HTTP request', default: false, commands: MIRROR },
  { key: 'headers-timeout-ms', type: 'int', help: 'a client must send its request headers within this time, else 408', default: 10_000, min: 100, max: 600_000, commands: MIRROR },
  { key: 'keep-alive-timeout-ms', type: 'int', help: 'idle keep-alive connections are closed after this time', default: 5_000, min: 100, max: 600_000, commands: MIRROR },
  { key: 'shutdown-timeout-ms', type: 'int', help: 'longest a graceful stop may take before exiting anyway', default: 10_000, min: 100, max: 600_000, commands: MIRROR },
];
