/**
 * @module The wallet stamper's local state (DESIGN §2 "Local state that is not mirrored"): unconfirmed versions, mined transactions waiting for depth, recent anchors and the last processed block, in one JSON file written durably before the stamper acts on it.
 *
 * Durability protocol (style rule 10), by `StateStore.save`, through `writeFileDurablySync` (src/durable):
 *   1. write `<file>.tmp-<pid>`, 2. fsync it, 3. rename over `<file>`, 4. fsync the directory.
 * After a crash the file is either the old or the new state, never a mix. The stamper saves before
 * each irreversible act (a broadcast, an anchor or revocation record) and after each block it processed.
 */
import { join } from 'node:path';
import { CHAINS, type ChainName } from '../bitcoin/index.js';
import { readTextIfPresent, writeFileDurablySync } from '../durable/index.js';
import type { CommitRange } from '../journal/index.js';
import { bytesToHex } from '../ots/index.js';
import { StateShapeError, arr, hash, hexBytes, obj, uint } from './state-shape.js';
import { StamperStateError, StateWriteError } from './errors.js';

export const STATE_FILE = 'anchor-wallet.json';
const FORMAT = 1;

export interface BlockRef {
  height: number;
  /** Display hex. */
  hash: string;
}

/** A transaction and the commitments it anchors: its tip is the merkle root over them, in range order. */
export interface TxRef {
  txid: string;
  tip: Uint8Array;
  ranges: CommitRange[];
}

/** The reference part of a version (what a closed cycle keeps). */
export function txRefOf(v: TxRef): TxRef {
  return { txid: v.txid, tip: v.tip, ranges: v.ranges };
}

/** One version of the cycle's transaction: all that is needed to broadcast it again and to replace it. */
export interface TxVersion extends TxRef {
  /** Signed, with witness. */
  raw: Uint8Array;
  fee: number;
  vsize: number;
  /** The chain tip when it was built: at most one replacement per new block. */
  sentAtBlock: string;
  /** Unix ms. */
  sentAt: number;
}

/** The open cycle: one wallet output spent by successive BIP125 versions, newest last. */
export interface Cycle {
  input: { txid: string; vout: number; value: number };
  changeScript: Uint8Array;
  versions: TxVersion[];
}

/** A transaction of a closed cycle not yet anchored: mined and waiting for depth, or (mined null) back in the mempool after a reorg. */
export interface WaitingTx {
  /**
   * Every version of its cycle: a reorg may bring any of them into a block. Once its block left the chain,
   * the version that was mined comes first: the one the node put back in its mempool.
   */
  versions: TxRef[];
  mined: { txid: string; block: BlockRef } | null;
}

/** An anchor record written for a mined transaction, watched for reorgs deeper than the confirmation depth. */
export interface AnchoredTx {
  seq: number;
  txid: string;
  block: BlockRef;
  /** The block header's time (unix seconds), the time the anchor attests; absent in states written before it was kept. */
  blockTime?: number;
}

export interface StamperState {
  chain: ChainName;
  /** The last block whose transactions were looked at; null before the first contact with the node. */
  lastBlock: BlockRef | null;
  cycle: Cycle | null;
  waiting: WaitingTx[];
  anchored: AnchoredTx[];
  /** Unix ms before which no new cycle starts. */
  nextCycleAt: number;
}

export function emptyState(chain: ChainName): StamperState {
  return { chain, lastBlock: null, cycle: null, waiting: [], anchored: [], nextCycleAt: 0 };
}

// ---- encoding: bytes as hex, everything else as is ----

function encodeRef(r: TxRef): Record<string, unknown> {
  return { txid: r.txid, tip: bytesToHex(r.tip), ranges: r.ranges.map((x) => [x.start, x.end]) };
}

export function encodeState(s: StamperState): string {
  return JSON.stringify({
    format: FORMAT,
    chain: s.chain,
    lastBlock: s.lastBlock,
    cycle:
      s.cycle === null
        ? null
        : {
            input: s.cycle.input,
            changeScript: bytesToHex(s.cycle.changeScript),
            versions: s.cycle.versions.map((v) => ({ ...encodeRef(v), raw: bytesToHex(v.raw), fee: v.fee, vsize: v.vsize, sentAtBlock: v.sentAtBlock, sentAt: v.sentAt })),
          },
    waiting: s.waiting.map((w) => ({ versions: w.versions.map(encodeRef), mined: w.mined })),
    anchored: s.anchored,
    nextCycleAt: s.nextCycleAt,
  });
}

// ---- strict decoding: a field of the wrong shape is an error, never a default ----

