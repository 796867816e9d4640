/** @module `ots-calendar stamper`: an external stamper — it pays for the transactions of calendars' advertised tips from its own wallet; its settings from the configuration, served (status page, metrics, readiness) by the shared role set-up. */
import { mkdirSync } from 'node:fs';
import { BitcoinRpc, defaultRpcUrl, getChain, type Chain } from '../bitcoin/index.js';
import { Registry } from '../metrics/registry.js';
import { Stamper } from '../stamper/index.js';
import type { Logger } from './log.js';
import type { ConfigFor } from './options.js';
import { serveRole, type RunningServer } from './serve-role.js';
import { serverSettings, type ServerSettings } from './server-settings.js';
import { VERSION } from './version.js';

export const STAMPER_SUMMARY = 'Run an external stamper: pay, from its own wallet, for the transactions of the tips calendars advertise (GET /donate), within its delay and fee caps.';

export interface StamperCommandSettings extends ServerSettings {
  calendars: readonly string[];
  chain: Chain;
  rpcUrl: string;
  rpcCookie: string | undefined;
  rpcWallet: string | undefined;
  delayMs: number;
  maxFeePerTx: number;
  maxFeePerDay: number;
  confirmations: number;
  pollMs: number;
  dataDir: string;
  /** The public URL shown on its status page; undefined: the URL it listens on. */
  publicUri: string | undefined;
}

/** The stamper's settings, and every problem that involves several options. */
export function stamperSettings(c: ConfigFor<'stamper'>): { settings: StamperCommandSettings; problems: string[] } {
  const problems: string[] = [];
  const calendars = (c.calendar ?? []).map((u) => u.replace(/\/+$/, ''));
  if (calendars.length === 0) problems.push('"calendar" is required: the URL of a calendar to pay for (--calendar URL, repeat for several)');
  if (c['max-fee'] > c['max-fee-per-day']) problems.push(`"max-fee" (${c['max-fee']} sats) is above "max-fee-per-day" (${c['max-fee-per-day']} sats)`);
  if (c['rpc-url'] !== undefined && c['rpc-cookie'] !== undefined && /^[a-z]+:\/\/[^/@]+@/i.test(c['rpc-url'])) problems.push('"rpc-url" carries credentials and "rpc-cookie" is set too; use one of them');
  const chain = getChain(c.chain);
  return {
    settings: {
      ...serverSettings(c),
      calendars,
      chain,
      rpcUrl: c['rpc-url'] ?? defaultRpcUrl(chain),
      rpcCookie: c['rpc-cookie'],
      rpcWallet: c['rpc-wallet'],
      delayMs: c.delay * 1000,
      maxFeePerTx: c['max-fee'],
      maxFeePerDay: c['max-fee-per-day'],
      confirmations: c.confirmations,
      pollMs: c['poll-interval-ms'],
      dataDir: c['data-dir'],
      publicUri: c.uri,
    },
    problems,
  };
}

export async function startStamper(s: StamperCommandSettings, log: Logger): Promise<RunningServer> {
  mkdirSync(s.dataDir, { recursive: true, mode: 0o750 });
  const rpc = new BitcoinRpc({ url: s.rpcUrl, retries: 2, ...(s.rpcCookie === undefined ? {} : { cookieFile: s.rpcCookie }), ...(s.rpcWallet === undefined ? {} : { wallet: s.rpcWallet }) });
  const stamper = Stamper.open({
    rpc,
    settings: { calendars: s.calendars, chain: s.chain, delayMs: s.delayMs, maxFeePerTx: s.maxFeePerTx, maxFeePerDay: s.maxFeePerDay, confirmations: s.confirmations, pollMs: s.pollMs },
    dataDir: s.dataDir,
    log: log.child({ part: 'stamper' }).log,
    userAgent: `ots-calendar/${VERSION} (stamper)`,
  });
  const registry = new Registry();
  stamper.registerMetrics(registry);
  const urls = stamper.calendars().map((c) => c.url);
  return serveRole({
    role: 'stamper',
    settings: s,
    log,
    registry,
    service: {
      // it serves no proofs: only its status, metrics and readiness
      app: { answer: () => ({ kind: 'unknown' }) },
      status: () => ({
        chain: s.chain.label,
        commitments: 0,
        digests: 0,
        ticks: 0,
        tickMs: 0,
        lastTickAt: null,
        queued: 0,
        upstreams: urls,
        stamper: stamper.status(),
        stamperCalendars: stamper.calendars(),
      }),
      problems: () => stamper.problems(),
      ...(s.publicUri === undefined ? {} : { uri: () => s.publicUri as string }),
      start: () => stamper.start(),
      drain: async () => undefined,
      close: () => stamper.stop(),
      describe: (url) => ({
        status: `serving ${url}; paying for ${urls.length} calendar(s)`,
        fields: { calendars: urls, chain: s.chain.name, node: rpc.endpoint, delaySeconds: s.delayMs / 1000, maxFee: s.maxFeePerTx, maxFeePerDay: s.maxFeePerDay },
      }),
    },
  });
}
