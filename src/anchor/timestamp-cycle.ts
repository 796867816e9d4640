/**
 * @module One cycle's transaction: choosing the wallet output, building, signing and broadcasting the first version, replacing it with a higher fee (BIP125, built by hand: Litecoin Core's bumpfee crashes on OP_RETURN), and reconciling with the mempool after a restart or a lost answer.
 *
 * Every version is remembered durably (`persist`) before it is broadcast, and forgotten only when the
 * node refused it. `sendrawtransaction` is one attempt (style rule 9): when its answer is lost the
 * version stays remembered and {@link TimestampCycle.reconcile} finds out what happened.
 */
import {
  type BitcoinRpc,
  RPC_CODE,
  RpcError,
  RpcTxRejectedError,
  SIGNATURE_WEIGHT_MARGIN,
  type Tx,
  type TimestampTxSpec,
  type Unspent,
  buildTimestampTx,
  decodeTx,
  dustThreshold,
  encodeTx,
  internalToDisplayHex,
  timestampTxTemplate,
  txid as txidOf,
  txWeight,
} from '../bitcoin/index.js';
import type { CommitRange } from '../journal/index.js';
import { bytesEqual } from '../ots/index.js';
import { WalletSigningError } from './errors.js';
import { type FeeDecision, type FeeSettings, type NodeFeeFacts, MAX_REJECTED_RETRIES, firstFee, raiseAfterRejection, replacementFee } from './fee-policy.js';
import type { BlockRef, Cycle, TxVersion } from './stamper-state.js';

export type CycleRpc = Pick<
  BitcoinRpc,
  | 'listUnspent'
  | 'getRawChangeAddress'
  | 'getAddressInfo'
  | 'signRawTransactionWithWallet'
  | 'sendRawTransaction'
  | 'getMempoolEntry'
  | 'getTxOut'
  | 'getTransaction'
  | 'getNetworkInfo'
  | 'estimateSmartFee'
>;

export interface CycleDeps {
  rpc: CycleRpc;
  fees: FeeSettings;
  feeTargetBlocks: number;
  /** Records the cycle (null: no cycle) durably before returning; throws if it cannot. */
  persist(cycle: Cycle | null): void;
  now(): number;
}

/** What the next version commits to, and the chain tip it is built on (its nLockTime). */
export interface VersionContent {
  ranges: CommitRange[];
  tip: Uint8Array;
  block: BlockRef;
}

export type CycleOutcome =
  | { kind: 'sent'; cycle: Cycle; version: TxVersion; capped: boolean; attempts: number }
  /** Even the least acceptable fee is above the cap; nothing was sent. */
  | { kind: 'fee-cap'; needed: number; cap: number }
  /** No confirmed spendable output can pay for a transaction. */
  | { kind: 'no-funds'; detail: string }
  /** The node refused every fee tried (-26), or refused the version outright; nothing new was kept. */
  | { kind: 'rejected'; message: string; attempts: number };

export type Reconciliation =
  | { kind: 'in-mempool'; forgotten: number }
  | { kind: 'rebroadcast' }
  /** A version is in a block the follower has not processed yet. */
  | { kind: 'mined' }
  /** The input was spent by a transaction that is not ours (or vanished in a reorg): the cycle is over. */
  | { kind: 'abandon'; reason: string }
  /** No version is in the mempool and the input is unspent: the node dropped it (e.g. its minimum fee rose). */
  | { kind: 'bump'; reason: string };

/**
 * Largest confirmed, spendable, safe wallet output above its dust threshold, as the reference chose
 * (reference-server §5.4); unconfirmed outputs are never used.
 */
export function chooseInput(unspent: readonly Unspent[]): Unspent | undefined {
  let best: Unspent | undefined;
  for (const u of unspent) {
    if (u.confirmations < 1 || !u.spendable || !u.safe) continue;
    if (u.amount <= dustThreshold(u.scriptPubKey)) continue;
    if (best === undefined || u.amount > best.amount) best = u;
  }
  return best;
}

