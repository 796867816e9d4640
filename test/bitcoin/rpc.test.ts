// The JSON-RPC client against a real litecoind -regtest node: typed calls, wallet paths, both kinds of auth, warm-up, a node that stops, hangs or restarts, retries, and what the node says re-checked.
import { readFileSync, readdirSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  BitcoinRpc,
  BlockHashMismatchError,
  RpcAuthError,
  RpcError,
  RpcResponseError,
  RpcUnavailableError,
  RpcWarmupError,
  TxidMismatchError,
  blockHash,
  internalToDisplayHex,
  nodeHttpTransport,
  type FetchFn,
  type RpcFailure,
} from '../../src/bitcoin/index.js';
import { parseBlockHeader } from '../../src/ots/index.js';
import { useRegtestNode } from '../fixtures/litecoind.js';

const ltc = useRegtestNode();

interface Exchange {
  url: string;
  method: string;
  status?: number;
  body?: string;
  error?: unknown;
}

/** The real transport, with every exchange written to `log`. */
function recording(log: Exchange[], inner: FetchFn = nodeHttpTransport): FetchFn {
  return async (url, init) => {
    const entry: Exchange = { url, method: (JSON.parse(init.body) as { method: string }).method };
    log.push(entry);
    try {
      const res = await inner(url, init);
      const body = await res.text();
      entry.status = res.status;
      entry.body = body;
      return { status: res.status, text: () => Promise.resolve(body) };
    } catch (err) {
      entry.error = err;
      throw err;
    }
  };
}

async function caught(p: Promise<unknown>): Promise<RpcFailure> {
  try {
    await p;
  } catch (err) {
    return err as RpcFailure;
  }
  throw new Error('expected a rejection');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until every thread of `pid` is in scheduler state `state` (Linux /proc): a signal is asynchronous. */
async function waitForState(pid: number, state: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const tids = readdirSync(`/proc/${pid}/task`);
    if (tids.every((t) => readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith(state))) return;
    await sleep(2);
  }
  throw new Error(`process ${pid} never reached state ${state}`);
}

