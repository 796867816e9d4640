/** @module Typed failures of a Bitcoin Core JSON-RPC call: the node's own errors, an absent node, refused credentials, a malformed answer. */

/** Numeric error codes Bitcoin Core returns (rpc/protocol.h) that callers act on. */
export const RPC_CODE = {
  MISC_ERROR: -1,
  TYPE_ERROR: -3,
  INVALID_ADDRESS_OR_KEY: -5,
  INVALID_PARAMETER: -8,
  WALLET_NOT_FOUND: -18,
  VERIFY_ERROR: -25,
  VERIFY_REJECTED: -26,
  VERIFY_ALREADY_IN_CHAIN: -27,
  IN_WARMUP: -28,
  METHOD_NOT_FOUND: -32601,
} as const;

export type RpcFailureCode = 'rpc-error' | 'rpc-warmup' | 'rpc-tx-rejected' | 'rpc-unavailable' | 'rpc-auth' | 'rpc-bad-response';

/**
 * Base of every failure raised by the RPC layer. Messages name the method and the endpoint
 * (scheme, host and port) and never a credential: they end up in logs.
 */
export abstract class RpcFailure extends Error {
  abstract readonly code: RpcFailureCode;
  constructor(
    readonly method: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The node answered with a JSON-RPC error object. */
export class RpcError extends RpcFailure {
  readonly code: RpcFailureCode = 'rpc-error';
  constructor(
    method: string,
    readonly rpcCode: number,
    readonly rpcMessage: string,
  ) {
    super(method, `${method}: node error ${rpcCode}: ${rpcMessage}`);
    this.name = 'RpcError';
  }
}

/** -28: the node is up but still loading (block index, wallet, verification). Retry later. */
export class RpcWarmupError extends RpcError {
  override readonly code: RpcFailureCode = 'rpc-warmup';
  constructor(method: string, rpcMessage: string) {
    super(method, RPC_CODE.IN_WARMUP, rpcMessage);
    this.name = 'RpcWarmupError';
  }
}

/**
 * -26: a transaction was refused by mempool policy (e.g. "insufficient fee, rejecting replacement",
 * "min relay fee not met"); raising the fee is the usual answer.
 */
export class RpcTxRejectedError extends RpcError {
  override readonly code: RpcFailureCode = 'rpc-tx-rejected';
  constructor(method: string, rpcMessage: string) {
    super(method, RPC_CODE.VERIFY_REJECTED, rpcMessage);
    this.name = 'RpcTxRejectedError';
  }
}

/** Maps a node error object to the most specific class. */
export function rpcErrorFrom(method: string, rpcCode: number, rpcMessage: string): RpcError {
  if (rpcCode === RPC_CODE.IN_WARMUP) return new RpcWarmupError(method, rpcMessage);
  if (rpcCode === RPC_CODE.VERIFY_REJECTED) return new RpcTxRejectedError(method, rpcMessage);
  return new RpcError(method, rpcCode, rpcMessage);
}

export type UnavailableReason = 'refused' | 'timeout' | 'reset' | 'busy' | 'no-cookie' | 'network';

/**
 * The node could not be reached or went away mid-call: connection refused, timeout, reset, work queue
 * full (503), or no cookie file (Core deletes it on shutdown). For a non-idempotent call such as
 * `sendrawtransaction` the outcome is unknown and must be reconciled.
 */
export class RpcUnavailableError extends RpcFailure {
  readonly code: RpcFailureCode = 'rpc-unavailable';
  constructor(
    method: string,
    readonly reason: UnavailableReason,
    endpoint: string,
    options?: { cause?: unknown },
  ) {
    super(method, `${method}: node at ${endpoint} unavailable (${reason})`, options);
    this.name = 'RpcUnavailableError';
  }
}

/** HTTP 401/403: the credentials (or the cookie, even after re-reading it) were refused. */
export class RpcAuthError extends RpcFailure {
  readonly code: RpcFailureCode = 'rpc-auth';
  constructor(
    method: string,
    readonly status: number,
    endpoint: string,
    detail: string,
  ) {
    super(method, `${method}: node at ${endpoint} refused the credentials (HTTP ${status}; ${detail})`);
    this.name = 'RpcAuthError';
  }
}

/** The node's answer is not what the method returns: wrong JSON shape, a bad field, or not JSON at all. */
export class RpcResponseError extends RpcFailure {
  readonly code: RpcFailureCode = 'rpc-bad-response';
  constructor(method: string, detail: string, options?: { cause?: unknown }) {
    super(method, `${method}: unexpected answer: ${detail}`, options);
    this.name = 'RpcResponseError';
  }
}
