// startAnchoring from settings built from resolved configuration, against a real litecoind -regtest: off without a chain, refuses a node on another chain or inconsistent options, starts beside an unreachable node, and anchors on its own poll loop without ever logging the RPC password.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ANCHOR_OPTIONS, anchorSettings } from '../../src/cli/anchor-options.js';
import { ConfigError, resolveConfig, type OptionSpec } from '../../src/cli/config.js';
import { type Anchoring, StamperStateError, StateStore, emptyState, startAnchoring } from '../../src/anchor/index.js';
import { ChainMismatchError } from '../../src/bitcoin/index.js';
import type { AnchorSettings } from '../../src/anchor/index.js';
import { bytesToHex } from '../../src/ots/index.js';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { captureLog, commit, fundedWallet, linesWith, openCalendar } from './harness.js';

const h = useRegtestNode({ extraArgs: ['-keypool=20'] });

/** The anchoring settings the calendar command builds from these flags; throws ConfigError as it would. */
function settingsOf(args: string[]): AnchorSettings | undefined {
  const { settings, problems } = anchorSettings(resolveConfig(ANCHOR_OPTIONS, 'calendar', args, { env: {} }).config);
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

/** The wallet strategy's public record, as /status shows it. */
function walletRecord(anchoring: Anchoring): Record<string, unknown> {
  const w = anchoring.report().strategies.find((x) => x.kind === 'wallet');
  if (w === undefined) throw new Error('no wallet strategy');
  return w.record;
}

async function until(pred: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('anchoring options', () => {
  it('has the documented defaults, marks the URL secret, and checks each value', () => {
    const c = resolveConfig(ANCHOR_OPTIONS, 'calendar', ['--chain', 'regtest'], { env: {} }).config;
    expect(c).toMatchObject({ chain: 'regtest', confirmations: 6, 'min-tx-interval': 3600, 'fee-rate': 1, 'fee-increment': 1, 'max-fee-rate': 500, 'max-fee': 100_000, 'max-commitments-per-tx': 100_000, 'poll-interval-ms': 1000 });
    expect((ANCHOR_OPTIONS as readonly OptionSpec[]).find((o) => o.key === 'rpc-url')?.secret).toBe(true);
    for (const o of ANCHOR_OPTIONS) {
      expect(o.help.length).toBeGreaterThan(10);
      expect(o.commands).toEqual(['calendar']);
    }
    for (const bad of [['--chain', 'dogecoin'], ['--confirmations', '0'], ['--rpc-url', 'ftp://x'], ['--explorer-url', 'nope'], ['--max-fee', '0'], ['--rpc-wallet', 'a\u0001b'], ['--poll-interval-ms', '10']]) {
      expect(() => settingsOf(bad)).toThrow(ConfigError);
    }
    try {
      settingsOf(['--rpc-url', 'ftp://user:hunter2@host']);
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});

describe('startAnchoring', () => {
  it('is off without a chain', async () => {
    const cal = await openCalendar();
    const { log, lines } = captureLog();
    expect(await startAnchoring({ settings: settingsOf([]), calendar: cal.calendar, dataDir: cal.dataDir, log })).toBeUndefined();
    expect(linesWith(lines, 'anchoring off')).toHaveLength(1);
    await cal.close();
  });

  it('refuses inconsistent fee options, a node on another chain, and a state file of another chain', async () => {
    const cal = await openCalendar();
    const { log } = captureLog();
    const url = h.node.rpcUrlWithCredentials;
    expect(() => settingsOf(['--chain', 'regtest', '--fee-rate', '10', '--max-fee-rate', '5'])).toThrow(ConfigError);
    for (const chain of ['bitcoin', 'testnet', 'litecoin']) {
      await expect(startAnchoring({ settings: settingsOf(['--chain', chain, '--rpc-url', url]), calendar: cal.calendar, dataDir: cal.dataDir, log })).rejects.toThrow(ChainMismatchError);
    }
    new StateStore(cal.dataDir.stateDir).save(emptyState('litecoin-regtest'));
    await expect(startAnchoring({ settings: settingsOf(['--chain', 'regtest', '--rpc-url', url]), calendar: cal.calendar, dataDir: cal.dataDir, log })).rejects.toThrow(StamperStateError);
    await cal.close();
  });

  it('starts beside a node that is not there, and says so', async () => {
    const cal = await openCalendar();
    const { log, lines } = captureLog();
    const config = settingsOf(['--chain', 'regtest', '--rpc-url', `http://u:p@127.0.0.1:${await closedPort()}`, '--poll-interval-ms', '50']);
    const anchoring = await startAnchoring({ settings: config, calendar: cal.calendar, dataDir: cal.dataDir, log });
    if (anchoring === undefined) throw new Error('anchoring did not start');
    await until(() => walletRecord(anchoring)['problems'] === 'node-unavailable');
    expect(walletRecord(anchoring)).toMatchObject({ nodeReachable: false, chain: 'regtest' });
    expect(linesWith(lines, 'node not reachable at start')).toHaveLength(1);
    await anchoring.stop();
    await cal.close();
  });

  it('polls on its own, anchors, shows its wallet balance, never logs the password; stop() gives the 404 reasons back', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const { log, lines } = captureLog();
    const config = settingsOf([
      '--chain', 'regtest',
      '--rpc-url', h.node.rpcUrlWithCredentials,
      '--rpc-wallet', wallet.wallet as string,
      '--confirmations', '2',
      '--min-tx-interval', '0',
      '--poll-interval-ms', '50',
    ]);
    // Committed first: the poll loop would otherwise start a cycle between two commits.
    const cs = await commit(cal, 3);
    const anchoring = await startAnchoring({ settings: config, calendar: cal.calendar, dataDir: cal.dataDir, log });
    if (anchoring === undefined) throw new Error('anchoring did not start');
    await until(() => anchoring.tip() !== undefined);
    const status = walletRecord(anchoring);
    const txid = String(status['unconfirmedTxid']);
    expect(status).toMatchObject({ chain: 'regtest', walletBalanceSats: 10_000_000, rpcErrors: 0, tip: bytesToHex(anchoring.tip() as Uint8Array) });
    // public: no node address, no wallet name
    expect(Object.keys(status)).not.toContain('node');
    expect(Object.keys(status)).not.toContain('wallet');
    expect(cal.calendar.answer(cs[0] as Uint8Array)).toMatchObject({ reason: `Pending confirmation in Bitcoin blockchain; in unconfirmed transaction ${txid}` });

    // A version is recorded (and shown) before it is broadcast: mine once the node has it.
    await until(async () => (await wallet.getMempoolEntry(txid)) !== null);
    await h.node.mine(2);
    await until(() => cal.calendar.answer(cs[2] as Uint8Array).kind === 'complete');
    await anchoring.stop();
    await anchoring.stop();
    const [late] = await commit(cal, 1);
    expect(cal.calendar.answer(late as Uint8Array)).toMatchObject({ reason: 'Pending confirmation in Bitcoin blockchain' });
    expect(JSON.stringify(lines)).not.toContain(h.node.rpcPassword);
    expect(JSON.stringify(walletRecord(anchoring))).not.toContain(h.node.rpcPassword);
    expect(linesWith(lines, 'anchoring on')).toHaveLength(1);
    await cal.close();
  });
});