function sameSkeleton(a: Tx, b: Tx): boolean {
  if (a.version !== b.version || a.lockTime !== b.lockTime || a.inputs.length !== b.inputs.length || a.outputs.length !== b.outputs.length) return false;
  const inputsMatch = a.inputs.every((i, k) => {
    const j = b.inputs[k];
    return j !== undefined && bytesEqual(i.prevTxid, j.prevTxid) && i.vout === j.vout && i.sequence === j.sequence;
  });
  return inputsMatch && a.outputs.every((o, k) => o.value === b.outputs[k]?.value && bytesEqual(o.script, b.outputs[k]?.script ?? new Uint8Array(0)));
}

/** Signs with the wallet and checks it signed what was asked: same inputs, outputs and lock time. */
export async function signWithWallet(rpc: Pick<BitcoinRpc, 'signRawTransactionWithWallet'>, tx: Tx): Promise<{ raw: Uint8Array; txid: string; weight: number }> {
  const res = await rpc.signRawTransactionWithWallet(encodeTx(tx, { witness: false }));
  if (!res.complete) throw new WalletSigningError(res.errors.map((e) => e.error).join('; ') || 'signature incomplete');
  const signed = decodeTx(res.raw);
  if (!sameSkeleton(tx, signed)) throw new WalletSigningError('the signed transaction is not the one given to sign');
  return { raw: res.raw, txid: internalToDisplayHex(txidOf(signed)), weight: txWeight(signed) };
}

/** Builds, replaces and reconciles one cycle's versions. Not safe concurrently: the stamper's poll drives it. */
export class TimestampCycle {
  readonly #d: CycleDeps;
  /**
   * A change script asked of the wallet for a start that sent nothing (fee cap, refusal, no funds):
   * the next start uses it rather than asking again, or each retry (every block, every minute) would
   * add a key the wallet keeps for ever. Dropped once a version paying to it may have reached the node.
   */
  #spareChange: Uint8Array | undefined;

  constructor(deps: CycleDeps) {
    this.#d = deps;
  }