describe('typed calls', () => {
  it('reads chain state and checks it: heights, hashes, raw and verbose headers and blocks', async () => {
    const rpc = ltc.node.rpc;
    const info = await rpc.getBlockchainInfo();
    expect(info.chain).toBe('regtest');
    const height = await rpc.getBlockCount();
    expect(height).toBe(info.blocks);
    expect(height).toBeGreaterThanOrEqual(101);
    const best = await rpc.getBestBlockHash();
    expect(await rpc.getBlockHash(height)).toBe(best);
    expect(await rpc.getBlockHash(height + 1)).toBeNull();

    const verbose = await rpc.getBlockHeader(best);
    const raw = await rpc.getBlockHeaderRaw(best);
    expect(blockHash(raw)).toBe(best);
    const fields = parseBlockHeader(raw);
    expect(internalToDisplayHex(fields.merkleRoot)).toBe(verbose.merkleRoot);
    expect(fields.time).toBe(verbose.time);
    expect(verbose.height).toBe(height);

    const block = await rpc.getBlock(best);
    expect(block.txids).toHaveLength(1); // coinbase only
    expect(block.txids[0]).toBe(verbose.merkleRoot); // a one-tx block's root is its txid
    const rawBlock = await rpc.getBlockRaw(best);
    expect(rawBlock.subarray(0, 80)).toEqual(raw);

    const coinbase = await rpc.getRawTransaction(block.txids[0] ?? '', best);
    expect(coinbase.blockHash).toBe(best);
    expect(coinbase.tx.inputs).toHaveLength(1);
  });

  it('sends wallet calls to /wallet/<name> and the rest to /', async () => {
    const log: Exchange[] = [];
    const rpc = ltc.node.client({ fetch: recording(log) });
    await rpc.getBlockCount();
    const balance = await rpc.getBalance();
    const balances = await rpc.getBalances();
    expect(log.map((e) => [e.method, new URL(e.url).pathname])).toEqual([
      ['getblockcount', '/'],
      ['getbalance', `/wallet/${ltc.node.walletName}`],
      ['getbalances', `/wallet/${ltc.node.walletName}`],
    ]);
    // Amounts are integer satoshis; the node's own decimal text says the same.
    expect(Number.isSafeInteger(balance)).toBe(true);
    expect(log[1]?.body).toMatch(new RegExp(`"result":${Math.floor(balance / 1e8)}\\.${String(balance % 1e8).padStart(8, '0')}`));
    expect(balances.trusted).toBe(balance);

    const unspent = await rpc.listUnspent(0);
    expect(unspent.reduce((s, u) => s + u.amount, 0)).toBe(balance);
    const first = unspent[0];
    if (first === undefined) throw new Error('the wallet has no coins');
    const out = await rpc.getTxOut(first.txid, first.vout);
    expect(out?.value).toBe(first.amount);
    expect(out?.scriptPubKey).toEqual(first.scriptPubKey);
    const addr = await rpc.getAddressInfo(await rpc.getNewAddress('', 'bech32'));
    expect(addr.isMine).toBe(true);
    expect(addr.scriptPubKey[0]).toBe(0x00); // witness v0
    expect(addr.scriptPubKey.length).toBe(22);

    const missing = await caught(ltc.node.client({ wallet: 'no-such-wallet' }).getBalance());
    expect(missing).toBeInstanceOf(RpcError);
    expect((missing as RpcError).rpcCode).toBe(-18);
  });

  it('reads fee settings, estimates, the UTXO set and the wallet history', async () => {
    const rpc = ltc.node.rpc;
    // Regtest has no fee history: no feerate, an explanation instead.
    const estimate = await rpc.estimateSmartFee(2);
    expect(estimate.satPerKvB).toBeUndefined();
    expect(estimate.errors.length).toBeGreaterThan(0);
    expect((await rpc.estimateSmartFee(6, 'CONSERVATIVE')).satPerKvB).toBeUndefined();
    const net = await rpc.getNetworkInfo();
    expect(net.relayFee).toBe(1000); // 0.00001 coin/kvB = 1 sat/vB
    expect(net.incrementalFee).toBe(1000);
    expect(net.subversion).toMatch(/^\/\w+:\d+\.\d+/);

    // Every coinbase is unspent: the UTXO set holds each block's subsidy (regtest halves every 150 blocks).
    const set = await rpc.getTxOutSetInfo();
    expect(set.height).toBe(await rpc.getBlockCount());
    let subsidy = 0;
    for (let h = 1; h <= set.height; h++) subsidy += Math.floor(50 * 100_000_000 / 2 ** Math.floor(h / 150));
    expect(set.totalAmount).toBe(subsidy);
    expect(set.txouts).toBe(set.height);

    const history = await rpc.listTransactions('*', 5);
    expect(history).toHaveLength(5);
    expect(history.every((t) => ['generate', 'immature'].includes(t.category))).toBe(true);
    expect(history.every((t) => t.amount === 50 * 100_000_000)).toBe(true);
  });

  it('re-checks what the node says: a tampered header or transaction is refused', async () => {
    const best = await ltc.node.rpc.getBestBlockHash();
    const txid = (await ltc.node.rpc.getBlock(best)).txids[0] ?? '';
    // A proxy that flips the first digit of the raw data: the last "hex" field (the whole tx in a
    // verbose getrawtransaction) or a string result (a raw header).
    const tamper: FetchFn = async (url, init) => {
      const res = await nodeHttpTransport(url, init);
      const body = await res.text();
      const key = body.includes('"hex":"') ? '"hex":"' : '"result":"';
      const at = body.lastIndexOf(key) + key.length;
      const flipped = body.slice(0, at) + (body[at] === '0' ? '1' : '0') + body.slice(at + 1);
      return { status: res.status, text: () => Promise.resolve(flipped) };
    };
    const rpc = ltc.node.client({ fetch: tamper });
    expect(await caught(rpc.getBlockHeaderRaw(best))).toBeInstanceOf(BlockHashMismatchError);
    expect(await caught(rpc.getRawTransaction(txid, best))).toBeInstanceOf(TxidMismatchError);
  });
});

