/** @module The wallet strategy's metrics, read at scrape time from its status record (numbers, and booleans as 0/1). */
import type { Registry } from '../metrics/registry.js';
import type { AnchoringStatus } from './stamper-status.js';

/** Registers the wallet's metrics in `r`, read from its status. */
export function walletMetrics(r: Registry, status: () => AnchoringStatus): void {
  const a = (key: string): number | undefined => {
    const v = status()[key];
    return typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : undefined;
  };
  r.gauge('ots_anchor_node_reachable', '1 while the Bitcoin node answers', { read: () => a('nodeReachable') });
  r.gauge('ots_anchor_block_height', 'Height of the last block the stamper processed', { read: () => a('blockHeight') });
  r.gauge('ots_anchor_unconfirmed_versions', 'Versions (RBF replacements) of the transaction being confirmed', { read: () => a('unconfirmedVersions') });
  r.gauge('ots_anchor_unconfirmed_fee_sats', 'Fee of the newest unconfirmed version, in satoshis', { read: () => a('unconfirmedFee') });
  r.gauge('ots_anchor_unconfirmed_fee_rate_sat_per_vb', 'Fee rate of the newest unconfirmed version, in satoshis per virtual byte', { read: () => a('unconfirmedSatPerVb') });
  r.gauge('ots_anchor_txs_waiting_for_confirmations', 'Mined transactions waiting for the confirmation depth', { read: () => a('txsWaitingForConfirmation') });
  r.gauge('ots_anchor_confirmations_required', 'Confirmation depth before a proof is complete', { read: () => a('confirmations') });
  r.gauge('ots_anchor_wallet_empty', '1 while the wallet has nothing to spend', { read: () => a('walletEmpty') });
  r.gauge('ots_anchor_fee_cap_reached', "1 while the fee policy's cap blocks a replacement", { read: () => a('feeCapReached') });
  r.gauge('ots_anchor_wallet_balance_sats', 'Wallet balance in satoshis', { read: () => a('walletBalanceSats') });
  r.counter('ots_anchor_rpc_errors_total', 'Polls that failed on a call to the Bitcoin node since start', { read: () => a('rpcErrors') });
}
