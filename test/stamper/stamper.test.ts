/**
 * The stamper's decisions, through the library, against a real calendar process taking donated transactions on a
 * real litecoind -regtest node: the cap per transaction and the daily cap stop it and say so; a transaction saved
 * but never posted (a crash in between, here a post that never reaches the calendar) is posted after the restart
 * rather than paid for a second time; a calendar on another chain is left alone.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { startCalendarProcess, tempDir, type CalendarProcess } from '../fixtures/calendar-process.js';
import { until } from '../mirror/fixtures/mirror-process.js';
import { type BitcoinRpc, getChain } from '../../src/bitcoin/index.js';
import type { DonationOffer } from '../../src/anchor/index.js';
import type { FetchFn } from '../../src/net/http-client.js';
import { Stamper, type StamperRoleSettings } from '../../src/stamper/index.js';
import { captureLog, fundedWallet, opReturnTxids } from '../anchor/harness.js';

const regtest = useRegtestNode({ extraArgs: ['-keypool=20'] });

let cal: CalendarProcess;

beforeAll(async () => {
  const n = regtest.node;
  cal = await startCalendarProcess({ tickMs: 100, args: ['--chain', 'regtest', '--rpc-url', n.rpcUrlWithCredentials, '--no-anchor-wallet', '--anchor-external', '--confirmations', '1', '--poll-interval-ms', '100'] });
});

afterAll(async () => {
  expect((await cal.stop()).code).toBe(0);
});

function stamper(wallet: BitcoinRpc, over: Partial<StamperRoleSettings> = {}, o: { dataDir?: string; fetch?: FetchFn } = {}): { stamper: Stamper; dataDir: string; lines: ReturnType<typeof captureLog>['lines'] } {
  const dataDir = o.dataDir ?? tempDir('otsc-stamper-lib-');
  const { log, lines } = captureLog();
  const s = Stamper.open({
    rpc: wallet,
    settings: { calendars: [cal.url], chain: getChain('regtest'), delayMs: 0, maxFeePerTx: 10_000, maxFeePerDay: 100_000, confirmations: 1, pollMs: 100, ...over },
    dataDir,
    log,
    userAgent: 'ots-calendar-test',
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
  return { stamper: s, dataDir, lines };
}

async function offer(): Promise<DonationOffer> {
  return (await (await fetch(`${cal.url}/donate`)).json()) as DonationOffer;
}

/** A new commitment at the calendar, and its tip advertised. */
async function pending(): Promise<void> {
  await fetch(`${cal.url}/digest`, { method: 'POST', body: randomBytes(32) });
  await until(async () => (await offer()).tip !== null, 'a tip advertised', 20_000);
}

async function settle(): Promise<void> {
  await regtest.node.mine(1);
  await until(async () => (await offer()).tip === null && (await offer()).covered.length === 0, 'the anchor', 20_000);
}

describe('the stamper', () => {
  it('stops at the cap per transaction and at the daily cap, and says which', async () => {
    const wallet = await fundedWallet(regtest.node, [10_000_000, 10_000_000]);
    await pending();
    const capped = stamper(wallet, { maxFeePerTx: 50 });
    await capped.stamper.poll();
    expect(capped.stamper.calendars()[0]?.record['decision']).toMatch(/^a transaction needs \d{3} sats, the cap per transaction is 50$/);
    expect(capped.stamper.problems()).toContain('the fee cap is reached: no higher fee is offered');
    expect(await opReturnTxids(wallet)).toEqual([]);
    await capped.stamper.stop();

    const daily = stamper(wallet, { maxFeePerDay: 200, maxFeePerTx: 200 });
    await daily.stamper.poll();
    expect(daily.stamper.status()).toMatchObject({ donationsPaid: 1 });
    const paid = Number(daily.stamper.status()['feesPaid24hSats']);
    expect(paid).toBeGreaterThan(100);
    await settle();
    await pending();
    await daily.stamper.poll();
    expect(daily.stamper.calendars()[0]?.record['decision']).toBe(`the daily fee cap leaves ${200 - paid} sats, a transaction needs ${paid}`);
    expect(daily.stamper.problems()).toContain('the daily fee cap is reached; paying resumes as older fees leave the last 24 hours');
    expect(await opReturnTxids(wallet)).toHaveLength(1);
    await daily.stamper.stop();
    // leave nothing waiting for the next test
    const after = stamper(wallet);
    await after.stamper.poll();
    await after.stamper.stop();
    await settle();
  });

  it('a transaction saved and never posted is posted after the restart, not paid for twice', async () => {
    const wallet = await fundedWallet(regtest.node, [10_000_000]);
    await pending();
    const lost: FetchFn = (url, init) => (init.method === 'POST' ? Promise.reject(new Error('connection reset')) : fetch(url, init));
    const first = stamper(wallet, {}, { fetch: lost });
    await first.stamper.poll();
    expect(first.stamper.state.txs).toMatchObject([{ status: 'built', broadcast: false }]);
    const txid = first.stamper.state.txs[0]?.txid as string;
    await first.stamper.stop();
    expect(await regtest.node.rpc.getMempoolEntry(txid)).toBeNull();

    const again = stamper(wallet, {}, { dataDir: first.dataDir });
    await again.stamper.poll();
    expect(again.stamper.state.txs).toMatchObject([{ txid, status: 'taken', broadcast: true }]);
    expect((await offer()).covered).toMatchObject([{ txid }]);
    await again.stamper.poll();
    expect(again.stamper.state.txs).toHaveLength(1);
    await settle();
    await again.stamper.poll();
    expect(again.stamper.state.txs).toMatchObject([{ txid, status: 'confirmed' }]);
    expect(await opReturnTxids(wallet)).toEqual([txid]);
    expect(again.stamper.status()).toMatchObject({ donationsPaid: 1, refusalsReceived: 0 });
    await again.stamper.stop();
  });

  it('leaves a calendar on another chain alone', async () => {
    const wallet = await fundedWallet(regtest.node, [10_000_000]);
    await pending();
    const other = stamper(wallet, { chain: getChain('litecoin-regtest') });
    await other.stamper.poll();
    expect(other.stamper.calendars()[0]?.record['decision']).toBe('the calendar anchors on regtest, this stamper on litecoin-regtest');
    expect(await opReturnTxids(wallet)).toEqual([]);
    await other.stamper.stop();
    const same = stamper(wallet);
    await same.stamper.poll();
    await same.stamper.stop();
    await settle();
  });
});
