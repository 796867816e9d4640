/**
 * @module The donation API's wire contract (`GET /donate`, `POST /donate`), which a calendar serves and the stamper role reads: the JSON that says which tip the calendar wants a transaction for and under which rules, and the answers to a posted transaction. Both sides use these types and the strict parsers below.
 *
 * `GET /tip` keeps its wire behaviour (the 32 bytes of the tip, or 404): this is the description beside it.
 */
import { CHAINS, type ChainName, DONATED_TX_MAX_BYTES, DONATED_TX_MAX_WEIGHT, DONATED_TX_SEQUENCES, type DonatedTxCode } from '../bitcoin/index.js';

export const DONATE_PATH = '/donate';
export const DONATION_PROTOCOL_VERSION = 1;
/** Seconds a cache may keep the description: it changes with each tip, at most every few seconds. */
export const DONATION_OFFER_MAX_AGE_SECONDS = 5;
/** Largest JSON answer either side reads. */
export const MAX_DONATION_ANSWER_BYTES = 64 * 1024;

/** Why a calendar refuses a posted transaction: the standardness rules, then what it and its node know. */
export type DonationRefusalCode =
  | DonatedTxCode
  /** The very same transaction was taken before. */
  | 'already-accepted'
  /** Its tip was never advertised here (or so long ago that it is forgotten). */
  | 'tip-unknown'
  /** Its tip was advertised, but is no longer wanted: its wait passed, a newer tip replaced it, or its commitments are anchored. */
  | 'tip-expired'
  /** A donated transaction taken before covers the same commitments. */
  | 'tip-covered'
  /** The output it spends does not exist or is spent already. */
  | 'input-missing'
  /** The output it spends is not confirmed yet. */
  | 'input-unconfirmed'
  /** The output it spends is not native segwit. */
  | 'input-not-segwit'
  /** It pays less than the node relays (or its outputs pay more than its input holds). */
  | 'fee-too-low'
  /** The node would not take it into its mempool. */
  | 'node-refused';

export interface CoveredTip {
  /** Hex. */
  tip: string;
  /** Display hex. */
  txid: string;
  /** 0 while unconfirmed. */
  confirmations: number;
}

/** The acceptance rules, for donors and the stamper to read (the calendar checks them all again). */
export interface DonationRules {
  versions: number[];
  /** Exactly one input, spending a confirmed output of one of `spendableTemplates`, with an empty scriptSig and a witness. */
  inputs: 1;
  spendableTemplates: string[];
  sequences: number[];
  /** nLockTime: 0 or a block height (below 500,000,000). */
  lockTime: string;
  /** Exactly one output of value 0 whose script is OP_RETURN then one direct 32-byte push of an advertised tip. */
  opReturn: string;
  /** At most this many outputs beside the OP_RETURN, each of `outputTemplates`. */
  otherOutputs: 1;
  outputTemplates: string[];
  maxBytes: number;
  maxWeight: number;
  /** At least the node's relay minimum (`minFeeRateSatPerVb`). */
  feeRate: string;
  /** Where to post the raw transaction (witness included), as the request body. */
  post: string;
}

/** `GET /donate`. Times are ISO 8601. */
export interface DonationOffer {
  version: number;
  /** The chain's name in this software's table (`bitcoin`, `testnet`, `regtest`, …). */
  chain: ChainName;
  /** Hex of the tip wanted now (what `GET /tip` serves), or null when nothing is waiting for a donated transaction. */
  tip: string | null;
  /** Commitments that tip covers. */
  commitments: number;
  /** When the oldest of them was first advertised: a stamper's delay counts from here. */
  since: string | null;
  /** When this very tip was first advertised (a newer one replaces it as commitments arrive; the recent ones stay taken). */
  tipAt: string | null;
  /** When this calendar starts paying for them itself if nobody has; null when it never does (no wallet). */
  selfPayAt: string | null;
  /** What this calendar would pay itself now, sat/vB; null before its node answered. */
  feeRateSatPerVb: number | null;
  /** The least its node relays now, sat/vB; null before its node answered. */
  minFeeRateSatPerVb: number | null;
  /** Donated transactions taken and not anchored yet: their tips are not wanted again. */
  covered: CoveredTip[];
  rules: DonationRules;
}

/** The answer to `POST /donate`: 200 when taken (the calendar has recorded it and given it to its node), 400 otherwise. */
export type DonationAnswer =
  | { accepted: true; txid: string; tip: string; commitments: number }
  | { accepted: false; code: DonationRefusalCode; reason: string };

