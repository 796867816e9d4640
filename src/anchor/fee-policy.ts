/**
 * @module The fee policy: pure arithmetic from the node's fee facts and the operator's limits to the fee of a cycle's first version, of each replacement (BIP125 rules 3, 4 and 6) and after the node refused a version.
 *
 * Every rate is in satoshis per 1000 virtual bytes (an integer, as Core reports rates); every fee in
 * satoshis. Nothing here does I/O, so each rule is a table-driven unit test.
 */
import { feeForVsize } from '../bitcoin/index.js';

export interface FeeSettings {
  /** Rate of a first version when the node has no estimate (regtest, a fresh node). */
  fallbackRate: number;
  /** Added to the previous version's rate at each replacement (one per block while unconfirmed). */
  increment: number;
  /** Never paid above this rate. */
  maxRate: number;
  /** Never paid above this fee in one cycle: only one version of a cycle can be mined. */
  maxFee: number;
  /** Factor by which a refused (-26) version's fee is raised before trying again. */
  rejectionFactor: number;
}

/** What the node says about fees right now. */
export interface NodeFeeFacts {
  /** `estimatesmartfee`; undefined when the node has no estimate. */
  estimate: number | undefined;
  /** `minrelaytxfee`: below it the node does not even accept a first version. */
  relayFee: number;
  /** `incrementalrelayfee`: BIP125 rule 4's step. */
  incrementalFee: number;
}

export type FeeDecision =
  /** `capped`: the target was above the cap, so the cap is paid. */
  | { ok: true; fee: number; capped: boolean }
  /** Even the least acceptable fee is above the cap: no version can be sent. */
  | { ok: false; code: 'fee-cap'; needed: number; cap: number };

/** How many times a refused version is raised and retried within one attempt. */
export const MAX_REJECTED_RETRIES = 6;

/** The highest fee a version of `vsize` may pay: the lower of the per-cycle cap and the rate cap. */
export function feeCap(s: FeeSettings, vsize: number): number {
  return Math.min(s.maxFee, Math.floor((vsize * s.maxRate) / 1000));
}

/** The rate a fee pays for `vsize`, rounded up (so it is never under-stated in a comparison). */
export function rateOf(fee: number, vsize: number): number {
  if (!Number.isSafeInteger(vsize) || vsize <= 0) throw new RangeError(`"vsize" expected a positive integer, got ${vsize}`);
  return Math.ceil((fee * 1000) / vsize);
}

function decide(target: number, floor: number, cap: number): FeeDecision {
  if (floor > cap) return { ok: false, code: 'fee-cap', needed: floor, cap };
  const fee = Math.max(target, floor);
  if (fee > cap) return { ok: true, fee: cap, capped: true };
  return { ok: true, fee, capped: false };
}

/** A cycle's first version: the node's estimate (or the fallback), never below its relay minimum. */
export function firstFee(s: FeeSettings, facts: NodeFeeFacts, vsize: number): FeeDecision {
  const rate = Math.max(facts.estimate ?? s.fallbackRate, facts.relayFee);
  return decide(feeForVsize(vsize, rate), feeForVsize(vsize, facts.relayFee), feeCap(s, vsize));
}

/**
 * The least fee a replacement may pay (BIP125 rule 3: no less than the replaced fee; rule 4: plus the
 * incremental relay fee for its own size). Same size, more fee, so rule 6 (a higher rate) follows.
 */
export function replacementFloor(facts: NodeFeeFacts, vsize: number, previousFee: number): number {
  return previousFee + feeForVsize(vsize, facts.incrementalFee);
}

/**
 * A replacement: the previous rate plus the increment, or the current estimate if that is higher, and
 * at least the BIP125 floor. At the cap the cap is paid; once the floor itself is above the cap, no
 * replacement is possible and the previous version stays (it is the best the operator allows).
 */
export function replacementFee(s: FeeSettings, facts: NodeFeeFacts, vsize: number, previous: { fee: number; vsize: number }): FeeDecision {
  const stepped = feeForVsize(vsize, rateOf(previous.fee, previous.vsize) + s.increment);
  const estimated = facts.estimate === undefined ? 0 : feeForVsize(vsize, facts.estimate);
  return decide(Math.max(stepped, estimated), replacementFloor(facts, vsize, previous.fee), feeCap(s, vsize));
}

/**
 * After the node refused a version paying `refusedFee` (-26: "insufficient fee", "mempool min fee not
 * met"): the fee times the factor (at least one satoshi more), within the cap.
 */
export function raiseAfterRejection(s: FeeSettings, vsize: number, refusedFee: number): FeeDecision {
  const cap = feeCap(s, vsize);
  const target = Math.max(refusedFee + 1, Math.ceil(refusedFee * s.rejectionFactor));
  return decide(target, refusedFee + 1, cap);
}
