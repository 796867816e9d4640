/**
 * External timestamping with real processes on one real litecoind -regtest node: a calendar with no wallet takes
 * donated transactions, and `ots-calendar stamper` pays for them from its own wallet. The real clients (npm
 * opentimestamps and python-opentimestamps) stamp on the calendar, upgrade from it and verify against the node;
 * the calendar paid nothing; a mirror checking attestations follows the donated anchors. Two stampers with
 * different delays: the first pays, the second does not. No stamper: the calendar's own wallet pays after
 * --external-wait. Kill -9 of the calendar after it took a donated transaction and before its depth: it follows it
 * after the restart and anchors once.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { MAIN, freePort, startCalendarProcess, startServerProcess, tempDir, type CalendarProcess, type ServerProcess } from '../fixtures/calendar-process.js';
import { startMirrorProcess, until } from '../mirror/fixtures/mirror-process.js';
import { DetachedTimestampFile, Timestamp, hexToBytes } from '../../src/ots/index.js';
import type { RegtestNode } from '../../src/bitcoin/index.js';
import type { StatusInfo, StatusValue } from '../../src/http/status-info.js';
import { unlabelledKeys } from '../../src/http/welcome-record.js';
import { Journal } from '../../src/journal/index.js';
import type { DonationOffer } from '../../src/anchor/index.js';
import { fundedWallet, opReturnTxids, verifyProof } from './harness.js';
import { donation } from './donor.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const JS_CLI = join(require.resolve('opentimestamps/package.json'), '..', 'ots-cli.js');
const PY_DRIVER = fileURLToPath(new URL('../fixtures/ots_client_driver.py', import.meta.url));

const regtest = useRegtestNode({ extraArgs: ['-keypool=20'] });

/** A calendar taking donated transactions at depth 2; `extra` adds its own wallet or another wait. */
function calendarArgs(node: RegtestNode, extra: string[] = ['--no-anchor-wallet']): string[] {
  return ['--chain', 'regtest', '--rpc-url', node.rpcUrlWithCredentials, '--anchor-external', '--confirmations', '2', '--poll-interval-ms', '100', ...extra];
}

async function startStamper(node: RegtestNode, wallet: string, calendars: string[], delaySeconds: number): Promise<ServerProcess> {
  const port = await freePort();
  const dataDir = tempDir('otsc-stamper-');
  const args = ['stamper', ...calendars.flatMap((c) => ['--calendar', c]), '--chain', 'regtest', '--rpc-url', node.rpcUrlWithCredentials, '--rpc-wallet', wallet, '--delay', String(delaySeconds), '--poll-interval-ms', '200', '--confirmations', '2', '--max-fee', '5000', '--max-fee-per-day', '50000', '--data-dir', dataDir, '--port', String(port), '--log-format', 'json'];
  return startServerProcess({ args, ready: 'stamper listening', port, dataDir, label: 'stamper' });
}

async function status(base: string): Promise<StatusInfo> {
  return (await (await fetch(`${base}/status`)).json()) as StatusInfo;
}

async function offer(cal: CalendarProcess): Promise<DonationOffer> {
  const r = await fetch(`${cal.url}/donate`);
  expect(r.status).toBe(200);
  expect(r.headers.get('cache-control')).toBe('public, max-age=5');
  return (await r.json()) as DonationOffer;
}

/** POSTs a digest; returns the commitment (hex) its proof ends in at `cal`. */
async function stamp(cal: CalendarProcess): Promise<string> {
  const digest = randomBytes(32);
  const r = await fetch(`${cal.url}/digest`, { method: 'POST', body: digest });
  expect(r.status).toBe(200);
  const [p] = Timestamp.fromBytes(new Uint8Array(await r.arrayBuffer()), digest).allAttestations();
  return Buffer.from(p?.msg ?? []).toString('hex');
}

async function timestampStatus(cal: CalendarProcess, c: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`${cal.url}/timestamp/${c}`);
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()).toString('latin1') };
}

