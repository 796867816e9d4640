/** @module The Bitcoin anchoring options of `calendar` (which chain, which node and wallet, depth, cycle interval and fee limits, master calendars, donated transactions; DESIGN §4), and the anchoring settings built from them. */
import { CHAINS, defaultRpcUrl, getChain } from '../bitcoin/index.js';
import { ANCHOR_DEFAULTS, REJECTION_FACTOR, satPerVbToKvB, type AnchorSettings } from '../anchor/settings.js';
import type { ConfigOf, ConfigValue, OptionSpec } from './config.js';

const COMMANDS = ['calendar'] as const;

function checkHttpUrl(v: ConfigValue): string | undefined {
  let url: URL;
  try {
    url = new URL(String(v));
  } catch {
    return 'must be a URL such as http://127.0.0.1:8332';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.search || url.hash) return 'must not carry a query or fragment';
  return undefined;
}

function checkHttpUrls(v: ConfigValue): string | undefined {
  const all = Array.isArray(v) ? v : [String(v)];
  for (const one of all) {
    const p = checkHttpUrl(one);
    // the value is not echoed: a master's URL may carry credentials
    if (p !== undefined) return `(one of them) ${p}`;
  }
  const trimmed = all.map((u) => u.replace(/\/+$/, ''));
  return trimmed.some((u, i) => trimmed.indexOf(u) !== i) ? 'names the same calendar twice' : undefined;
}

function checkWalletName(v: ConfigValue): string | undefined {
  // Core accepts most names; control characters would only reach its log garbled.
  return [...String(v)].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) ? 'must not contain control characters' : undefined;
}

export const ANCHOR_OPTIONS = [
  {
    key: 'chain',
    type: 'enum',
    values: Object.keys(CHAINS),
    help: 'the chain to anchor on; unset, anchoring is off and the calendar only aggregates',
    commands: COMMANDS,
  },
  {
    key: 'rpc-url',
    type: 'string',
    help: 'the node\'s JSON-RPC URL, http://[user:password@]host:port (default: 127.0.0.1 and the chain\'s port); never logged',
    secret: true,
    commands: COMMANDS,
    check: checkHttpUrl,
  },
  { key: 'rpc-cookie', type: 'string', help: 'the node\'s .cookie file, re-read when the node restarts (instead of a password in rpc-url)', commands: COMMANDS },
  { key: 'rpc-wallet', type: 'string', help: 'the wallet that pays (used by this calendar alone); loaded if the node has not', commands: COMMANDS, check: checkWalletName },
  {
    key: 'confirmations',
    type: 'int',
    help: 'blocks deep a transaction must be before its proofs are final',
    default: ANCHOR_DEFAULTS.confirmations,
    min: 1,
    max: 1000,
    commands: COMMANDS,
  },
  {
    key: 'min-tx-interval',
    type: 'int',
    help: 'seconds from one confirmed transaction to the next (randomly 1 to 1.5 times this)',
    default: ANCHOR_DEFAULTS.minTxIntervalSeconds,
    min: 0,
    max: 7 * 86_400,
    commands: COMMANDS,
  },
  {
    key: 'fee-rate',
    type: 'number',
    help: 'sat/vB of a first transaction when the node has no fee estimate',
    default: ANCHOR_DEFAULTS.feeRate,
    min: 0.001,
    max: 100_000,
    commands: COMMANDS,
  },
  {
    key: 'fee-increment',
    type: 'number',
    help: 'sat/vB added at each replacement (at most one per block while unconfirmed)',
    default: ANCHOR_DEFAULTS.feeIncrement,
    min: 0,
    max: 100_000,
    commands: COMMANDS,
  },
  {
    key: 'max-fee-rate',
    type: 'number',
    help: 'sat/vB never exceeded',
    default: ANCHOR_DEFAULTS.maxFeeRate,
    min: 0.001,
    max: 100_000,
    commands: COMMANDS,
  },
  {
    key: 'max-fee',
    type: 'int',
    help: 'satoshis one transaction (all its replacements included) may pay at most',
    default: ANCHOR_DEFAULTS.maxFee,
    min: 1,
    max: 100_000_000,
    commands: COMMANDS,
  },
  {
    key: 'fee-target-blocks',
    type: 'int',
    help: 'confirmation target asked of the node\'s fee estimator for a first transaction',
    default: ANCHOR_DEFAULTS.feeTargetBlocks,
    min: 1,
    max: 1008,
    commands: COMMANDS,
  },
  {
    key: 'max-commitments-per-tx',
    type: 'int',
    help: 'commitments one transaction covers at most (the oldest first); proofs grow by 35 bytes per doubling',
    default: ANCHOR_DEFAULTS.maxCommitmentsPerTx,
    min: 1,
    max: 1_000_000,
    commands: COMMANDS,
  },
  {
    key: 'poll-interval-ms',
    type: 'int',
    help: 'milliseconds between two looks at the node',
    default: ANCHOR_DEFAULTS.pollIntervalMs,
    min: 50,
    max: 600_000,
    commands: COMMANDS,
  },
  {
    key: 'anchor-upstream',
    type: 'list',
    help: 'a master calendar that pays: each cycle the merkle tip of the pending commitments is submitted to it and its complete proof, checked against the node, is taken (repeat for several, in priority order; the wallet, if any, comes last)',
    commands: COMMANDS,
    check: checkHttpUrls,
  },
  {
    key: 'anchor-upstream-timeout',
    type: 'int',
    help: 'seconds a master calendar has to complete an acceptable proof before its commitments go to the next strategy',
    default: ANCHOR_DEFAULTS.upstreamTimeoutSeconds,
    min: 1,
    max: 30 * 86_400,
    commands: COMMANDS,
  },
  { key: 'anchor-upstream-poll-ms', type: 'int', help: 'milliseconds between two questions to a master calendar about one tip', default: ANCHOR_DEFAULTS.upstreamPollMs, min: 50, max: 3_600_000, commands: COMMANDS },
  {
    key: 'anchor-external',
    type: 'bool',
    help: 'take donated transactions: the tip of the pending commitments is advertised (GET /tip, GET /donate) and anyone may pay for its transaction (POST /donate), under strict standardness checks; tried after any master calendar, before the wallet',
    default: false,
    commands: COMMANDS,
  },
  {
    key: 'external-wait',
    type: 'int',
    help: 'seconds commitments wait for a donated transaction once their tip was first advertised (and a taken one for its block) before the next strategy (the wallet) pays',
    default: ANCHOR_DEFAULTS.externalWaitSeconds,
    min: 1,
    max: 30 * 86_400,
    commands: COMMANDS,
  },
  { key: 'anchor-wallet', type: 'bool', help: 'the calendar\'s own wallet pays, after any master calendar and donors (--no-anchor-wallet: only they do)', default: true, commands: COMMANDS },
  { key: 'explorer-url', type: 'string', help: 'block explorer for transaction links in the status, e.g. https://mempool.space', commands: COMMANDS, check: checkHttpUrl },
] as const satisfies readonly OptionSpec[];