function block(v: unknown, path: string): BlockRef {
  const o = obj(v, path);
  return { height: uint(o.height, `${path}.height`), hash: hash(o.hash, `${path}.hash`) };
}
function ranges(v: unknown, path: string): CommitRange[] {
  const out = arr(v, path).map((r, i) => {
    const pair = arr(r, `${path}[${i}]`);
    const start = uint(pair[0], `${path}[${i}][0]`);
    const end = uint(pair[1], `${path}[${i}][1]`);
    if (pair.length !== 2 || end <= start) throw new StateShapeError(`${path}[${i}] is not a non-empty [start, end) range`);
    return { start, end };
  });
  if (out.length === 0) throw new StateShapeError(`${path} is empty`);
  return out;
}
function ref(v: unknown, path: string): TxRef {
  const o = obj(v, path);
  return { txid: hash(o.txid, `${path}.txid`), tip: hexBytes(o.tip, `${path}.tip`, 32), ranges: ranges(o.ranges, `${path}.ranges`) };
}

export function decodeState(text: string, path = STATE_FILE): StamperState {
  try {
    const o = obj(JSON.parse(text) as unknown, 'state');
    if (o.format !== FORMAT) throw new StateShapeError(`format ${JSON.stringify(o.format)} is not ${FORMAT}`);
    if (typeof o.chain !== 'string' || !Object.hasOwn(CHAINS, o.chain)) throw new StateShapeError('chain is not a known chain');
    let cycle: Cycle | null = null;
    if (o.cycle !== null) {
      const c = obj(o.cycle, 'cycle');
      const input = obj(c.input, 'cycle.input');
      cycle = {
        input: { txid: hash(input.txid, 'cycle.input.txid'), vout: uint(input.vout, 'cycle.input.vout'), value: uint(input.value, 'cycle.input.value') },
        changeScript: hexBytes(c.changeScript, 'cycle.changeScript'),
        versions: arr(c.versions, 'cycle.versions').map((x, i) => {
          const p = `cycle.versions[${i}]`;
          const v = obj(x, p);
          return { ...ref(v, p), raw: hexBytes(v.raw, `${p}.raw`), fee: uint(v.fee, `${p}.fee`), vsize: uint(v.vsize, `${p}.vsize`), sentAtBlock: hash(v.sentAtBlock, `${p}.sentAtBlock`), sentAt: uint(v.sentAt, `${p}.sentAt`) };
        }),
      };
    }
    const waiting = arr(o.waiting, 'waiting').map((x, i) => {
      const w = obj(x, `waiting[${i}]`);
      const versions = arr(w.versions, `waiting[${i}].versions`).map((r, j) => ref(r, `waiting[${i}].versions[${j}]`));
      if (versions.length === 0) throw new StateShapeError(`waiting[${i}].versions is empty`);
      let mined: WaitingTx['mined'] = null;
      if (w.mined !== null) {
        const m = obj(w.mined, `waiting[${i}].mined`);
        mined = { txid: hash(m.txid, `waiting[${i}].mined.txid`), block: block(m.block, `waiting[${i}].mined.block`) };
        if (!versions.some((r) => r.txid === mined?.txid)) throw new StateShapeError(`waiting[${i}].mined.txid is none of its versions`);
      }
      return { versions, mined };
    });
    const anchored = arr(o.anchored, 'anchored').map((x, i) => {
      const a = obj(x, `anchored[${i}]`);
      const blockTime = a.blockTime === undefined ? {} : { blockTime: uint(a.blockTime, `anchored[${i}].blockTime`) };
      return { seq: uint(a.seq, `anchored[${i}].seq`), txid: hash(a.txid, `anchored[${i}].txid`), block: block(a.block, `anchored[${i}].block`), ...blockTime };
    });
    return {
      chain: o.chain as ChainName,
      lastBlock: o.lastBlock === null ? null : block(o.lastBlock, 'lastBlock'),
      cycle,
      waiting,
      anchored,
      nextCycleAt: uint(o.nextCycleAt, 'nextCycleAt'),
    };
  } catch (err) {
    if (err instanceof StateShapeError || err instanceof SyntaxError) throw new StamperStateError(path, err.message, { cause: err });
    throw err;
  }
}

/**
 * The state file in the data directory's `state/`. `save` is durable on return (see the module comment)
 * and synchronous, so nothing else runs between deciding and recording; not safe for two processes
 * (the calendar's journal lock already keeps a second calendar off the data directory).
 */
export class StateStore {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, STATE_FILE);
  }

  /** The saved state, or a fresh one on first run. Throws {@link StamperStateError} if it is unusable. */
  load(chain: ChainName): StamperState {
    const text = readTextIfPresent(this.path, (reason, cause) => new StamperStateError(this.path, reason, { cause }));
    if (text === undefined) return emptyState(chain);
    const state = decodeState(text, this.path);
    if (state.chain !== chain) throw new StamperStateError(this.path, `it belongs to chain ${state.chain}, not ${chain}; move it away to start afresh on ${chain}`);
    return state;
  }

  /** Durable on return; throws {@link StateWriteError}. */
  save(state: StamperState): void {
    try {
      writeFileDurablySync(this.path, encodeState(state));
    } catch (err) {
      throw new StateWriteError(this.path, { cause: err });
    }
  }
}
