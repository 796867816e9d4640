/**
 * @module The external strategy's local state: the round of advertised tips with the commitments each covers, the tips advertised before (bounded), the donated transactions taken (their bytes, to broadcast them again), and what the shared chain watching works on (last block, transactions waiting for depth, anchors watched). One JSON file under `state/`, written durably before the strategy acts on it.
 *
 * Durability protocol (style rule 10), by `ExternalStore.save`, through `writeFileDurablySync` (src/durable): the
 * file is the old or the new state after a crash. A tip is saved before it is advertised, a posted transaction
 * before it is broadcast or answered 200, each processed block before the next.
 */
import { join } from 'node:path';
import { CHAINS, type ChainName } from '../bitcoin/index.js';
import { readTextIfPresent, writeFileDurablySync } from '../durable/index.js';
import type { CommitRange } from '../journal/index.js';
import { bytesToHex, hexToBytes } from '../ots/index.js';
import { StamperStateError, StateWriteError } from './errors.js';
import type { AnchoredTx, BlockRef, WaitingTx } from './stamper-state.js';
import type { TrackedState } from './tx-tracker.js';

export const EXTERNAL_STATE_FILE = 'anchor-external.json';
const FORMAT = 1;

/** A tip as advertised: the merkle root over sha256(commitment) of `ranges`, in range order. */
export interface AdvertisedTip {
  tip: Uint8Array;
  ranges: CommitRange[];
  /** Unix ms it was first advertised. */
  at: number;
}

/** The commitments held while their tip is advertised; each newer tip covers the round's commitments so far. */
export interface Round {
  /** Unix ms the round's first tip was advertised: its wait counts from here. */
  startedAt: number;
  /** Oldest first; the last is the one advertised now. */
  tips: AdvertisedTip[];
}

/** A tip no longer wanted, remembered (bounded) so a late transaction for it is refused as such, or recognised in a block. */
export interface PastTip extends AdvertisedTip {
  /** Unix ms it stopped being wanted. */
  until: number;
  why: 'expired' | 'replaced' | 'covered';
}

/** A donated transaction this calendar follows: posted and taken, or seen in a block. */
export interface Donation {
  /** Display hex. */
  txid: string;
  tip: Uint8Array;
  /** As posted or as read from its block, witness included: what is broadcast again. */
  raw: Uint8Array;
  /** Satoshis the donor paid, when known (a transaction first seen in a block may spend an output the node no longer has). */
  fee: number | null;
  vsize: number;
  source: 'posted' | 'block';
  /** Unix ms. */
  takenAt: number;
  /** Unix ms since which it is not in a block (null while mined): its commitments are handed on after the wait. */
  unminedSince: number | null;
  /** Unix ms its commitments were handed to the next strategy (it was not mined in time, or its tip was no longer wanted); null while held. */
  releasedAt: number | null;
}

export interface ExternalState extends TrackedState {
  chain: ChainName;
  round: Round | null;
  /** Newest first. */
  past: PastTip[];
  donations: Donation[];
}

export function emptyExternalState(chain: ChainName): ExternalState {
  return { chain, lastBlock: null, waiting: [], anchored: [], round: null, past: [], donations: [] };
}

// ---- encoding: bytes as hex, ranges as pairs ----

const rangesOut = (r: readonly CommitRange[]): number[][] => r.map((x) => [x.start, x.end]);
const tipOut = (t: AdvertisedTip): Record<string, unknown> => ({ tip: bytesToHex(t.tip), ranges: rangesOut(t.ranges), at: t.at });

export function encodeExternalState(s: ExternalState): string {
  return JSON.stringify({
    format: FORMAT,
    chain: s.chain,
    lastBlock: s.lastBlock,
    round: s.round === null ? null : { startedAt: s.round.startedAt, tips: s.round.tips.map(tipOut) },
    past: s.past.map((p) => ({ ...tipOut(p), until: p.until, why: p.why })),
    donations: s.donations.map((d) => ({ ...d, tip: bytesToHex(d.tip), raw: bytesToHex(d.raw) })),
    waiting: s.waiting.map((w) => ({ versions: w.versions.map((v) => ({ txid: v.txid, tip: bytesToHex(v.tip), ranges: rangesOut(v.ranges) })), mined: w.mined })),
    anchored: s.anchored,
  });
}

// ---- strict decoding: a field of the wrong shape is an error, never a default ----

class Shape extends Error {}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Shape(`${path} is not an object`);
  return v as Record<string, unknown>;
}
function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new Shape(`${path} is not an array`);
  return v;
}
function uint(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Shape(`${path} is not a non-negative integer`);
  return v;
}
function orNull<T>(v: unknown, path: string, f: (v: unknown, path: string) => T): T | null {
  return v === null ? null : f(v, path);
}
function hash(v: unknown, path: string): string {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new Shape(`${path} is not a 64-digit hash`);
  return v;
}
function bytes(v: unknown, path: string, length?: number): Uint8Array {
  if (typeof v !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(v) || (length !== undefined && v.length !== length * 2)) throw new Shape(`${path} is not hex${length === undefined ? '' : ` of ${length} bytes`}`);
  return hexToBytes(v);
}
function block(v: unknown, path: string): BlockRef {
  const o = obj(v, path);
  return { height: uint(o.height, `${path}.height`), hash: hash(o.hash, `${path}.hash`) };
}
function ranges(v: unknown, path: string): CommitRange[] {
  const out = arr(v, path).map((r, i) => {
    const pair = arr(r, `${path}[${i}]`);
    const start = uint(pair[0], `${path}[${i}][0]`);
    const end = uint(pair[1], `${path}[${i}][1]`);
    if (pair.length !== 2 || end <= start) throw new Shape(`${path}[${i}] is not a non-empty [start, end) range`);
    return { start, end };
  });
  if (out.length === 0) throw new Shape(`${path} is empty`);
  return out;
}
function advertised(v: unknown, path: string): AdvertisedTip {
  const o = obj(v, path);
  return { tip: bytes(o.tip, `${path}.tip`, 32), ranges: ranges(o.ranges, `${path}.ranges`), at: uint(o.at, `${path}.at`) };
}
function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !values.includes(v as T)) throw new Shape(`${path} is not one of ${values.join(', ')}`);
  return v as T;
}

