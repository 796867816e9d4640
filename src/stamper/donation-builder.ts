/**
 * @module Building, from the stamper's own wallet, a transaction for a calendar's tip that meets every rule a calendar checks: one confirmed native segwit output of the wallet, change to a segwit script the wallet gives, `OP_RETURN <tip>`, version 2, BIP125 sequence, nLockTime the current height (the timestamp transaction the calendar's own wallet would build), at the calendar's fee rate within the caps; signed by the wallet, then checked with the calendars' own rules before it leaves.
 */
import {
  type BitcoinRpc,
  type Unspent,
  SIGNATURE_WEIGHT_MARGIN,
  TEMPLATE_NAME,
  buildTimestampTx,
  checkDonatedTx,
  dustThreshold,
  feeForVsize,
  isNativeSegwit,
  scriptTemplate,
  timestampTxTemplate,
  type TimestampTxSpec,
} from '../bitcoin/index.js';
import { signWithWallet } from '../anchor/timestamp-cycle.js';

export type BuildRpc = Pick<BitcoinRpc, 'listUnspent' | 'getRawChangeAddress' | 'getAddressInfo' | 'signRawTransactionWithWallet' | 'getBlockCount'>;

export type BuildOutcome =
  | { kind: 'built'; raw: Uint8Array; txid: string; fee: number; vsize: number; spends: { txid: string; vout: number } }
  /** Even the node's relay minimum for this size is above the cap. */
  | { kind: 'fee-cap'; needed: number; cap: number }
  /** No confirmed native segwit output of the wallet can pay for it. */
  | { kind: 'no-funds'; detail: string }
  /** The wallet gave something the rules do not take (a change script that is not segwit, say). */
  | { kind: 'unfit'; detail: string };

export interface BuildRequest {
  tip: Uint8Array;
  /** The rate to pay, sat/kvB (the calendar's own), at least `floor`. */
  rate: number;
  /** The least the node relays, sat/kvB. */
  floor: number;
  /** Satoshis this transaction may pay at most. */
  maxFee: number;
  /** Outputs already spent by transactions of ours not yet mined. */
  inUse: ReadonlyArray<{ txid: string; vout: number }>;
}

/** The largest confirmed, spendable, safe native segwit output above its dust threshold, not in use. */
export function chooseSegwitOutput(unspent: readonly Unspent[], inUse: BuildRequest['inUse']): Unspent | undefined {
  let best: Unspent | undefined;
  for (const u of unspent) {
    if (u.confirmations < 1 || !u.spendable || !u.safe || !isNativeSegwit(scriptTemplate(u.scriptPubKey))) continue;
    if (u.amount <= dustThreshold(u.scriptPubKey) || inUse.some((x) => x.txid === u.txid && x.vout === u.vout)) continue;
    if (best === undefined || u.amount > best.amount) best = u;
  }
  return best;
}

/** Not safe concurrently: the stamper's poll drives it. */
export class DonationBuilder {
  readonly #rpc: BuildRpc;
  /** A change script asked of the wallet for a build that was not used: used next, so retries add no keys. */
  #spareChange: Uint8Array | undefined;

  constructor(rpc: BuildRpc) {
    this.#rpc = rpc;
  }

  /** Lets the change script of a built transaction that was never sent be used again. */
  giveBack(raw: Uint8Array): void {
    const tx = checkDonatedTx(raw);
    if (!tx.ok) return;
    const change = tx.tx.outputs.find((_, i) => i !== tx.opReturnIndex);
    if (change !== undefined) this.#spareChange = change.script;
  }

  async build(r: BuildRequest): Promise<BuildOutcome> {
    const unspent = await this.#rpc.listUnspent(1);
    const input = chooseSegwitOutput(unspent, r.inUse);
    if (input === undefined) return { kind: 'no-funds', detail: `no confirmed native segwit output above dust is free (${unspent.length} outputs in the wallet)` };
    // the wallet gives the script (addresses are never parsed here, DESIGN §4); bech32 is its P2WPKH
    const changeScript = this.#spareChange ?? (await this.#rpc.getAddressInfo(await this.#rpc.getRawChangeAddress('bech32'))).scriptPubKey;
    this.#spareChange = changeScript;
    const t = scriptTemplate(changeScript);
    if (!isNativeSegwit(t)) return { kind: 'unfit', detail: `the wallet's change script is ${TEMPLATE_NAME[t]}, not segwit` };
    const spec: TimestampTxSpec = { outpoint: { txid: input.txid, vout: input.vout }, inputValue: input.amount, changeScript, tip: r.tip, lockTime: await this.#rpc.getBlockCount() };
    const template = timestampTxTemplate(spec);
    if (!template.ok) return { kind: 'no-funds', detail: `output ${input.txid}:${input.vout} cannot fund a transaction (${template.code})` };
    // signed once to learn the witness's size; the margin covers a longer signature the second time
    const vsize = Math.ceil(((await signWithWallet(this.#rpc, template.tx)).weight + SIGNATURE_WEIGHT_MARGIN) / 4);
    const floorFee = feeForVsize(vsize, r.floor);
    if (floorFee > r.maxFee) return { kind: 'fee-cap', needed: floorFee, cap: r.maxFee };
    const fee = Math.max(floorFee, Math.min(feeForVsize(vsize, Math.max(r.rate, r.floor)), r.maxFee));
    const built = buildTimestampTx(spec, fee);
    if (!built.ok) return { kind: 'no-funds', detail: `output ${input.txid}:${input.vout} cannot pay ${fee} sats (${built.code})` };
    const signed = await signWithWallet(this.#rpc, built.tx);
    const check = checkDonatedTx(signed.raw);
    if (!check.ok) return { kind: 'unfit', detail: `the signed transaction breaks a calendar's rule (${check.code}: ${check.reason})` };
    this.#spareChange = undefined;
    return { kind: 'built', raw: signed.raw, txid: signed.txid, fee, vsize, spends: { txid: input.txid, vout: input.vout } };
  }
}