describe('authentication', () => {
  it('works with the cookie file alone', async () => {
    const rpc = new BitcoinRpc({ url: ltc.node.rpcUrl, cookieFile: ltc.node.cookieFile, wallet: ltc.node.walletName });
    expect(await rpc.getBlockCount()).toBeGreaterThanOrEqual(101);
    expect(readFileSync(ltc.node.cookieFile, 'utf8')).toMatch(/^__cookie__:[0-9a-f]{64}$/);
  });

  it('refuses a wrong password at once, without retrying, and never shows it', async () => {
    const log: Exchange[] = [];
    const secret = 'not-the-password-9f3b';
    const rpc = new BitcoinRpc({ url: `http://ots:${secret}@127.0.0.1:${ltc.node.rpcPort}`, fetch: recording(log) });
    const err = await caught(rpc.getBlockCount());
    expect(err).toBeInstanceOf(RpcAuthError);
    expect(err.code).toBe('rpc-auth');
    expect((err as RpcAuthError).status).toBe(401);
    expect(log).toHaveLength(1);
    expectNoSecret(err, [secret, Buffer.from(`ots:${secret}`).toString('base64')]);
  });

  it('refuses a request without credentials', async () => {
    const err = await caught(new BitcoinRpc({ url: ltc.node.rpcUrl }).getBlockCount());
    expect(err).toBeInstanceOf(RpcAuthError);
  });
});

/** The error, its stack, its cause chain and its JSON never contain any of `secrets`. */
function expectNoSecret(err: unknown, secrets: string[]): void {
  const texts = [String(err), (err as Error).stack ?? '', inspect(err, { depth: 10, showHidden: true }), JSON.stringify(err)];
  for (const secret of secrets) for (const t of texts) expect(t).not.toContain(secret);
}

