/** @module Problems the stamper is living with (node away, wallet empty, fee cap…): each logged once when it starts and once when it ends, never once per poll, and listed in the status. */
import { ChainMismatchError, RPC_CODE, RpcAuthError, RpcError, RpcFailure, RpcUnavailableError, RpcWarmupError } from '../bitcoin/index.js';
import type { Log, LogFields } from '../log/log.js';
import { StateWriteError, WalletSigningError } from './errors.js';

export type ConditionCode =
  | 'node-unavailable'
  | 'node-warmup'
  | 'node-auth'
  | 'node-error'
  | 'chain-mismatch'
  | 'wallet-not-loaded'
  | 'wallet-load-failed'
  | 'wallet-empty'
  | 'fee-cap'
  | 'tx-rejected'
  | 'sign-failed'
  | 'state-write'
  | 'anchor-failed'
  | 'upstream-unreachable'
  | 'upstream-refused'
  | 'upstream-proof-refused'
  | 'upstream-late'
  | 'donation-stalled'
  | 'donation-in-block-refused'
  | 'daily-cap'
  | 'calendars-unreachable'
  | 'tx-unfit'
  | 'internal';

/**
 * What each condition means, in words any visitor may read: no node address, wallet name or error detail
 * (those go to the log, which only the operator reads).
 */
export const CONDITION_TEXT: Readonly<Record<ConditionCode, string>> = {
  'node-unavailable': 'the node does not answer; anchoring resumes when it does, digests are still taken',
  'node-warmup': 'the node is starting up',
  'node-auth': 'the node refuses the calendar\'s credentials',
  'node-error': 'the node answered a call with an error',
  'chain-mismatch': 'the node is on another chain than configured; anchoring stopped',
  'wallet-not-loaded': 'the wallet is not loaded in the node',
  'wallet-load-failed': 'the node cannot load the wallet (does it exist?)',
  'wallet-empty': 'the wallet has nothing to spend',
  'fee-cap': 'the fee cap is reached: no higher fee is offered',
  'tx-rejected': 'the node refused the timestamp transaction',
  'sign-failed': 'the wallet could not sign the timestamp transaction',
  'state-write': 'the anchoring state cannot be written; nothing is sent until it can',
  'anchor-failed': 'a mined transaction could not be turned into proofs yet',
  'upstream-unreachable': 'the master calendar does not answer',
  'upstream-refused': 'the master calendar refused the submission',
  'upstream-proof-refused': "the master calendar's proof was refused; its commitments went to the next strategy",
  'upstream-late': 'the master calendar did not complete a proof in time; its commitments went to the next strategy',
  'donation-stalled': 'a donated transaction was not mined in time; its commitments went to the next strategy',
  'donation-in-block-refused': 'a transaction carrying an advertised tip reached a block but breaks the rules; it is not used',
  'daily-cap': 'the daily fee cap is reached; paying resumes as older fees leave the last 24 hours',
  'calendars-unreachable': 'no calendar answers',
  'tx-unfit': "the wallet's transaction would break a calendar's rules (see the log); nothing is paid",
  internal: 'an anchoring step failed unexpectedly',
};

export interface Condition {
  code: ConditionCode;
  message: string;
  /** Unix ms. */
  since: number;
}

/** Mutated only by the stamper's poll (one at a time), read by status and the pending reasons. */
export class Conditions {
  readonly #log: Log;
  readonly #now: () => number;
  readonly #active = new Map<ConditionCode, Condition>();

  constructor(log: Log, now: () => number = Date.now) {
    this.#log = log;
    this.#now = now;
  }

  /** Starts a condition: logged at `level` only if it was not already active. */
  raise(code: ConditionCode, level: 'info' | 'warn' | 'error', message: string, fields: LogFields = {}): void {
    const current = this.#active.get(code);
    if (current !== undefined) {
      current.message = message;
      return;
    }
    this.#active.set(code, { code, message, since: this.#now() });
    this.#log(level, message, { condition: code, ...fields });
  }

  /** Ends a condition, logging that it is over if it was active. */
  clear(code: ConditionCode, message?: string): void {
    const current = this.#active.get(code);
    if (current === undefined) return;
    this.#active.delete(code);
    this.#log('info', message ?? `resolved: ${current.message}`, { condition: code, seconds: Math.round((this.#now() - current.since) / 1000) });
  }

  has(code: ConditionCode): boolean {
    return this.#active.has(code);
  }

  get(code: ConditionCode): Condition | undefined {
    return this.#active.get(code);
  }

  list(): Condition[] {
    return [...this.#active.values()];
  }
}

/** The condition a failed poll stands for, with how loudly and what to say; `endpoint` never has credentials. */
export function conditionOf(err: unknown, endpoint: string): { code: ConditionCode; level: 'info' | 'warn' | 'error'; message: string } {
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof RpcUnavailableError) return { code: 'node-unavailable', level: 'warn', message: `node ${endpoint} unavailable (${err.reason}); anchoring resumes when it answers, intake continues` };
  if (err instanceof RpcWarmupError) return { code: 'node-warmup', level: 'info', message: `node ${endpoint} is starting up` };
  if (err instanceof RpcAuthError) return { code: 'node-auth', level: 'error', message: msg };
  if (err instanceof RpcError && err.rpcCode === RPC_CODE.WALLET_NOT_FOUND) return { code: 'wallet-not-loaded', level: 'warn', message: `the wallet is not loaded in node ${endpoint}; loading it` };
  if (err instanceof ChainMismatchError) return { code: 'chain-mismatch', level: 'error', message: `${msg}; anchoring stopped` };
  if (err instanceof StateWriteError) return { code: 'state-write', level: 'error', message: `${msg}; nothing is sent until it can be written` };
  if (err instanceof WalletSigningError) return { code: 'sign-failed', level: 'error', message: msg };
  if (err instanceof RpcFailure) return { code: 'node-error', level: 'warn', message: msg };
  return { code: 'internal', level: 'error', message: `anchoring step failed: ${msg}` };
}
