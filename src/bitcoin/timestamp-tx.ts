/** @module Building the unsigned timestamp transaction (one input, change + OP_RETURN tip, BIP125) and its fee, with typed results for dust and lack of funds (reference-server §5.4–5.5). */
import { feeForVsize } from './amount.js';
import { displayHexToInternal } from './hex.js';
import { opReturnScript, SEQUENCE_RBF, type Tx } from './tx.js';

/** Version 2 (BIP68 semantics; the reference used 1, which Core treats the same for this shape). */
export const TIMESTAMP_TX_VERSION = 2;
/** Core's default `-dustrelayfee`, sat/kvB (policy/policy.h DUST_RELAY_TX_FEE). */
export const DEFAULT_DUST_RELAY_FEE = 3000;
/** Core's default `-incrementalrelayfee`, sat/kvB: the BIP125 rule-4 step for a replacement. */
export const DEFAULT_INCREMENTAL_RELAY_FEE = 1000;
/**
 * Weight units allowed per input for a signature longer than the one the template was signed with:
 * a DER signature's r and s may each be a byte longer on another signing.
 */
export const SIGNATURE_WEIGHT_MARGIN = 2;

export interface TimestampTxSpec {
  /** The wallet output to spend; its txid in display hex. */
  outpoint: { txid: string; vout: number };
  /** Value of that output, satoshis. */
  inputValue: number;
  /** Where the change goes: a scriptPubKey the wallet gave (`getaddressinfo`), never parsed here. */
  changeScript: Uint8Array;
  /** The 32-byte merkle tip to commit to. */
  tip: Uint8Array;
  /** nLockTime: the current block height, so the tx cannot be mined into a re-org of earlier blocks. */
  lockTime: number;
}

export type TimestampTxFailure =
  /** The input cannot pay the fee at all. */
  | { ok: false; code: 'insufficient-funds'; fee: number; inputValue: number }
  /** Paying the fee leaves change below the dust threshold, which nodes refuse to relay. */
  | { ok: false; code: 'dust-change'; fee: number; change: number; dustThreshold: number }
  /** The fee the target rate asks for is above the configured cap. */
  | { ok: false; code: 'fee-above-cap'; fee: number; maxFee: number };

export type TimestampTxResult = { ok: true; tx: Tx; fee: number; change: number } | TimestampTxFailure;

function assertSats(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`"${name}" expected a non-negative integer of satoshis, got ${v}`);
}

/**
 * Core's `GetDustThreshold` (policy/policy.cpp): the cost, at the dust relay fee, of the output plus the
 * input that would later spend it; 148 bytes for a legacy spend, 67 for a witness program (the witness
 * counted at a quarter). P2WPKH → 294 sat, P2PKH → 546 sat at the default 3 sat/vB.
 */
export function dustThreshold(script: Uint8Array, dustRelayFee = DEFAULT_DUST_RELAY_FEE): number {
  if (script[0] === 0x6a) return 0; // OP_RETURN: unspendable, never dust
  const outputSize = 8 + (script.length < 0xfd ? 1 : 3) + script.length;
  const spendSize = isWitnessProgram(script) ? 32 + 4 + 1 + Math.floor(107 / 4) + 4 : 32 + 4 + 1 + 107 + 4;
  return Math.floor(((outputSize + spendSize) * dustRelayFee) / 1000);
}

/** BIP141: a version opcode (OP_0, OP_1..OP_16) followed by one direct push of 2 to 40 bytes. */
function isWitnessProgram(script: Uint8Array): boolean {
  const version = script[0];
  const len = script[1];
  if (version === undefined || len === undefined || script.length < 4 || script.length > 42) return false;
  if (version !== 0x00 && (version < 0x51 || version > 0x60)) return false;
  return len + 2 === script.length;
}