export type AnchorConfig = ConfigOf<typeof ANCHOR_OPTIONS, 'calendar'>;

/**
 * The anchoring settings (undefined when no chain is configured: anchoring off), and the problems that involve
 * several options (each option's own range is checked by its spec).
 */
export function anchorSettings(config: AnchorConfig): { settings: AnchorSettings | undefined; problems: string[] } {
  const problems: string[] = [];
  if (config.chain === undefined) return { settings: undefined, problems };
  if (config['max-fee-rate'] < config['fee-rate']) problems.push(`"max-fee-rate" (${config['max-fee-rate']} sat/vB) is below "fee-rate" (${config['fee-rate']} sat/vB)`);
  if (config['rpc-url'] !== undefined && config['rpc-cookie'] !== undefined && /^[a-z]+:\/\/[^/@]+@/i.test(config['rpc-url'])) {
    problems.push('"rpc-url" carries credentials and "rpc-cookie" is set too; use one of them');
  }
  if (!config['anchor-wallet'] && (config['anchor-upstream'] ?? []).length === 0 && !config['anchor-external']) {
    problems.push('"anchor-wallet" is off and neither "anchor-upstream" nor "anchor-external" is given: nothing would pay for a transaction (give a master calendar with --anchor-upstream URL, take donated transactions with --anchor-external, or leave the wallet on)');
  }
  const chain = getChain(config.chain);
  const settings: AnchorSettings = {
    chain,
    rpcUrl: config['rpc-url'] ?? defaultRpcUrl(chain),
    ...(config['rpc-cookie'] === undefined ? {} : { rpcCookie: config['rpc-cookie'] }),
    ...(config['rpc-wallet'] === undefined ? {} : { rpcWallet: config['rpc-wallet'] }),
    confirmations: config.confirmations,
    minTxIntervalMs: config['min-tx-interval'] * 1000,
    feeTargetBlocks: config['fee-target-blocks'],
    maxCommitmentsPerTx: config['max-commitments-per-tx'],
    pollIntervalMs: config['poll-interval-ms'],
    upstreams: config['anchor-upstream'] ?? [],
    upstreamTimeoutMs: config['anchor-upstream-timeout'] * 1000,
    upstreamPollMs: config['anchor-upstream-poll-ms'],
    external: config['anchor-external'],
    externalWaitMs: config['external-wait'] * 1000,
    wallet: config['anchor-wallet'],
    fees: {
      fallbackRate: satPerVbToKvB(config['fee-rate']),
      increment: satPerVbToKvB(config['fee-increment']),
      maxRate: satPerVbToKvB(config['max-fee-rate']),
      maxFee: config['max-fee'],
      rejectionFactor: REJECTION_FACTOR,
    },
  };
  return { settings, problems };
}
