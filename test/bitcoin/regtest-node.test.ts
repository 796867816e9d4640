// The regtest node launcher and the chain check, on real litecoind processes: start-up, wallet, crash and restart, clean-up, no leaked daemons.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CHAINS,
  ChainMismatchError,
  LitecoindNotInstalledError,
  RegtestNode,
  RegtestNodeError,
  UnknownChainError,
  checkGenesis,
  cookieFilePath,
  defaultRpcUrl,
  getChain,
  killAllRegtestNodesSync,
  type Chain,
} from '../../src/bitcoin/index.js';
import { useRegtestNode } from '../fixtures/litecoind.js';

const ltc = useRegtestNode();

/** Litecoin's regtest block 0 (chainparams.cpp), as every Litecoin regtest node has it. */
const LITECOIN_REGTEST_GENESIS = '530827f38f93b43ed12af0b3ad25a288dc02ed74d6d7857862df51fc56c416f9';

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('start-up', () => {
  it('runs a funded wallet on a regtest chain of 101 blocks', async () => {
    const rpc = ltc.node.rpc;
    expect(ltc.node.running).toBe(true);
    expect(await rpc.getBlockCount()).toBe(101);
    expect(await rpc.listWallets()).toContain(ltc.node.walletName);
    expect(await rpc.getBalance()).toBe(50 * 100_000_000); // one mature coinbase
    expect((await rpc.getBalances()).immature).toBe(100 * 50 * 100_000_000);
    expect((await rpc.getAddressInfo(ltc.node.miningAddress)).isMine).toBe(true);
  });

  it('says how to install the daemon when it is missing, and starts nothing', async () => {
    const err = await RegtestNode.start({ binary: 'no-such-litecoind-binary' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LitecoindNotInstalledError);
    expect((err as LitecoindNotInstalledError).code).toBe('litecoind-missing');
    expect((err as Error).message).toContain('apt-get install litecoind');
  });

  it('reports a daemon that exits during start-up (a locked data directory) and leaves no process', async () => {
    const err = await RegtestNode.start({ datadir: ltc.node.datadir, readyTimeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegtestNodeError);
    expect((err as Error).message).toMatch(/exited during start-up/);
    expect((err as Error).message).toMatch(/lock/i);
    // The data directory belonged to the running node: it is still there and the node still answers.
    expect(existsSync(ltc.node.datadir)).toBe(true);
    expect(await ltc.node.rpc.getBlockCount()).toBeGreaterThanOrEqual(101);
  });
});

describe('chain table and genesis check', () => {
  it('accepts a regtest node for both regtest chains, with their attestation kinds', async () => {
    await checkGenesis(ltc.node.rpc, CHAINS.regtest);
    await checkGenesis(ltc.node.rpc, CHAINS['litecoin-regtest']);
    expect(CHAINS.regtest.attestation).toBe('bitcoin');
    expect(CHAINS['litecoin-regtest'].attestation).toBe('litecoin');
    expect(await ltc.node.rpc.getBlockHash(0)).toBe(LITECOIN_REGTEST_GENESIS);
  });

  it('refuses the node for every public chain', async () => {
    for (const name of ['bitcoin', 'testnet', 'testnet4', 'signet', 'litecoin'] as const) {
      const err = await checkGenesis(ltc.node.rpc, CHAINS[name]).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ChainMismatchError);
      expect((err as ChainMismatchError).code).toBe('chain-mismatch');
    }
  });

  it('compares block 0 with the genesis when the network name matches', async () => {
    const pinned: Chain = { ...CHAINS.regtest, genesis: LITECOIN_REGTEST_GENESIS };
    await checkGenesis(ltc.node.rpc, pinned);
    const other: Chain = { ...CHAINS.regtest, genesis: CHAINS.bitcoin.genesis };
    const err = await checkGenesis(ltc.node.rpc, other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChainMismatchError);
    expect((err as Error).message).toContain(LITECOIN_REGTEST_GENESIS);
  });

  it('looks chains up by name and knows where their cookie lives', () => {
    expect(getChain('testnet').cookieDir).toBe('testnet3');
    expect(cookieFilePath(getChain('signet'), '/d')).toBe('/d/signet/.cookie');
    expect(cookieFilePath(getChain('bitcoin'), '/d')).toBe('/d/.cookie');
    expect(cookieFilePath(getChain('litecoin-regtest'), ltc.node.datadir)).toBe(ltc.node.cookieFile);
    expect(defaultRpcUrl(getChain('regtest'))).toBe('http://127.0.0.1:18443');
    expect(() => getChain('dogecoin')).toThrow(UnknownChainError);
    expect(() => getChain('toString')).toThrow(UnknownChainError);
  });
});

describe('lifecycle', () => {
  it('keeps flushed blocks and the wallet across a crash (SIGKILL) and a restart', async () => {
    const node = ltc.node;
    await node.mine(5);
    await node.flush();
    const height = await node.rpc.getBlockCount();
    const balance = await node.rpc.getBalance();
    await node.kill();
    expect(node.running).toBe(false);
    await node.restart();
    expect(node.running).toBe(true);
    expect(await node.rpc.getBlockCount()).toBe(height);
    expect(await node.rpc.getBalance()).toBe(balance);
  });

  it('stops gracefully (the daemon deletes its cookie) and restarts on the same ports', async () => {
    const node = ltc.node;
    const port = node.rpcPort;
    const cookie = readFileSync(node.cookieFile, 'utf8');
    await node.stop();
    expect(node.running).toBe(false);
    expect(existsSync(node.cookieFile)).toBe(false);
    await node.restart();
    expect(node.rpcPort).toBe(port);
    expect(readFileSync(node.cookieFile, 'utf8')).not.toBe(cookie);
    expect(await node.rpc.getBlockCount()).toBeGreaterThanOrEqual(106);
  });

  it('kills every daemon and deletes temporary data when the process exits', async () => {
    expect(process.listeners('exit')).toContain(killAllRegtestNodesSync);
    const extra = await RegtestNode.start({ initialBlocks: 0 });
    expect(extra.running).toBe(true);
    expect(existsSync(extra.datadir)).toBe(true);
    killAllRegtestNodesSync(); // what the 'exit' handler runs: every live daemon, the shared one included
    await until('the daemons to die', () => !extra.running && !ltc.node.running);
    expect(existsSync(extra.datadir)).toBe(false);
    // A temporary data directory is the fixture's; the shared node can still be closed cleanly.
    await extra.close();
  });
});
