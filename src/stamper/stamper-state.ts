/**
 * @module The stamper role's local state: every transaction it built for a calendar's tip (its bytes, fee, what it spends, whether the calendar took it, its block), and its totals. One JSON file in its data directory, written durably before it acts: a transaction is saved before it is posted or broadcast, so a restart never builds a second one for the same tip, never loses one it paid for, and counts every satoshi against the daily cap.
 *
 * Durability protocol (style rule 10), through `writeFileDurablySync` (src/durable): the file is the old or the
 * new state after a crash.
 */
import { join } from 'node:path';
import { CHAINS, type ChainName } from '../bitcoin/index.js';
import { FileLockedError, lockFile, readTextIfPresent, writeFileDurablySync } from '../durable/index.js';
import { bytesToHex, hexToBytes } from '../ots/index.js';

export const STAMPER_STATE_FILE = 'stamper.json';
/** Holds the pid of the one stamper using the directory: two would pay twice for the same tips. */
export const STAMPER_LOCK_FILE = 'stamper.lock';
const FORMAT = 1;
/** Finished transactions kept (for the status and the daily cap, which looks back a day). */
export const MAX_FINISHED_TXS = 500;

/**
 * - `built`: saved, not yet taken by the calendar (posted again until it answers, or abandoned when its tip is no
 *   longer wanted);
 * - `taken`: the calendar answered 200; broadcast by this stamper too, followed until `confirmations`;
 * - `refused`: the calendar refused it; never broadcast, its fee not spent;
 * - `abandoned`: never taken (its tip went away); never broadcast, its fee not spent;
 * - `confirmed`: taken and deep enough; `dropped`: taken, but another transaction spent its input.
 */
export type PaidTxStatus = 'built' | 'taken' | 'refused' | 'abandoned' | 'confirmed' | 'dropped';

export interface PaidTx {
  /** The calendar's URL as shown (no credentials). */
  calendar: string;
  tip: Uint8Array;
  /** Display hex. */
  txid: string;
  /** Signed, witness included. */
  raw: Uint8Array;
  fee: number;
  vsize: number;
  /** The wallet output it spends. */
  spends: { txid: string; vout: number };
  /** Unix ms. */
  builtAt: number;
  status: PaidTxStatus;
  /** `code: reason` of a refusal. */
  refusal: string | null;
  /** This stamper's node took it (or has it in a block). */
  broadcast: boolean;
  /** Height of its block, once mined. */
  minedHeight: number | null;
}

export interface StamperState {
  chain: ChainName;
  /** Oldest first. */
  txs: PaidTx[];
  /** Since this data directory was made. */
  totals: { donations: number; feesSats: number; refusals: number };
}

export function emptyStamperState(chain: ChainName): StamperState {
  return { chain, txs: [], totals: { donations: 0, feesSats: 0, refusals: 0 } };
}

/** Whether a transaction's fee counts as spent: it may be (or have been) in a block. */
export function spends(t: PaidTx): boolean {
  return t.status === 'built' || t.status === 'taken' || t.status === 'confirmed';
}

/** Still worked on: posted again, broadcast, followed. */
export function open(t: PaidTx): boolean {
  return t.status === 'built' || t.status === 'taken';
}

export function encodeStamperState(s: StamperState): string {
  return JSON.stringify({ format: FORMAT, chain: s.chain, txs: s.txs.map((t) => ({ ...t, tip: bytesToHex(t.tip), raw: bytesToHex(t.raw) })), totals: s.totals });
}

/** The state file is unreadable, malformed, or of another chain: starting without it could pay twice. */
export class StamperRoleStateError extends Error {
  readonly code = 'stamper-state';
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(`stamper state ${path}: ${detail}`, options);
    this.name = 'StamperRoleStateError';
  }
}

/** The state could not be made durable: nothing it was about to record is done. */
export class StamperStateWriteError extends Error {
  readonly code = 'stamper-state-write';
  constructor(path: string, options?: { cause?: unknown }) {
    super(`could not write the stamper state ${path}`, options);
    this.name = 'StamperStateWriteError';
  }
}

class Shape extends Error {}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Shape(`${path} is not an object`);
  return v as Record<string, unknown>;
}
function uint(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Shape(`${path} is not a non-negative integer`);
  return v;
}
function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new Shape(`${path} is not a string`);
  return v;
}
function hash(v: unknown, path: string): string {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new Shape(`${path} is not a 64-digit hash`);
  return v;
}
function bytes(v: unknown, path: string, length?: number): Uint8Array {
  if (typeof v !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(v) || (length !== undefined && v.length !== length * 2)) throw new Shape(`${path} is not hex${length === undefined ? '' : ` of ${length} bytes`}`);
  return hexToBytes(v);
}
const STATUSES: readonly PaidTxStatus[] = ['built', 'taken', 'refused', 'abandoned', 'confirmed', 'dropped'];