/** Mines a block at a time until every commitment is complete at `cal` (a bounded number of blocks). */
async function mineUntilComplete(node: RegtestNode, cal: CalendarProcess, commitments: string[], maxBlocks = 12): Promise<void> {
  for (let blocks = 0; ; blocks++) {
    const statuses = await Promise.all(commitments.map(async (c) => (await timestampStatus(cal, c)).status));
    if (statuses.every((s) => s === 200)) return;
    if (blocks >= maxBlocks) throw new Error(`not complete after ${maxBlocks} blocks: ${statuses.join(',')}`);
    await node.mine(1);
    await new Promise((res) => setTimeout(res, 800));
  }
}

/** Transactions with an OP_RETURN output in the blocks above `fromHeight`, coinbases aside. */
async function opReturnTxsSince(node: RegtestNode, fromHeight: number): Promise<string[]> {
  const out: string[] = [];
  const best = await node.rpc.getBlockCount();
  for (let h = fromHeight + 1; h <= best; h++) {
    const block = (await node.rpc.call('getblock', [await node.rpc.getBlockHash(h), 2], { idempotent: true })) as { tx: Array<{ txid: string; vout: Array<{ scriptPubKey: { type: string } }> }> };
    for (const tx of block.tx.slice(1)) if (tx.vout.some((o) => o.scriptPubKey.type === 'nulldata')) out.push(tx.txid);
  }
  return out;
}

/** Every commitment in exactly one anchor record of the calendar's journal. */
async function anchorsPerCommitment(dataDir: string): Promise<{ commits: number; covered: Array<[number, number]> }> {
  const journal = await Journal.open({ dir: join(dataDir, 'journal'), log: () => undefined });
  const covered = new Map<number, number>();
  let commits = 0;
  for await (const { record } of journal.scan(0)) {
    if (record.type === 'commit') commits++;
    if (record.type !== 'anchor') continue;
    for (const r of record.anchor.ranges) for (let c = r.start; c < r.end; c++) covered.set(c, (covered.get(c) ?? 0) + 1);
  }
  await journal.close();
  return { commits, covered: [...covered.entries()].sort((a, b) => a[0] - b[0]) };
}