/** The transaction paying `fee`, or why it cannot be built. Unsigned: the input's script and witness are empty. */
export function buildTimestampTx(spec: TimestampTxSpec, fee: number, options: { dustRelayFee?: number } = {}): TimestampTxResult {
  assertSats('inputValue', spec.inputValue);
  assertSats('fee', fee);
  if (!Number.isInteger(spec.outpoint.vout) || spec.outpoint.vout < 0 || spec.outpoint.vout > 0xffffffff) throw new RangeError(`"vout" expected a uint32, got ${spec.outpoint.vout}`);
  if (!Number.isInteger(spec.lockTime) || spec.lockTime < 0 || spec.lockTime >= 500_000_000) throw new RangeError(`"lockTime" expected a block height, got ${spec.lockTime}`);
  if (fee > spec.inputValue) return { ok: false, code: 'insufficient-funds', fee, inputValue: spec.inputValue };
  const change = spec.inputValue - fee;
  const dust = dustThreshold(spec.changeScript, options.dustRelayFee);
  if (change < dust) return { ok: false, code: 'dust-change', fee, change, dustThreshold: dust };
  const tx: Tx = {
    version: TIMESTAMP_TX_VERSION,
    inputs: [{ prevTxid: displayHexToInternal(spec.outpoint.txid, 'outpoint.txid'), vout: spec.outpoint.vout, scriptSig: new Uint8Array(0), sequence: SEQUENCE_RBF, witness: [] }],
    outputs: [
      { value: change, script: spec.changeScript },
      { value: 0, script: opReturnScript(spec.tip) },
    ],
    lockTime: spec.lockTime,
  };
  return { ok: true, tx, fee, change };
}

/**
 * The zero-fee version, signed only to learn the real weight (the witness is unknown until the wallet
 * signs), as the reference does. Its change equals the input, so it is never dust for a funded input.
 */
export function timestampTxTemplate(spec: TimestampTxSpec): TimestampTxResult {
  return buildTimestampTx(spec, 0, { dustRelayFee: 0 });
}

export interface FeePlan {
  /** Weight of the signed template (or of the previous signed version: same shape, same size). */
  signedWeight: number;
  /** Target fee rate, sat/kvB. */
  feeRate: number;
  /**
   * Lower bound, e.g. {@link minReplacementFee} when replacing: BIP125 wants more absolute fee than the
   * replaced tx, whatever the target rate says.
   */
  minFee?: number;
  /** Refuse to pay more than this (absolute, sat). */
  maxFee?: number;
  dustRelayFee?: number;
}

/** The fee for the plan: target rate × the signed vsize (with the signature margin), at least `minFee`. */
export function timestampTxFee(plan: FeePlan, inputCount = 1): number {
  if (!Number.isSafeInteger(plan.signedWeight) || plan.signedWeight <= 0) throw new RangeError(`"signedWeight" expected a positive integer, got ${plan.signedWeight}`);
  const vsize = Math.ceil((plan.signedWeight + SIGNATURE_WEIGHT_MARGIN * inputCount) / 4);
  return Math.max(feeForVsize(vsize, plan.feeRate), plan.minFee ?? 0);
}

/** Builds the version paying the plan's fee, or the typed reason it cannot (including the fee cap). */
export function buildTimestampTxForFeeRate(spec: TimestampTxSpec, plan: FeePlan): TimestampTxResult {
  const fee = timestampTxFee(plan);
  if (plan.maxFee !== undefined && fee > plan.maxFee) return { ok: false, code: 'fee-above-cap', fee, maxFee: plan.maxFee };
  return buildTimestampTx(spec, fee, { dustRelayFee: plan.dustRelayFee });
}

/**
 * The least absolute fee a replacement of a tx that paid `replacedFee` may pay (BIP125 rules 3 and 4):
 * the old fee plus the incremental relay fee for the replacement's own size.
 */
export function minReplacementFee(replacedFee: number, replacementVsize: number, incrementalRelayFee = DEFAULT_INCREMENTAL_RELAY_FEE): number {
  assertSats('replacedFee', replacedFee);
  return replacedFee + feeForVsize(replacementVsize, incrementalRelayFee);
}