export function donationRules(): DonationRules {
  return {
    versions: [1, 2],
    inputs: 1,
    spendableTemplates: ['p2wpkh', 'p2wsh', 'p2tr'],
    sequences: [...DONATED_TX_SEQUENCES],
    lockTime: '0 or a block height (below 500000000) the chain has reached',
    opReturn: 'exactly one output of value 0 whose script is OP_RETURN followed by one direct push of the 32-byte tip (6a20<tip>)',
    otherOutputs: 1,
    outputTemplates: ['p2wpkh', 'p2wsh', 'p2tr'],
    maxBytes: DONATED_TX_MAX_BYTES,
    maxWeight: DONATED_TX_MAX_WEIGHT,
    feeRate: 'at least what the node relays now (minFeeRateSatPerVb)',
    post: `POST ${DONATE_PATH} with the raw transaction (witness included) as the body`,
  };
}

// ---- strict parsing (the stamper's side): a field of the wrong shape is an error, never a default ----

/** A calendar's donation answer that breaks this contract. */
export class DonationProtocolError extends Error {
  readonly code = 'donation-protocol';
  constructor(detail: string) {
    super(`not a donation answer: ${detail}`);
    this.name = 'DonationProtocolError';
  }
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DonationProtocolError(`${path} is not an object`);
  return v as Record<string, unknown>;
}
function uint(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new DonationProtocolError(`${path} is not a non-negative integer`);
  return v;
}
function rate(v: unknown, path: string): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new DonationProtocolError(`${path} is not a fee rate`);
  return v;
}
function hexOf(v: unknown, path: string, bytes: number): string {
  if (typeof v !== 'string' || v.length !== bytes * 2 || !/^[0-9a-f]+$/.test(v)) throw new DonationProtocolError(`${path} is not ${bytes} bytes of lower-case hex`);
  return v;
}
function time(v: unknown, path: string): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw new DonationProtocolError(`${path} is not a time`);
  return v;
}
function text(v: unknown, path: string, max = 1000): string {
  if (typeof v !== 'string' || v.length > max) throw new DonationProtocolError(`${path} is not a string of at most ${max} characters`);
  return v;
}

/** `GET /donate`'s JSON, checked field by field (the rules are kept as sent, for display). */
export function parseDonationOffer(v: unknown): DonationOffer {
  const o = obj(v, 'offer');
  if (o.version !== DONATION_PROTOCOL_VERSION) throw new DonationProtocolError(`version ${JSON.stringify(o.version)} is not ${DONATION_PROTOCOL_VERSION}`);
  if (typeof o.chain !== 'string' || !Object.hasOwn(CHAINS, o.chain)) throw new DonationProtocolError('chain is not a known chain');
  if (!Array.isArray(o.covered) || o.covered.length > 1000) throw new DonationProtocolError('covered is not a list');
  const tip = o.tip === null ? null : hexOf(o.tip, 'tip', 32);
  const since = time(o.since, 'since');
  if ((tip === null) !== (since === null)) throw new DonationProtocolError('tip and since are not both set or both null');
  return {
    version: DONATION_PROTOCOL_VERSION,
    chain: o.chain as ChainName,
    tip,
    commitments: uint(o.commitments, 'commitments'),
    since,
    tipAt: time(o.tipAt, 'tipAt'),
    selfPayAt: time(o.selfPayAt, 'selfPayAt'),
    feeRateSatPerVb: rate(o.feeRateSatPerVb, 'feeRateSatPerVb'),
    minFeeRateSatPerVb: rate(o.minFeeRateSatPerVb, 'minFeeRateSatPerVb'),
    covered: o.covered.map((c, i) => {
      const x = obj(c, `covered[${i}]`);
      return { tip: hexOf(x.tip, `covered[${i}].tip`, 32), txid: hexOf(x.txid, `covered[${i}].txid`, 32), confirmations: uint(x.confirmations, `covered[${i}].confirmations`) };
    }),
    rules: obj(o.rules, 'rules') as unknown as DonationRules,
  };
}

/** `POST /donate`'s JSON answer (200: accepted, 400: refused), checked. */
export function parseDonationAnswer(v: unknown): DonationAnswer {
  const o = obj(v, 'answer');
  if (o.accepted === true) return { accepted: true, txid: hexOf(o.txid, 'txid', 32), tip: hexOf(o.tip, 'tip', 32), commitments: uint(o.commitments, 'commitments') };
  if (o.accepted !== false) throw new DonationProtocolError('accepted is not a boolean');
  const code = text(o.code, 'code', 40);
  if (!/^[a-z][a-z-]*$/.test(code)) throw new DonationProtocolError('code is not a refusal code');
  return { accepted: false, code: code as DonationRefusalCode, reason: text(o.reason, 'reason') };
}
