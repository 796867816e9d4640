/** @module The options of `ots-calendar import-otsd` beyond the data directory and logging it shares: the reference directory, its chain, and a node to check its attestations with. */
import { CHAINS } from '../bitcoin/index.js';
import type { ConfigValue, OptionSpec } from './config.js';

const ONLY = ['import-otsd'] as const;

function checkHttpUrl(v: ConfigValue): string | undefined {
  try {
    const url = new URL(String(v));
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'must start with http:// or https://';
  } catch {
    return 'must be a URL such as http://127.0.0.1:8332';
  }
}

export const IMPORT_OTSD_OPTIONS = [
  { key: 'from', type: 'string', help: 'the otsd calendar directory (journal, db/, hmac-key, uri); otsd must be stopped (required)', commands: ONLY },
  { key: 'chain', type: 'enum', values: Object.keys(CHAINS), help: 'the chain the reference anchored on', default: 'bitcoin', commands: ONLY },
  {
    key: 'rpc-url',
    type: 'string',
    help: 'a node to check every attestation against, http://[user:password@]host:port; those it no longer confirms are imported as pending; never logged',
    secret: true,
    commands: ONLY,
    check: checkHttpUrl,
  },
  { key: 'rpc-cookie', type: 'string', help: "the node's .cookie file (instead of a password in rpc-url)", commands: ONLY },
] as const satisfies readonly OptionSpec[];