describe('a node that goes away', () => {
  it('answers a hung node with RpcUnavailableError(timeout) once timeoutMs has passed', async () => {
    const pid = ltc.node.pid;
    if (pid === undefined) throw new Error('node not running');
    const rpc = ltc.node.client({ timeoutMs: 300, retries: 0 });
    process.kill(pid, 'SIGSTOP'); // the kernel still accepts connections; nothing answers
    try {
      await waitForState(pid, 'T');
      const t0 = performance.now();
      const err = await caught(rpc.getBlockCount());
      const ms = performance.now() - t0;
      expect(err).toBeInstanceOf(RpcUnavailableError);
      expect((err as RpcUnavailableError).reason).toBe('timeout');
      expect(ms).toBeGreaterThanOrEqual(290);
      expect(ms).toBeLessThan(1_500);
      expectNoSecret(err, [ltc.node.rpcPassword]);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(await rpc.getBlockCount()).toBeGreaterThanOrEqual(101);
  });

  it('fails fast when stopped, handles -28 while restarting, then the same clients work again (cookie re-read)', async () => {
    const node = ltc.node;
    const password = node.client();
    const cookieLog: Exchange[] = [];
    const cookie = new BitcoinRpc({ url: node.rpcUrl, cookieFile: node.cookieFile, fetch: recording(cookieLog) });
    expect(await cookie.getBlockCount()).toBeGreaterThanOrEqual(101);
    const oldCookie = readFileSync(node.cookieFile, 'utf8');

    await node.stop();
    const quick = node.client({ retries: 0 });
    let t0 = performance.now();
    const refused = await caught(quick.getBlockCount());
    expect(performance.now() - t0).toBeLessThan(200);
    expect(refused).toBeInstanceOf(RpcUnavailableError);
    expect((refused as RpcUnavailableError).reason).toBe('refused');
    t0 = performance.now();
    const retried = await caught(password.getBlockCount()); // default: 3 retries, 100/200/400 ms apart
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(retried).toBeInstanceOf(RpcUnavailableError);
    // Core deletes its cookie on shutdown: a cookie client knows the node is gone without a request.
    const noCookie = await caught(new BitcoinRpc({ url: node.rpcUrl, cookieFile: node.cookieFile, retries: 0 }).getBlockCount());
    expect((noCookie as RpcUnavailableError).reason).toBe('no-cookie');
    expectNoSecret(retried, [node.rpcPassword, Buffer.from(`${node.rpcUser}:${node.rpcPassword}`).toString('base64')]);
    expectNoSecret(noCookie, [oldCookie.split(':')[1] ?? oldCookie]);

    // Poll a restarting node as fast as possible: refused connections, then -28 answers, then success.
    const pollLog: Exchange[] = [];
    const poll = node.client({ retries: 0, fetch: recording(pollLog) });
    const restarting = node.restart();
    const seen: string[] = [];
    for (;;) {
      try {
        await poll.getBlockchainInfo();
        break;
      } catch (err) {
        if (err instanceof RpcWarmupError) seen.push(`warmup: ${err.rpcMessage}`);
        else if (err instanceof RpcUnavailableError) seen.push('unavailable');
        else throw err;
      }
      await sleep(2);
    }
    await restarting;
    const warmups = seen.filter((s) => s.startsWith('warmup: '));
    expect(warmups.length).toBeGreaterThan(0);
    // The node's own start-up stage, e.g. "Loading block index...", "Verifying blocks...", "Done loading".
    expect(warmups.every((s) => s.length > 'warmup: '.length)).toBe(true);
    const warmupBody = pollLog.find((e) => e.status === 500 && e.body?.includes('"code":-28'))?.body;
    if (warmupBody === undefined) throw new Error('no -28 answer recorded');

    // Replaying that real -28 answer (re-addressed to the new request id) in front of the node: a read
    // is retried through it until the node answers; a write is tried once and reports the warm-up.
    let replays = 0;
    let attempts = 0;
    const replay: FetchFn = (url, init) => {
      attempts++;
      if (replays-- > 0) {
        const id = (JSON.parse(init.body) as { id: number }).id;
        const body = warmupBody.replace(/"id":\d+/, `"id":${id}`);
        return Promise.resolve({ status: 500, text: () => Promise.resolve(body) });
      }
      return nodeHttpTransport(url, init);
    };
    const warming = node.client({ fetch: replay, retries: 3, retryDelayMs: 10 });
    replays = 2;
    expect(await warming.getBlockCount()).toBeGreaterThanOrEqual(101);
    expect(attempts).toBe(3);
    replays = 1;
    attempts = 0;
    expect(await caught(warming.generateToAddress(1, node.miningAddress))).toBeInstanceOf(RpcWarmupError);
    expect(attempts).toBe(1);

    expect(await password.getBlockCount()).toBeGreaterThanOrEqual(101);
    expect(await cookie.getBlockCount()).toBeGreaterThanOrEqual(101);
    const newCookie = readFileSync(node.cookieFile, 'utf8');
    expect(newCookie).not.toBe(oldCookie);
    // The cookie client sent the stale cookie once (401), re-read the file and succeeded.
    expect(cookieLog.slice(-2).map((e) => e.status)).toEqual([401, 200]);
  });
});

describe('retry policy', () => {
  it('retries an idempotent read through transient failures, never a write', async () => {
    let failuresLeft = 0;
    let attempts = 0;
    // The real transport behind a connection that drops the first `failuresLeft` requests.
    const flaky: FetchFn = (url, init) => {
      attempts++;
      if (failuresLeft > 0) {
        failuresLeft--;
        return Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      }
      return nodeHttpTransport(url, init);
    };
    const rpc = ltc.node.client({ fetch: flaky, retries: 3, retryDelayMs: 10 });
    failuresLeft = 2;
    attempts = 0;
    expect(await rpc.getBlockCount()).toBeGreaterThanOrEqual(101);
    expect(attempts).toBe(3);

    failuresLeft = 4;
    attempts = 0;
    const gaveUp = await caught(rpc.getBlockCount());
    expect((gaveUp as RpcUnavailableError).reason).toBe('reset');
    expect(attempts).toBe(4); // 1 + 3 retries

    failuresLeft = 1;
    attempts = 0;
    const write = await caught(rpc.generateToAddress(1, ltc.node.miningAddress));
    expect(write).toBeInstanceOf(RpcUnavailableError);
    expect(attempts).toBe(1);
    failuresLeft = 0;
  });

  it('reports a malformed answer as RpcResponseError naming the field', async () => {
    const wrongShape: FetchFn = async (url, init) => {
      const res = await nodeHttpTransport(url, init);
      const body = (await res.text()).replace('"chain":"regtest"', '"chain":5');
      return { status: res.status, text: () => Promise.resolve(body) };
    };
    const err = await caught(ltc.node.client({ fetch: wrongShape }).getBlockchainInfo());
    expect(err).toBeInstanceOf(RpcResponseError);
    expect(err.message).toContain('"chain" expected a string, got 5');
    const notJson: FetchFn = () => Promise.resolve({ status: 200, text: () => Promise.resolve('<html>') });
    expect(await caught(ltc.node.client({ fetch: notJson }).getBlockCount())).toBeInstanceOf(RpcResponseError);
  });
});
