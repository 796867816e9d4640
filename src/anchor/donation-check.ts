/**
 * @module Checking a posted transaction, in order, before a calendar takes it: the standardness rules on its bytes (src/bitcoin/donated-tx.ts), whether its tip is one this calendar wants (the caller's answer), then what the node says: the output it spends (exists, confirmed, native segwit), its fee rate against what the node relays, and `testmempoolaccept`. The first rule broken is the refusal; nothing changes.
 */
import { type BitcoinRpc, type DonatedTx, checkDonatedTx, checkSpentScript } from '../bitcoin/index.js';
import type { CommitRange } from '../journal/index.js';
import { DonationRefusedError } from './errors.js';

export type CheckRpc = Pick<BitcoinRpc, 'getTxOut' | 'testMempoolAccept'>;

/** What the calendar says about a transaction's tip: wanted (with the commitments it covers), or why not. */
export type TipVerdict = { wanted: true; ranges: CommitRange[] } | { wanted: false; refusal: DonationRefusedError };

export interface CheckedDonation extends DonatedTx {
  ranges: CommitRange[];
  /** Satoshis: the spent output's value less what the outputs pay. */
  fee: number;
}

/** sat/kvB as people read it: sat/vB with up to three decimals. */
export function satPerVb(satPerKvB: number): number {
  return Math.round(satPerKvB) / 1000;
}

/**
 * Every check, in order; resolves with what was checked or rejects with the {@link DonationRefusedError} of the
 * first rule broken. Node failures (RpcFailure) propagate: the transaction was not judged.
 */
export async function checkDonation(
  raw: Uint8Array,
  deps: {
    rpc: CheckRpc;
    /** Whether the calendar wants `tip`, for transaction `txid` (a transaction taken before is refused as such). */
    tip: (tip: Uint8Array, txid: string) => TipVerdict;
    /** The least fee rate the node relays now, sat/kvB. */
    minFeeRate: () => Promise<number>;
  },
): Promise<CheckedDonation> {
  const v = checkDonatedTx(raw);
  if (!v.ok) throw new DonationRefusedError(v.code, v.reason);
  const wanted = deps.tip(v.tip, v.txid);
  if (!wanted.wanted) throw wanted.refusal;

  const spent = await deps.rpc.getTxOut(v.spends.txid, v.spends.vout, true);
  if (spent === null) throw new DonationRefusedError('input-missing', `the output it spends (${v.spends.txid}:${v.spends.vout}) does not exist or is spent`);
  if (spent.confirmations < 1) throw new DonationRefusedError('input-unconfirmed', `the output it spends (${v.spends.txid}:${v.spends.vout}) is not confirmed yet; only confirmed outputs may be spent`);
  const script = checkSpentScript(spent.scriptPubKey);
  if (!script.ok) throw new DonationRefusedError(script.code, script.reason);

  const fee = spent.value - v.outputsValue;
  if (fee < 0) throw new DonationRefusedError('fee-too-low', `its outputs pay ${-fee} sats more than the output it spends holds`);
  const floor = await deps.minFeeRate();
  const rate = (fee * 1000) / v.vsize;
  if (rate < floor) throw new DonationRefusedError('fee-too-low', `it pays ${fee} sats for ${v.vsize} vB (${satPerVb(rate)} sat/vB); the node relays from ${satPerVb(floor)} sat/vB`);

  const verdict = await deps.rpc.testMempoolAccept(raw);
  if (!verdict.allowed) throw new DonationRefusedError('node-refused', `the node would not take it: ${verdict.rejectReason ?? 'no reason given'}`);
  return { ...v, ranges: wanted.ranges, fee };
}