describe('external timestamping', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    const n = regtest.node;
    work = tempDir('otsc-external-');
    mkdirSync(join(work, '.bitcoin'));
    writeFileSync(join(work, '.bitcoin', 'bitcoin.conf'), `rpcuser=${n.rpcUser}\nrpcpassword=${n.rpcPassword}\nrpcconnect=127.0.0.1\nrpcport=${n.rpcPort}\n`);
    env = { ...process.env, HOME: work, NO_PROXY: '127.0.0.1,localhost', http_proxy: '', HTTP_PROXY: '', NODE_NO_WARNINGS: '1' };
  });

  it('a calendar with no wallet and a stamper with its own: the real clients stamp, upgrade and verify; the calendar paid nothing; a mirror follows', async () => {
    const n = regtest.node;
    const stamperWallet = await fundedWallet(n, [20_000_000, 20_000_000]);
    const cal = await startCalendarProcess({ tickMs: 100, args: calendarArgs(n) });
    const stamper = await startStamper(n, stamperWallet.wallet as string, [cal.url], 2);
    const mirror = await startMirrorProcess({ upstream: cal.url, args: ['--rpc-url', n.rpcUrlWithCredentials, '--chain', 'regtest', '--poll-wait-ms', '500'] });
    try {
      const from = await n.rpc.getBlockCount();
      const js = join(work, 'js.txt');
      const py = join(work, 'py.txt');
      writeFileSync(js, 'stamped on a calendar without a wallet, by the JavaScript client\n');
      writeFileSync(py, 'stamped on a calendar without a wallet, by python-opentimestamps\n');
      await run(process.execPath, [JS_CLI, 'stamp', '-c', cal.url, js], { env });
      await run('/usr/bin/python3', [PY_DRIVER, 'stamp', cal.url, py], { env });
      const commitments = [js, py].flatMap((f) =>
        DetachedTimestampFile.fromBytes(readFileSync(`${f}.ots`))
          .timestamp.allAttestations()
          .flatMap(({ msg, attestation }) => (attestation.kind === 'pending' ? [Buffer.from(msg).toString('hex')] : [])),
      );
      expect(commitments).toHaveLength(2);

      // the calendar advertises the tip of what waits; GET /tip serves its 32 bytes
      await until(async () => (await offer(cal)).tip !== null, 'a tip advertised', 20_000);
      const first = await offer(cal);
      const tip = await fetch(`${cal.url}/tip`);
      expect(Buffer.from(await tip.arrayBuffer()).toString('hex')).toBe(first.tip);
      expect(first).toMatchObject({ version: 1, chain: 'regtest', selfPayAt: null, rules: { versions: [1, 2], maxBytes: 1000, maxWeight: 1000, outputTemplates: ['p2wpkh', 'p2wsh', 'p2tr'] } });

      // the stamper pays after its delay; the calendar follows its transactions to the depth
      await until(async () => Number((await status(stamper.url)).stamper?.['donationsPaid']) >= 1, "the stamper's first donation", 30_000);
      await mineUntilComplete(n, cal, commitments);
      for (const c of commitments) expect((await timestampStatus(cal, c)).status).toBe(200);

      const jsUp = await run(process.execPath, [JS_CLI, 'upgrade', '-c', cal.url, `${js}.ots`], { env });
      expect(jsUp.stdout).toContain('Success! Timestamp complete');
      const pyUp = await run('/usr/bin/python3', [PY_DRIVER, 'upgrade', cal.url, `${py}.ots`], { env });
      expect(pyUp.stderr).toContain('Success! Timestamp complete');
      for (const f of [js, py]) {
        const jsVerify = await run(process.execPath, [JS_CLI, 'verify', `${f}.ots`], { env });
        expect(jsVerify.stdout).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
        const pyVerify = await run('/usr/bin/python3', [PY_DRIVER, 'verify', n.rpcUrlWithCredentials, `${f}.ots`], { env });
        expect(pyVerify.stderr).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
      }

      // every timestamp transaction in those blocks is the stamper's: the calendar has no wallet and paid nothing
      const stamped = await opReturnTxsSince(n, from);
      expect(stamped.length).toBeGreaterThanOrEqual(1);
      expect((await opReturnTxids(stamperWallet)).sort()).toEqual(expect.arrayContaining(stamped.sort()));
      const s = await status(cal.url);
      expect(s.recentAnchors?.length).toBeGreaterThanOrEqual(1);
      expect(s.recentAnchors?.every((a) => a.paidBy === 'external' && a.by === 'donated transactions' && stamped.includes(a.txid as string))).toBe(true);
      expect(Number(s.anchoring?.['feesNotPaidSats'])).toBeGreaterThan(0);
      const external = s.anchoringStrategies?.find((x) => x.kind === 'external')?.record;
      expect(Number(external?.['anchorsFromDonations'])).toBeGreaterThanOrEqual(1);
      const page = await (await fetch(`${cal.url}/`)).text();
      expect(page).toContain('<h3>Donated transactions</h3>');
      expect(page).toMatch(/; paid by a donor \(transaction <code>[0-9a-f]{64}<\/code>\), [\d,]+ sats this calendar did not pay<\/li>/);
      expect(page).toContain('<code>POST /donate</code>');
      const calMetrics = await (await fetch(`${cal.url}/metrics`)).text();
      expect(calMetrics).toMatch(/ots_external_donations_total\{source="posted"\} [1-9]/);
      expect(calMetrics).toMatch(/ots_anchors_total\{strategy="donated transactions"\} [1-9]/);

      // the stamper's page, metrics and readiness: donations, fees, each calendar's health; every key labelled
      const st = await status(stamper.url);
      expect(st.role).toBe('stamper');
      expect(st.stamper).toMatchObject({ nodeReachable: true, calendarsAnswering: 1, delaySeconds: 2, maxFeeSats: 5000, maxFeePerDaySats: 50000 });
      expect(Number(st.stamper?.['feesPaidSats'])).toBeGreaterThan(0);
      expect(st.stamperCalendars?.[0]).toMatchObject({ url: cal.url, record: { calendarAnswering: true } });
      for (const record of [st.stamper, ...(st.stamperCalendars ?? []).map((c) => c.record), ...(s.anchoringStrategies ?? []).map((x) => x.record), s.anchoring].filter((r): r is Record<string, StatusValue> => r !== undefined)) {
        expect(unlabelledKeys(record), Object.keys(record).join(', ')).toEqual([]);
      }
      const stMetrics = await (await fetch(`${stamper.url}/metrics`)).text();
      expect(stMetrics).toMatch(new RegExp(`ots_stamper_donations_total\\{calendar="${cal.url.replace(/[.]/g, '\\.')}"\\} [1-9]`));
      expect(stMetrics).toMatch(/ots_stamper_fees_spent_sats_total [1-9]/);
      expect(stMetrics).toMatch(/ots_stamper_calendar_answering\{calendar="[^"]+"\} 1/);
      expect((await fetch(`${stamper.url}/readyz`)).status).toBe(200);
      const stPage = await (await fetch(`${stamper.url}/`)).text();
      expect(stPage).toContain('<h1>OpenTimestamps stamper</h1>');
      const donate = await (await fetch(`${cal.url}/donate`)).text();
      const refusal = await (await fetch(`${cal.url}/donate`, { method: 'POST', body: new Uint8Array(randomBytes(80)) })).text();
      for (const secret of [n.rpcPassword, `:${n.rpcPort}`, `${n.rpcUser}:`, stamperWallet.wallet as string, stamper.dataDir, cal.dataDir]) {
        for (const text of [stPage, JSON.stringify(st), stMetrics, donate, refusal, page]) expect(text.includes(secret), secret).toBe(false);
      }

      // a mirror checking attestations against the node follows the donated anchors as any other
      await until(async () => (await timestampStatus(mirror as CalendarProcess, commitments[1] as string)).status === 200, 'the mirror to serve the proof', 20_000);
      const m = (await status(mirror.url)) as StatusInfo & { mirror: { following: boolean; failureCode: string | null } };
      expect(m.mirror).toMatchObject({ following: true, failureCode: null });
      for (const c of commitments) expect((await timestampStatus(mirror as CalendarProcess, c)).body).toBe((await timestampStatus(cal, c)).body);
    } finally {
      await mirror.stop();
      expect((await stamper.stop()).code).toBe(0);
      expect((await cal.stop()).code).toBe(0);
    }
  });

  it('two stampers with different delays: the first one pays and its transaction anchors, the second does not pay', async () => {
    const n = regtest.node;
    const quick = await fundedWallet(n, [20_000_000]);
    const slow = await fundedWallet(n, [20_000_000]);
    const cal = await startCalendarProcess({ tickMs: 100, args: calendarArgs(n) });
    const a = await startStamper(n, quick.wallet as string, [cal.url], 2);
    const b = await startStamper(n, slow.wallet as string, [cal.url], 8);
    try {
      const c = await stamp(cal);
      await until(async () => (await offer(cal)).tip !== null, 'a tip advertised', 20_000);
      const since = Date.parse((await offer(cal)).since as string);
      await until(async () => (await opReturnTxids(quick)).length === 1, "the first stamper's transaction", 20_000);
      expect((await offer(cal)).covered).toMatchObject([{ txid: (await opReturnTxids(quick))[0] }]);
      // past the second one's delay, and a few of its looks at the calendar after that
      await until(async () => Date.now() > since + 8_000 && Date.parse(String((await status(b.url)).stamperCalendars?.[0]?.record['lastAnswerAt'])) > since + 9_000, 'the second stamper past its delay', 30_000);
      expect(await opReturnTxids(slow)).toEqual([]);
      await mineUntilComplete(n, cal, [c]);
      expect((await status(cal.url)).recentAnchors?.[0]).toMatchObject({ paidBy: 'external', txid: (await opReturnTxids(quick))[0] });
      expect(await opReturnTxids(slow)).toEqual([]);
      expect((await status(b.url)).stamper).toMatchObject({ donationsPaid: 0, feesPaidSats: 0 });
      expect((await status(a.url)).stamper).toMatchObject({ donationsPaid: 1 });
    } finally {
      expect((await a.stop()).code).toBe(0);
      expect((await b.stop()).code).toBe(0);
      expect((await cal.stop()).code).toBe(0);
    }
  });

  it("no stamper: the calendar's own wallet pays after --external-wait; a late transaction for that tip is refused as expired", async () => {
    const n = regtest.node;
    const own = await fundedWallet(n, [20_000_000]);
    const donor = await fundedWallet(n, [20_000_000]);
    const cal = await startCalendarProcess({ tickMs: 100, args: calendarArgs(n, ['--rpc-wallet', own.wallet as string, '--min-tx-interval', '0', '--external-wait', '3']) });
    try {
      const c = await stamp(cal);
      await until(async () => (await offer(cal)).tip !== null, 'a tip advertised', 20_000);
      const o = await offer(cal);
      expect(Date.parse(o.selfPayAt as string)).toBe(Date.parse(o.since as string) + 3_000);
      await until(async () => (await opReturnTxids(own)).length === 1, "the calendar's own transaction", 20_000);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(o.since as string) + 3_000);
      const late = await donation(donor, hexToBytes(o.tip as string));
      const r = await fetch(`${cal.url}/donate`, { method: 'POST', body: late.raw });
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ accepted: false, code: 'tip-expired', reason: expect.stringMatching(/no transaction came in time and its commitments went to another strategy$/) as string });
      await mineUntilComplete(n, cal, [c]);
      expect((await status(cal.url)).recentAnchors?.[0]).toMatchObject({ paidBy: 'wallet', by: 'wallet', feeNotPaidSats: 0 });
    } finally {
      expect((await cal.stop()).code).toBe(0);
    }
  });

  it('kill -9 of the calendar after it took a donated transaction, and again before its depth: it follows it after each restart and anchors once', async () => {
    const n = regtest.node;
    const donor = await fundedWallet(n, [20_000_000]);
    const args = calendarArgs(n);
    const first = await startCalendarProcess({ tickMs: 100, args });
    const commitments = [await stamp(first), await stamp(first)];
    await until(async () => (await offer(first)).commitments === 2, 'both under the tip', 30_000);
    const d = await donation(donor, hexToBytes((await offer(first)).tip as string));
    const taken = await fetch(`${first.url}/donate`, { method: 'POST', body: d.raw });
    expect(taken.status).toBe(200);
    first.kill('SIGKILL');
    await first.exited;

    const second = await startCalendarProcess({ dataDir: first.dataDir, port: first.port, tickMs: 100, args });
    await until(async () => (await offer(second)).covered.some((x) => x.txid === d.txid), 'the donation followed after the restart', 20_000);
    expect((await timestampStatus(second, commitments[0] as string)).body).toBe(`Pending confirmation in Bitcoin blockchain; in donated transaction ${d.txid}`);
    await n.mine(1);
    await until(async () => (await timestampStatus(second, commitments[1] as string)).body === `Timestamped by donated transaction ${d.txid}; 1 of 2 confirmations`, 'one confirmation', 20_000);
    second.kill('SIGKILL');
    await second.exited;
    await n.mine(1); // while it is down

    const third = await startCalendarProcess({ dataDir: first.dataDir, port: first.port, tickMs: 100, args });
    try {
      await until(async () => (await timestampStatus(third, commitments[0] as string)).status === 200, 'the anchor after the restart', 20_000);
      for (const c of commitments) {
        const r = await fetch(`${third.url}/timestamp/${c}`);
        expect((await verifyProof(n, hexToBytes(c), new Uint8Array(await r.arrayBuffer()))).height).toBeGreaterThan(0);
      }
      expect((await status(third.url)).recentAnchors).toMatchObject([{ paidBy: 'external', txid: d.txid }]);
    } finally {
      expect((await third.stop()).code).toBe(0);
    }
    expect(await anchorsPerCommitment(first.dataDir)).toEqual({ commits: 2, covered: [[0, 1], [1, 1]] });
  });

  it('check-config --role stamper takes the example and names every missing or conflicting option', async () => {
    const ok = await run(process.execPath, [MAIN, 'check-config', '--role', 'stamper', '--config', fileURLToPath(new URL('../../contrib/ots-calendar-stamper.conf', import.meta.url))]);
    expect(ok.stdout).toContain('configuration OK for stamper');
    const bad = await run(process.execPath, [MAIN, 'check-config', '--role', 'stamper', '--max-fee', '2000', '--max-fee-per-day', '1000', '--delay', 'soon']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"calendar" is required');
    expect(bad.stderr).toContain('"max-fee" (2000 sats) is above "max-fee-per-day" (1000 sats)');
    expect(bad.stderr).toContain('--delay: "delay" must be a whole number, got "soon"');
  });
});
