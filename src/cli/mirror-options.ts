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

/** The options only the mirror command takes (the ones it shares with the other servers are in options.ts). */
export const MIRROR_OPTIONS = [
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
  { key: 'upstream-timeout-ms', type: 'int', help: 'with --aggregate: longest wait for the upstream to acknowledge a tick', default: 5_000, min: 100, max: 600_000, commands: MIRROR },
  { key: 'data-dir', type: 'string', help: 'where the mirrored journal and its index live', default: join(defaultDataDir(), 'mirror'), commands: MIRROR },
  // the reference's backup mirror listened on 14799 (reference-server §6.2)
  { key: 'port', type: 'int', help: 'port to listen on', default: 14799, min: 0, max: 65535, commands: MIRROR },
  { key: 'uri', type: 'string', help: 'this mirror\'s public URL, shown on its welcome page (default http://HOST:PORT)', commands: MIRROR, check: checkHttpUrl },
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
] as const satisfies readonly OptionSpec[];