export function decodeExternalState(text: string, path = EXTERNAL_STATE_FILE): ExternalState {
  try {
    const o = obj(JSON.parse(text) as unknown, 'state');
    if (o.format !== FORMAT) throw new Shape(`format ${JSON.stringify(o.format)} is not ${FORMAT}`);
    if (typeof o.chain !== 'string' || !Object.hasOwn(CHAINS, o.chain)) throw new Shape('chain is not a known chain');
    const round = orNull(o.round, 'round', (v, p) => {
      const r = obj(v, p);
      const tips = arr(r.tips, `${p}.tips`).map((t, i) => advertised(t, `${p}.tips[${i}]`));
      if (tips.length === 0) throw new Shape(`${p}.tips is empty`);
      return { startedAt: uint(r.startedAt, `${p}.startedAt`), tips };
    });
    const past = arr(o.past, 'past').map((x, i) => {
      const p = obj(x, `past[${i}]`);
      return { ...advertised(p, `past[${i}]`), until: uint(p.until, `past[${i}].until`), why: oneOf(p.why, `past[${i}].why`, ['expired', 'replaced', 'covered'] as const) };
    });
    const donations = arr(o.donations, 'donations').map((x, i): Donation => {
      const d = obj(x, `donations[${i}]`);
      const p = `donations[${i}]`;
      return {
        txid: hash(d.txid, `${p}.txid`),
        tip: bytes(d.tip, `${p}.tip`, 32),
        raw: bytes(d.raw, `${p}.raw`),
        fee: orNull(d.fee, `${p}.fee`, uint),
        vsize: uint(d.vsize, `${p}.vsize`),
        source: oneOf(d.source, `${p}.source`, ['posted', 'block'] as const),
        takenAt: uint(d.takenAt, `${p}.takenAt`),
        unminedSince: orNull(d.unminedSince, `${p}.unminedSince`, uint),
        releasedAt: orNull(d.releasedAt, `${p}.releasedAt`, uint),
      };
    });
    const waiting = arr(o.waiting, 'waiting').map((x, i): WaitingTx => {
      const w = obj(x, `waiting[${i}]`);
      const versions = arr(w.versions, `waiting[${i}].versions`).map((r, j) => {
        const v = obj(r, `waiting[${i}].versions[${j}]`);
        return { txid: hash(v.txid, `waiting[${i}].versions[${j}].txid`), tip: bytes(v.tip, `waiting[${i}].versions[${j}].tip`, 32), ranges: ranges(v.ranges, `waiting[${i}].versions[${j}].ranges`) };
      });
      if (versions.length === 0) throw new Shape(`waiting[${i}].versions is empty`);
      const mined = orNull(w.mined, `waiting[${i}].mined`, (m, p) => {
        const mo = obj(m, p);
        return { txid: hash(mo.txid, `${p}.txid`), block: block(mo.block, `${p}.block`) };
      });
      return { versions, mined };
    });
    const anchored = arr(o.anchored, 'anchored').map((x, i): AnchoredTx => {
      const a = obj(x, `anchored[${i}]`);
      return { seq: uint(a.seq, `anchored[${i}].seq`), txid: hash(a.txid, `anchored[${i}].txid`), block: block(a.block, `anchored[${i}].block`) };
    });
    return { chain: o.chain as ChainName, lastBlock: orNull(o.lastBlock, 'lastBlock', block), round, past, donations, waiting, anchored };
  } catch (err) {
    if (err instanceof Shape || err instanceof SyntaxError) throw new StamperStateError(path, err.message, { cause: err });
    throw err;
  }
}

/** The state file in the data directory's `state/`; `save` is durable on return and synchronous (one process: the journal lock). */
export class ExternalStore {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, EXTERNAL_STATE_FILE);
  }

  /** The saved state, or a fresh one on first run; throws {@link StamperStateError} if it is unusable or of another chain. */
  load(chain: ChainName): ExternalState {
    const text = readTextIfPresent(this.path, (reason, cause) => new StamperStateError(this.path, reason, { cause }));
    if (text === undefined) return emptyExternalState(chain);
    const state = decodeExternalState(text, this.path);
    if (state.chain !== chain) throw new StamperStateError(this.path, `it belongs to chain ${state.chain}, not ${chain}; move it away to start afresh on ${chain}`);
    return state;
  }

  save(state: ExternalState): void {
    try {
      writeFileDurablySync(this.path, encodeExternalState(state), { mode: 0o640 });
    } catch (err) {
      throw new StateWriteError(this.path, { cause: err });
    }
  }
}
