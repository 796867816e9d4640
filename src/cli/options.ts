/** @module The option schema of every command: flags, config-file keys and environment variables come from this one table. */
import { isIP } from 'node:net';
import type { ConfigOf, OptionSpec } from './config.js';
import { defaultDataDir } from './config.js';
import { checkCalendarUri } from '../calendar/data-dir.js';
import { MIRROR_OPTIONS } from './mirror-options.js';
import { AGGREGATOR_OPTIONS } from './aggregator-options.js';
import { ANCHOR_OPTIONS } from './anchor-options.js';
import { listenAddressProblem } from './server-settings.js';
import { IMPORT_OTSD_OPTIONS } from './import-otsd-options.js';
import { STAMPER_OPTIONS } from './stamper-options.js';

const SERVE = ['calendar'] as const;
const DATA = ['calendar', 'reindex', 'fsck', 'backup', 'import-otsd'] as const;
/** Every command that runs a server; those taking digests share the aggregator's settings. */
const SERVERS = ['calendar', 'aggregator', 'mirror'] as const;
/** Every command that serves HTTP: the servers and the stamper (its status page). */
const LISTENERS = [...SERVERS, 'stamper'] as const;

export const OPTIONS = [
  { key: 'config', type: 'string', help: 'read options from this file (key = value lines)', commands: [...DATA, 'aggregator', 'mirror', 'stamper'] },
  { key: 'data-dir', type: 'string', help: 'where the journal, index and keys live', default: defaultDataDir(), commands: [...DATA] },
  { key: 'host', type: 'string', help: 'address to listen on', default: '127.0.0.1', commands: [...LISTENERS] },
  { key: 'port', type: 'int', help: 'port to listen on', default: 14788, min: 0, max: 65535, commands: [...SERVE] },
  {
    key: 'uri',
    type: 'string',
    help: 'this calendar\'s public URI, written into every pending proof (default: stored on first run as http://HOST:PORT)',
    commands: [...SERVE],
    check: (v) => checkCalendarUri(String(v)),
  },
  { key: 'tick-ms', type: 'int', help: 'aggregation interval in milliseconds', default: 1000, min: 10, max: 60_000, commands: [...SERVERS] },
  { key: 'max-queue', type: 'int', help: 'digests waiting for a tick at most; beyond, clients get 503 + Retry-After', default: 100_000, min: 1, max: 10_000_000, commands: [...SERVERS] },
  { key: 'max-batch', type: 'int', help: 'digests per tick at most (0: no cap); a full batch is committed at once instead of at the next tick', default: 1000, min: 0, max: 10_000_000, commands: [...SERVERS] },
  { key: 'pending-max-age', type: 'int', help: 'seconds a cache may keep a pending answer (it changes once anchored)', default: 30, min: 0, max: 86_400, commands: [...SERVE, 'mirror'] },
  {
    key: 'metrics-listen',
    type: 'string',
    help: 'serve GET /metrics on this HOST:PORT (e.g. 127.0.0.1:9464, [::1]:9464) instead of the public port, so metrics need not be public; when set, the public port answers 404 to /metrics',
    commands: [...LISTENERS],
    check: (v) => listenAddressProblem(String(v)),
  },
  { key: 'operator', type: 'string', help: 'who runs this server (shown on the welcome page)', commands: [...LISTENERS] },
  { key: 'log-level', type: 'enum', values: ['debug', 'info', 'warn', 'error'], help: 'least severe level logged', default: 'info', commands: [...DATA, 'aggregator', 'mirror', 'stamper'] },
  { key: 'log-format', type: 'enum', values: ['auto', 'json', 'text'], help: 'json lines, readable text, or auto (text on a terminal)', default: 'auto', commands: [...DATA, 'aggregator', 'mirror', 'stamper'] },
  { key: 'log-file', type: 'string', help: 'also append JSON log lines to this file (reopened on SIGHUP)', commands: [...LISTENERS] },
  {
    key: 'trust-proxy',
    type: 'list',
    help: 'address of a proxy in front (e.g. 127.0.0.1 for a local nginx): its X-Real-IP / X-Forwarded-For name the client in the access log (repeat for several)',
    commands: [...LISTENERS],
    check: (v) => ((Array.isArray(v) ? v : [String(v)]).every((a) => isIP(a) !== 0) ? undefined : 'must be IP addresses (no names, no ranges)'),
  },
  { key: 'access-log', type: 'bool', help: 'log every HTTP request', default: false, commands: [...LISTENERS] },
  { key: 'body-timeout-ms', type: 'int', help: 'a client must send its request body within this time, else 408', default: 5_000, min: 100, max: 600_000, commands: [...LISTENERS] },
  { key: 'headers-timeout-ms', type: 'int', help: 'a client must send its request headers within this time, else 408', default: 10_000, min: 100, max: 600_000, commands: [...LISTENERS] },
  { key: 'keep-alive-timeout-ms', type: 'int', help: 'idle keep-alive connections are closed after this time', default: 5_000, min: 100, max: 600_000, commands: [...LISTENERS] },
  { key: 'listen-backlog', type: 'int', help: 'connections the kernel queues before they are accepted (capped by net.core.somaxconn)', default: 4096, min: 16, max: 65_535, commands: [...LISTENERS] },
  { key: 'shutdown-timeout-ms', type: 'int', help: 'longest a graceful stop may take before exiting anyway', default: 10_000, min: 100, max: 600_000, commands: [...SERVE, 'mirror'] },
  { key: 'to', type: 'string', help: 'the directory the copy goes into (new or empty)', commands: ['backup'] },
  ...ANCHOR_OPTIONS,
  ...MIRROR_OPTIONS,
  ...AGGREGATOR_OPTIONS,
  ...IMPORT_OTSD_OPTIONS,
  ...STAMPER_OPTIONS,
] as const satisfies readonly OptionSpec[];

/** The typed configuration of one command, as the schema above declares it. */
export type ConfigFor<C extends string> = ConfigOf<typeof OPTIONS, C>;
