/** @module Starting Bitcoin anchoring beside a running calendar from its settings: node client, chain check, the wallet stamper and its poll loop, and the 404 reasons handed to the calendar. */
import { BitcoinRpc, ChainMismatchError, checkGenesis } from '../bitcoin/index.js';
import type { Log } from '../log/log.js';
import type { PendingStatus } from '../calendar/calendar.js';
import type { AnchorLedger } from './anchor-ledger.js';
import type { AnchorSettings } from './settings.js';
import type { AnchoringStatus } from './stamper-status.js';
import { WalletStamper } from './wallet-stamper.js';

/** A running anchoring strategy, as the calendar command holds it. */
export interface Anchoring {
  /** Stops polling; resolves once the poll in progress ended (or after a few seconds). Idempotent. */
  stop(): Promise<void>;
  /** Flat status for the status page and /status; no credentials. */
  status(): AnchoringStatus;
  /** The merkle tip of the newest unconfirmed transaction (GET /tip), if any. */
  tip(): Uint8Array | undefined;
}

export interface StartAnchoringOptions {
  /** Anchoring's settings; undefined when no chain is configured (anchoring off). */
  settings: AnchorSettings | undefined;
  calendar: AnchorLedger & { setPendingStatus(fn: PendingStatus): void };
  dataDir: { stateDir: string };
  log: Log;
}

/** Read retries per call: the poll loop itself retries every poll-interval-ms, so few are needed. */
const RPC_RETRIES = 2;

/**
 * Starts anchoring, or returns undefined when no chain is configured (the calendar then only
 * aggregates). Refuses to start (throws) on an unusable state file (StamperStateError) or a node on
 * another chain (ChainMismatchError). A node that
 * cannot be reached is not a reason to refuse: the chain is then checked at the first contact.
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
  const stamper = WalletStamper.open({ rpc, chain: settings.chain, ledger: opts.calendar, stateDir: opts.dataDir.stateDir, settings, log, chainVerified });
  opts.calendar.setPendingStatus((n) => stamper.pendingStatus(n));
  stamper.start(settings.pollIntervalMs);
  log('info', 'anchoring on', {
    chain: settings.chain.name,
    node: rpc.endpoint,
    wallet: settings.rpcWallet ?? null,
    confirmations: settings.confirmations,
    minTxIntervalSeconds: settings.minTxIntervalMs / 1000,
    maxFee: settings.fees.maxFee,
  });
  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      (stopping ??= (async () => {
        await stamper.stop();
        opts.calendar.setPendingStatus(() => undefined);
        log('info', 'anchoring stopped', { pendingTx: stamper.state.cycle?.versions.at(-1)?.txid ?? null });
      })()),
    status: () => stamper.status(),
    tip: () => stamper.tip(),
  };
}
