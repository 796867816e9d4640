// Conditions: each problem logged once when it starts and once when it ends; failures mapped to their condition without leaking credentials.
import { describe, expect, it } from 'vitest';
import { Conditions, StateWriteError, WalletSigningError, conditionOf } from '../../src/anchor/index.js';
import { ChainMismatchError, RpcAuthError, RpcResponseError, RpcUnavailableError, RpcWarmupError, rpcErrorFrom } from '../../src/bitcoin/index.js';
import { captureLog } from './harness.js';

describe('conditions', () => {
  it('logs a condition once however often it is raised, and once when it clears', () => {
    let now = 1_000;
    const { log, lines } = captureLog();
    const c = new Conditions(log, () => now);
    for (let i = 0; i < 5; i++) c.raise('wallet-empty', 'warn', `no funds (try ${i})`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'no funds (try 0)', condition: 'wallet-empty' });
    expect(c.get('wallet-empty')?.message).toBe('no funds (try 4)'); // the status shows the latest word
    now = 61_000;
    c.clear('wallet-empty');
    c.clear('wallet-empty');
    c.clear('fee-cap');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'info', msg: 'resolved: no funds (try 4)', seconds: 60 });
    expect(c.list()).toEqual([]);
  });

  it.each([
    [new RpcUnavailableError('getblockcount', 'refused', 'http://127.0.0.1:1'), 'node-unavailable', 'warn'],
    [new RpcWarmupError('getblockcount', 'Loading block index'), 'node-warmup', 'info'],
    [new RpcAuthError('getblockcount', 401, 'http://127.0.0.1:1', 'URL credentials'), 'node-auth', 'error'],
    [rpcErrorFrom('listunspent', -18, 'Requested wallet does not exist or is not loaded'), 'wallet-not-loaded', 'warn'],
    [rpcErrorFrom('getblock', -5, 'Block not found'), 'node-error', 'warn'],
    [new RpcResponseError('getblock', 'not JSON'), 'node-error', 'warn'],
    [new ChainMismatchError('bitcoin', 'node reports network "regtest"'), 'chain-mismatch', 'error'],
    [new StateWriteError('/x/state/anchor-wallet.json'), 'state-write', 'error'],
    [new WalletSigningError('wallet locked'), 'sign-failed', 'error'],
    [new RangeError('bug'), 'internal', 'error'],
  ] as const)('%s → %s', (err, code, level) => {
    const got = conditionOf(err, 'http://127.0.0.1:8332');
    expect(got).toMatchObject({ code, level });
    expect(got.message).not.toMatch(/@/);
  });
});