  /** Core's fee facts; the estimate is missing on a node without data (regtest). */
  async feeFacts(): Promise<NodeFeeFacts> {
    const [net, est] = await Promise.all([this.#d.rpc.getNetworkInfo(), this.#d.rpc.estimateSmartFee(this.#d.feeTargetBlocks, 'ECONOMICAL')]);
    return { estimate: est.satPerKvB, relayFee: net.relayFee, incrementalFee: net.incrementalFee };
  }

  /** A new cycle: the largest confirmed output, a fresh change script, the first fee. */
  async start(content: VersionContent): Promise<CycleOutcome> {
    const rpc = this.#d.rpc;
    const unspent = await rpc.listUnspent(1);
    const input = chooseInput(unspent);
    if (input === undefined) return { kind: 'no-funds', detail: `no confirmed spendable output above dust (${unspent.length} outputs in the wallet)` };
    // The wallet gives the script; addresses are never parsed here (DESIGN §4).
    const changeScript = this.#spareChange ?? (await rpc.getAddressInfo(await rpc.getRawChangeAddress())).scriptPubKey;
    this.#spareChange = changeScript;
    const cycle: Cycle = { input: { txid: input.txid, vout: input.vout, value: input.amount }, changeScript, versions: [] };
    const spec = this.#spec(cycle, content);
    const template = timestampTxTemplate(spec);
    if (!template.ok) return { kind: 'no-funds', detail: `output ${input.txid}:${input.vout} cannot fund a transaction (${template.code})` };
    // Signed only to learn the witness size, as the reference does; the margin covers a longer signature.
    const vsize = Math.ceil(((await signWithWallet(rpc, template.tx)).weight + SIGNATURE_WEIGHT_MARGIN) / 4);
    const decision = firstFee(this.#d.fees, await this.feeFacts(), vsize);
    this.#spareChange = undefined;
    const outcome = await this.#send(cycle, content, spec, vsize, decision);
    // Not sent: nothing paying to it is in the node (every version tried was refused and forgotten).
    if (outcome.kind !== 'sent') this.#spareChange = changeScript;
    return outcome;
  }

  /** The next version of an open cycle, paying more than the newest one (which stays if this fails). */
  async replace(cycle: Cycle, content: VersionContent): Promise<CycleOutcome> {
    const latest = cycle.versions.at(-1);
    if (latest === undefined) throw new RangeError('"cycle" expected at least one version, got none');
    const decision = replacementFee(this.#d.fees, await this.feeFacts(), latest.vsize, latest);
    return this.#send(cycle, content, this.#spec(cycle, content), latest.vsize, decision);
  }

  #spec(cycle: Cycle, content: VersionContent): TimestampTxSpec {
    return {
      outpoint: { txid: cycle.input.txid, vout: cycle.input.vout },
      inputValue: cycle.input.value,
      changeScript: cycle.changeScript,
      tip: content.tip,
      lockTime: content.block.height,
    };
  }

  /** Persist, broadcast; on -26 forget it, raise the fee by the factor and try again within the cap. */
  async #send(cycle: Cycle, content: VersionContent, spec: TimestampTxSpec, vsize: number, decision: FeeDecision): Promise<CycleOutcome> {
    if (!decision.ok) return { kind: 'fee-cap', needed: decision.needed, cap: decision.cap };
    let { fee, capped } = decision;
    for (let attempt = 1; ; attempt++) {
      const built = buildTimestampTx(spec, fee);
      if (!built.ok) return { kind: 'no-funds', detail: `output ${spec.outpoint.txid}:${spec.outpoint.vout} cannot pay ${fee} sat (${built.code})` };
      const signed = await signWithWallet(this.#d.rpc, built.tx);
      const version: TxVersion = { txid: signed.txid, tip: content.tip, ranges: content.ranges, raw: signed.raw, fee, vsize, sentAtBlock: content.block.hash, sentAt: this.#d.now() };
      cycle.versions.push(version);
      try {
        this.#d.persist(cycle);
      } catch (err) {
        cycle.versions.pop(); // not recorded, so never sent
        throw err;
      }
      try {
        // Core's own cap is replaced by twice ours: ours is enforced above, on the estimated size.
        await this.#d.rpc.sendRawTransaction(signed.raw, 2 * this.#d.fees.maxRate);
        return { kind: 'sent', cycle, version, capped, attempts: attempt };
      } catch (err) {
        if (!(err instanceof RpcError)) throw err; // answer lost: the version stays, reconcile() settles it
        cycle.versions.pop();
        this.#d.persist(cycle.versions.length > 0 ? cycle : null);
        if (!(err instanceof RpcTxRejectedError)) return { kind: 'rejected', message: err.rpcMessage, attempts: attempt };
        const next = raiseAfterRejection(this.#d.fees, vsize, fee);
        if (!next.ok || attempt >= MAX_REJECTED_RETRIES) return { kind: 'rejected', message: err.rpcMessage, attempts: attempt };
        ({ fee, capped } = next);
      }
    }
  }

  /**
   * Where the cycle stands in the node: the newest version found in the mempool (newer ones were never
   * accepted and are forgotten); none there, the newest is broadcast again; refused, the chain and the
   * input tell whether it was mined, conflicted, or dropped.
   */
  async reconcile(cycle: Cycle): Promise<Reconciliation> {
    const rpc = this.#d.rpc;
    for (let i = cycle.versions.length - 1; i >= 0; i--) {
      const v = cycle.versions[i] as TxVersion;
      if ((await rpc.getMempoolEntry(v.txid)) === null) continue;
      const forgotten = cycle.versions.length - 1 - i;
      if (forgotten > 0) {
        cycle.versions.splice(i + 1);
        this.#d.persist(cycle);
      }
      return { kind: 'in-mempool', forgotten };
    }
    const latest = cycle.versions.at(-1);
    if (latest === undefined) return { kind: 'abandon', reason: 'the cycle has no version' };
    try {
      await rpc.sendRawTransaction(latest.raw, 2 * this.#d.fees.maxRate);
      return { kind: 'rebroadcast' };
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      if (err.rpcCode === RPC_CODE.VERIFY_ALREADY_IN_CHAIN) return { kind: 'mined' };
      for (const v of cycle.versions) {
        try {
          if ((await rpc.getTransaction(v.txid)).confirmations > 0) return { kind: 'mined' };
        } catch (lookup) {
          if (!(lookup instanceof RpcError)) throw lookup;
        }
      }
      if ((await rpc.getTxOut(cycle.input.txid, cycle.input.vout, true)) === null) {
        return { kind: 'abandon', reason: `its input ${cycle.input.txid}:${cycle.input.vout} is spent by another transaction or gone (${err.rpcMessage})` };
      }
      return { kind: 'bump', reason: err.rpcMessage };
    }
  }
}