export function decodeStamperState(text: string, path = STAMPER_STATE_FILE): StamperState {
  try {
    const o = obj(JSON.parse(text) as unknown, 'state');
    if (o.format !== FORMAT) throw new Shape(`format ${JSON.stringify(o.format)} is not ${FORMAT}`);
    if (typeof o.chain !== 'string' || !Object.hasOwn(CHAINS, o.chain)) throw new Shape('chain is not a known chain');
    if (!Array.isArray(o.txs)) throw new Shape('txs is not an array');
    const txs = o.txs.map((x, i): PaidTx => {
      const t = obj(x, `txs[${i}]`);
      const p = `txs[${i}]`;
      const spent = obj(t.spends, `${p}.spends`);
      if (typeof t.status !== 'string' || !STATUSES.includes(t.status as PaidTxStatus)) throw new Shape(`${p}.status is not a status`);
      if (typeof t.broadcast !== 'boolean') throw new Shape(`${p}.broadcast is not a boolean`);
      return {
        calendar: str(t.calendar, `${p}.calendar`),
        tip: bytes(t.tip, `${p}.tip`, 32),
        txid: hash(t.txid, `${p}.txid`),
        raw: bytes(t.raw, `${p}.raw`),
        fee: uint(t.fee, `${p}.fee`),
        vsize: uint(t.vsize, `${p}.vsize`),
        spends: { txid: hash(spent.txid, `${p}.spends.txid`), vout: uint(spent.vout, `${p}.spends.vout`) },
        builtAt: uint(t.builtAt, `${p}.builtAt`),
        status: t.status as PaidTxStatus,
        refusal: t.refusal === null ? null : str(t.refusal, `${p}.refusal`),
        broadcast: t.broadcast,
        minedHeight: t.minedHeight === null ? null : uint(t.minedHeight, `${p}.minedHeight`),
      };
    });
    const totals = obj(o.totals, 'totals');
    return { chain: o.chain as ChainName, txs, totals: { donations: uint(totals.donations, 'totals.donations'), feesSats: uint(totals.feesSats, 'totals.feesSats'), refusals: uint(totals.refusals, 'totals.refusals') } };
  } catch (err) {
    if (err instanceof Shape || err instanceof SyntaxError) throw new StamperRoleStateError(path, err.message, { cause: err });
    throw err;
  }
}

/** Another live stamper uses the data directory. */
export class StamperLockedError extends Error {
  readonly code = 'stamper-locked';
  constructor(dir: string, pid: number) {
    super(`stamper data directory ${dir} is used by ${pid > 0 ? `process ${pid}` : 'another process'}`);
    this.name = 'StamperLockedError';
  }
}

/** The state file in the stamper's data directory; `save` is durable on return and synchronous. */
export class StamperStore {
  readonly path: string;
  readonly #dir: string;

  constructor(dataDir: string) {
    this.#dir = dataDir;
    this.path = join(dataDir, STAMPER_STATE_FILE);
  }

  /**
   * Takes the directory for this process (a kernel lock on `stamper.lock`, src/durable/file-lock.ts: never
   * left stale by a crash, never held by two) and returns its release. Throws {@link StamperLockedError} while
   * another live stamper holds it.
   */
  lock(): () => void {
    try {
      return lockFile(join(this.#dir, STAMPER_LOCK_FILE));
    } catch (err) {
      if (err instanceof FileLockedError) throw new StamperLockedError(this.#dir, err.holder);
      throw err;
    }
  }

  load(chain: ChainName): StamperState {
    const text = readTextIfPresent(this.path, (reason, cause) => new StamperRoleStateError(this.path, reason, { cause }));
    if (text === undefined) return emptyStamperState(chain);
    const state = decodeStamperState(text, this.path);
    if (state.chain !== chain) throw new StamperRoleStateError(this.path, `it belongs to chain ${state.chain}, not ${chain}`);
    return state;
  }

  save(state: StamperState): void {
    try {
      writeFileDurablySync(this.path, encodeStamperState(state), { mode: 0o640 });
    } catch (err) {
      throw new StamperStateWriteError(this.path, { cause: err });
    }
  }
}
