/** @module Starting anchoring beside a running calendar from its settings: the node client and chain check, the strategies in their order (master calendars, donated transactions, then the wallet), the runner, and the 404 reasons handed to the calendar. */
import { BitcoinRpc, ChainMismatchError, checkGenesis } from '../bitcoin/index.js';
import type { PendingStatus } from '../calendar/calendar.js';
import type { Log } from '../log/log.js';
import { CalendarClient } from '../net/calendar-client.js';
import type { AnchorLedger } from './anchor-ledger.js';
import { Anchoring } from './anchoring.js';
import type { AnchorSettings } from './settings.js';
import type { AnchorStrategy } from './strategy.js';
import { ExternalStrategy } from './external-strategy.js';
import { UpstreamStrategy } from './upstream-strategy.js';
import { WalletStamper } from './wallet-stamper.js';

export interface StartAnchoringOptions {
  /** Anchoring's settings; undefined when no chain is configured (anchoring off). */
  settings: AnchorSettings | undefined;
  calendar: AnchorLedger & { setPendingStatus(fn: PendingStatus): void };
  dataDir: { stateDir: string };
  log: Log;
  /** Sent to master calendars as User-Agent. */
  userAgent?: string;
}

/** Read retries per call: the poll loop itself retries every poll-interval-ms, so few are needed. */
const RPC_RETRIES = 2;
/** Longest wait for a master calendar's answer. */
const UPSTREAM_REQUEST_MS = 20_000;

/**
 * Starts anchoring, or returns undefined when no chain is configured (the calendar then only aggregates).
 * Refuses to start (throws) on an unusable state file (StamperStateError) or a node on another chain
 * (ChainMismatchError). A node that cannot be reached is not a reason to refuse: the chain is then checked at
 * the first contact.
 */
export async function startAnchoring(opts: StartAnchoringOptions): Promise<Anchoring | undefined> {
  const { log } = opts;
  const settings = opts.settings;
  if (settings === undefined) {
    log('info', 'anchoring off: no chain configured, the calendar only aggregates');
    return undefined;
  }
  const rpc = new BitcoinRpc({
    url: settings.rpcUrl,
    retries: RPC_RETRIES,
    ...(settings.rpcCookie === undefined ? {} : { cookieFile: settings.rpcCookie }),
    ...(settings.rpcWallet === undefined ? {} : { wallet: settings.rpcWallet }),
  });
  let chainVerified = false;
  try {
    await checkGenesis(rpc, settings.chain);
    chainVerified = true;
  } catch (err) {
    if (err instanceof ChainMismatchError) throw err;
    log('warn', 'node not reachable at start; its chain is checked at the first contact', { node: rpc.endpoint, err });
  }
  const anchoring = new Anchoring({
    strategies: (ledgerFor) => {
      const list: AnchorStrategy[] = settings.upstreams.map(
        (url, i) =>
          new UpstreamStrategy({
            client: new CalendarClient(url, { userAgent: opts.userAgent ?? 'ots-calendar', timeoutMs: UPSTREAM_REQUEST_MS }),
            position: i + 1,
            rpc,
            chain: settings.chain,
            ledger: ledgerFor(`upstream calendar ${i + 1}`),
            stateDir: opts.dataDir.stateDir,
            settings: {
              url,
              timeoutMs: settings.upstreamTimeoutMs,
              pollMs: settings.upstreamPollMs,
              minTxIntervalMs: settings.minTxIntervalMs,
              confirmations: settings.confirmations,
              maxCommitmentsPerTx: settings.maxCommitmentsPerTx,
              fallbackFeeRate: settings.fees.fallbackRate,
              feeTargetBlocks: settings.feeTargetBlocks,
            },
            log,
          }),
      );
      const wallet = settings.wallet ? WalletStamper.open({ rpc, chain: settings.chain, ledger: ledgerFor('wallet'), stateDir: opts.dataDir.stateDir, settings, log, chainVerified }) : undefined;
      if (settings.external) {
        list.push(
          ExternalStrategy.open({
            rpc,
            chain: settings.chain,
            ledger: ledgerFor('donated transactions'),
            stateDir: opts.dataDir.stateDir,
            settings: {
              waitMs: settings.externalWaitMs,
              confirmations: settings.confirmations,
              maxCommitmentsPerTx: settings.maxCommitmentsPerTx,
              fallbackFeeRate: settings.fees.fallbackRate,
              maxFeeRate: settings.fees.maxRate,
              feeTargetBlocks: settings.feeTargetBlocks,
            },
            log,
            chainVerified,
            ...(wallet === undefined ? {} : { wallet: { nextCycleAt: () => wallet.state.nextCycleAt, owns: (txid: string) => wallet.owns(txid) } }),
          }),
        );
      }
      if (wallet !== undefined) list.push(wallet);
      return list;
    },
    ledger: opts.calendar,
    chain: settings.chain,
    pollIntervalMs: settings.pollIntervalMs,
    log,
    onStopped: () => {
      opts.calendar.setPendingStatus(() => undefined);
      log('info', 'anchoring stopped');
    },
  });
  opts.calendar.setPendingStatus((n) => anchoring.pendingReason(n));
  anchoring.start();
  log('info', 'anchoring on', {
    chain: settings.chain.name,
    node: rpc.endpoint,
    wallet: settings.wallet ? (settings.rpcWallet ?? '(default)') : null,
    externalWaitSeconds: settings.external ? settings.externalWaitMs / 1000 : null,
    strategies: anchoring.strategies.map((s) => s.name),
    confirmations: settings.confirmations,
    minTxIntervalSeconds: settings.minTxIntervalMs / 1000,
    maxFee: settings.fees.maxFee,
  });
  return anchoring;
}
