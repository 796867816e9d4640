/**
 * Collaborative timestamping with real processes on one real litecoind -regtest node: a master calendar pays
 * with its wallet, followers submit their tips to it as ordinary digests and take its complete proofs, checked
 * against the node. The real clients stamp on a follower, upgrade from it and verify; the chain holds one
 * timestamp transaction for all the calendars, and the followers' wallets send nothing. A mirror checking
 * attestations follows the follower's anchors; masters are tried in their order; a master that stops is replaced by the follower's wallet within
 * the timeout, and taken again at the next cycle once it is back.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { startCalendarProcess, tempDir, type CalendarProcess } from '../fixtures/calendar-process.js';
import { startMirrorProcess, until } from '../mirror/fixtures/mirror-process.js';
import { DetachedTimestampFile, Timestamp } from '../../src/ots/index.js';
import type { BitcoinRpc, RegtestNode } from '../../src/bitcoin/index.js';
import type { StatusInfo } from '../../src/http/status-info.js';
import { Journal } from '../../src/journal/index.js';
import { fundedWallet, mineEmpty, opReturnTxids } from './harness.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const JS_CLI = join(require.resolve('opentimestamps/package.json'), '..', 'ots-cli.js');
const PY_DRIVER = fileURLToPath(new URL('../fixtures/ots_client_driver.py', import.meta.url));

const regtest = useRegtestNode({ extraArgs: ['-keypool=20'] });

/** A calendar paying with its own wallet `wallet`, anchoring at depth 2 as soon as commitments wait. */
function walletArgs(node: RegtestNode, wallet: string): string[] {
  return ['--chain', 'regtest', '--rpc-url', node.rpcUrlWithCredentials, '--rpc-wallet', wallet, '--confirmations', '2', '--min-tx-interval', '0', '--poll-interval-ms', '100'];
}

/** A follower of `master`, with `wallet` as its fallback. */
function followerArgs(node: RegtestNode, wallet: string, master: string, extra: string[] = []): string[] {
  return [...walletArgs(node, wallet), '--anchor-upstream', master, '--anchor-upstream-poll-ms', '200', ...extra];
}

/** Transactions with an OP_RETURN output in the blocks above `fromHeight`, coinbases (their witness commitment) aside. */
async function opReturnTxsSince(node: RegtestNode, fromHeight: number): Promise<string[]> {
  const out: string[] = [];
  const best = await node.rpc.getBlockCount();
  for (let h = fromHeight + 1; h <= best; h++) {
    const hash = await node.rpc.getBlockHash(h);
    const block = (await node.rpc.call('getblock', [hash, 2], { idempotent: true })) as { tx: Array<{ txid: string; vout: Array<{ scriptPubKey: { type: string } }> }> };
    for (const tx of block.tx.slice(1)) if (tx.vout.some((o) => o.scriptPubKey.type === 'nulldata')) out.push(tx.txid);
  }
  return out;
}

/** POSTs a digest; returns the commitment (hex) its proof ends in at `cal`. */
async function stamp(cal: CalendarProcess): Promise<string> {
  const digest = randomBytes(32);
  const r = await fetch(`${cal.url}/digest`, { method: 'POST', body: digest });
  expect(r.status).toBe(200);
  const [p] = Timestamp.fromBytes(new Uint8Array(await r.arrayBuffer()), digest).allAttestations();
  return Buffer.from(p?.msg ?? []).toString('hex');
}

/** Mines a block at a time until every commitment is complete at `cal` (a bounded number of blocks). */
async function mineUntilComplete(node: RegtestNode, cal: CalendarProcess, commitments: string[], maxBlocks = 12): Promise<void> {
  for (let blocks = 0; ; blocks++) {
    const statuses = await Promise.all(commitments.map(async (c) => (await fetch(`${cal.url}/timestamp/${c}`).then(async (r) => (await r.arrayBuffer(), r.status)))));
    if (statuses.every((s) => s === 200)) return;
    if (blocks >= maxBlocks) throw new Error(`not complete after ${maxBlocks} blocks: ${statuses.join(',')}`);
    await node.mine(1);
    await new Promise((res) => setTimeout(res, 700));
  }
}

/** The follower's commitments covered by tips its first master has acknowledged and not yet anchored. */
async function submitted(cal: CalendarProcess): Promise<number> {
  return Number((await status(cal)).anchoringStrategies?.find((x) => x.kind === 'upstream')?.record['commitmentsSubmitted'] ?? 0);
}

/** Commitments in the master's unconfirmed transaction. */
function masterHolds(s: StatusInfo): number {
  return Number(s.anchoringStrategies?.find((x) => x.kind === 'wallet')?.record['unconfirmedCommitments'] ?? 0);
}

async function status(cal: CalendarProcess): Promise<StatusInfo> {
  return (await (await fetch(`${cal.url}/status`)).json()) as StatusInfo;
}

describe('one transaction for many calendars', () => {
  let master: CalendarProcess;
  let masterWallet: BitcoinRpc;
  let work: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const n = regtest.node;
    masterWallet = await fundedWallet(n, [50_000_000]);
    master = await startCalendarProcess({ tickMs: 100, args: walletArgs(n, masterWallet.wallet as string) });
    work = tempDir('otsc-collab-');
    mkdirSync(join(work, '.bitcoin'));
    writeFileSync(join(work, '.bitcoin', 'bitcoin.conf'), `rpcuser=${n.rpcUser}\nrpcpassword=${n.rpcPassword}\nrpcconnect=127.0.0.1\nrpcport=${n.rpcPort}\n`);
    env = { ...process.env, HOME: work, NO_PROXY: '127.0.0.1,localhost', http_proxy: '', HTTP_PROXY: '', NODE_NO_WARNINGS: '1' };
  });
  afterAll(async () => {
    expect((await master.stop()).code).toBe(0);
  });

  it('the real clients stamp on a follower, upgrade from it and verify; the master made the only transaction', async () => {
    const n = regtest.node;
    const followerWallet = await fundedWallet(n, [10_000_000]);
    const follower = await startCalendarProcess({ tickMs: 100, args: followerArgs(n, followerWallet.wallet as string, master.url) });
    const mirror = await startMirrorProcess({ upstream: follower.url, args: ['--rpc-url', n.rpcUrlWithCredentials, '--chain', 'regtest', '--poll-wait-ms', '500'] });
    try {
      const from = await n.rpc.getBlockCount();
      const js = join(work, 'js.txt');
      const py = join(work, 'py.txt');
      writeFileSync(js, 'stamped on a follower by the JavaScript client\n');
      writeFileSync(py, 'stamped on a follower by python-opentimestamps\n');
      await run(process.execPath, [JS_CLI, 'stamp', '-c', follower.url, js], { env });
      await run('/usr/bin/python3', [PY_DRIVER, 'stamp', follower.url, py], { env });
      const commitments = [js, py].flatMap((f) =>
        DetachedTimestampFile.fromBytes(readFileSync(`${f}.ots`))
          .timestamp.allAttestations()
          .flatMap(({ msg, attestation }) => (attestation.kind === 'pending' ? [Buffer.from(msg).toString('hex')] : [])),
      );
      expect(commitments).toHaveLength(2);

      // the follower submits its tips to the master (one or two: a tip covers every commitment waiting at the
      // cycle), which puts them in its transaction (an empty block lets it replace the first version with one that
      // holds all of them, as it does at each new block)
      await until(async () => (await submitted(follower)) >= 2 && (await fetch(`${master.url}/tip`)).status === 200, 'both commitments submitted to the master', 60_000);
      const made = (await status(master)).commitments;
      await mineEmpty(n);
      await until(async () => masterHolds(await status(master)) >= made, "the master's transaction to hold every tip", 60_000);
      const reason = await (await fetch(`${follower.url}/timestamp/${commitments[0]}`)).text();
      expect(reason).toMatch(/^Pending confirmation in Bitcoin blockchain; submitted to calendar 127\.0\.0\.1 \d+ min ago$/);
      await mineUntilComplete(n, follower, commitments);

      const jsUp = await run(process.execPath, [JS_CLI, 'upgrade', '-c', follower.url, `${js}.ots`], { env });
      expect(jsUp.stdout).toContain('Success! Timestamp complete');
      const pyUp = await run('/usr/bin/python3', [PY_DRIVER, 'upgrade', follower.url, `${py}.ots`], { env });
      expect(pyUp.stderr).toContain('Success! Timestamp complete');
      for (const f of [js, py]) {
        const jsVerify = await run(process.execPath, [JS_CLI, 'verify', `${f}.ots`], { env });
        expect(jsVerify.stdout).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
        const pyVerify = await run('/usr/bin/python3', [PY_DRIVER, 'verify', n.rpcUrlWithCredentials, `${f}.ots`], { env });
        expect(pyVerify.stderr).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
      }
      // one timestamp transaction, the master's; the follower's wallet sent nothing
      expect(await opReturnTxsSince(n, from)).toHaveLength(1);
      expect(await opReturnTxids(followerWallet)).toEqual([]);
      const s = await status(follower);
      expect(s.recentAnchors?.[0]).toMatchObject({ by: 'upstream calendar 1', commitments: expect.any(Number) as number });
      const upstream = s.anchoringStrategies?.find((x) => x.kind === 'upstream')?.record;
      expect(upstream).toMatchObject({ master: '127.0.0.1', masterAnswering: true, submissionsWaiting: 0 });
      expect(Number(upstream?.['anchorsFromMaster'])).toBeGreaterThanOrEqual(1);
      expect(Number(upstream?.['feesNotPaidSats'])).toBeGreaterThan(0);
      const metrics = await (await fetch(`${follower.url}/metrics`)).text();
      expect(metrics).toMatch(/ots_anchors_total\{strategy="upstream calendar 1"\} [1-9]/);
      expect(metrics).toMatch(/ots_anchor_fees_not_paid_sats_total\{upstream="1"\} [1-9]/);

      // a mirror checking attestations against the node follows the follower's anchor like any other
      await until(async () => {
        const r = await fetch(`${mirror.url}/timestamp/${commitments[0]}`);
        await r.arrayBuffer();
        return r.status === 200;
      }, 'the mirror to serve the proof', 20_000);
      const m = (await (await fetch(`${mirror.url}/status`)).json()) as StatusInfo & { mirror: { following: boolean; failureCode: string | null } };
      expect(m.mirror).toMatchObject({ following: true, failureCode: null });
      expect(Buffer.from(await (await fetch(`${mirror.url}/timestamp/${commitments[1]}`)).arrayBuffer())).toEqual(
        Buffer.from(await (await fetch(`${follower.url}/timestamp/${commitments[1]}`)).arrayBuffer()),
      );
    } finally {
      await mirror.stop();
      expect((await follower.stop()).code).toBe(0);
    }
  });

  it('two followers and one master: one transaction for three calendars', async () => {
    const n = regtest.node;
    const wallets = [await fundedWallet(n, [10_000_000]), await fundedWallet(n, [10_000_000])];
    const followers = [
      await startCalendarProcess({ tickMs: 100, args: followerArgs(n, wallets[0]?.wallet as string, master.url) }),
      await startCalendarProcess({ tickMs: 100, args: followerArgs(n, wallets[1]?.wallet as string, master.url) }),
    ];
    try {
      const from = await n.rpc.getBlockCount();
      const before = (await status(master)).commitments;
      const own = await stamp(master);
      const theirs = [await stamp(followers[0] as CalendarProcess), await stamp(followers[1] as CalendarProcess)];
      // both tips are at the master (each follower has the master's 200 for it) before its transaction is mined; digests
      // that reach the master in one tick share one commitment, so there are two or three new commitments
      await until(async () => (await Promise.all(followers.map(submitted))).every((k) => k >= 1) && (await fetch(`${master.url}/tip`)).status === 200, 'both tips at the master', 60_000);
      const made = (await status(master)).commitments - before;
      expect(made).toBeGreaterThanOrEqual(2);
      await mineEmpty(n);
      await until(async () => masterHolds(await status(master)) >= made, "the master's transaction to hold all of them", 60_000);
      await mineUntilComplete(n, master, [own]);
      for (const [i, f] of followers.entries()) await mineUntilComplete(n, f, [theirs[i] as string]);
      expect(await opReturnTxsSince(n, from)).toHaveLength(1);
      for (const w of wallets) expect(await opReturnTxids(w)).toEqual([]);
    } finally {
      for (const f of followers) expect((await f.stop()).code).toBe(0);
    }
  });

  it('masters in priority order: a first that does not answer is passed over, the second takes the tip, each has its metrics', async () => {
    const n = regtest.node;
    const w = await fundedWallet(n, [10_000_000]);
    const follower = await startCalendarProcess({ tickMs: 100, args: followerArgs(n, w.wallet as string, 'http://127.0.0.1:1', ['--anchor-upstream', master.url]) });
    try {
      const commitment = await stamp(follower);
      await until(async () => (await fetch(`${master.url}/tip`)).status === 200, "the master's transaction", 30_000);
      await mineUntilComplete(n, follower, [commitment]);
      expect((await status(follower)).recentAnchors?.[0]?.by).toBe('upstream calendar 2');
      expect(await opReturnTxids(w)).toEqual([]);
      const metrics = await (await fetch(`${follower.url}/metrics`)).text();
      expect(metrics).toMatch(/^ots_upstream_master_answering\{upstream="1"\} 0$/m);
      expect(metrics).toMatch(/^ots_upstream_master_answering\{upstream="2"\} 1$/m);
      expect(metrics).toMatch(/^ots_upstream_submission_failures_total\{upstream="1"\} [1-9]/m);
      expect(metrics).toMatch(/^ots_upstream_submissions_total\{upstream="2"\} [1-9]/m);
      expect(metrics.match(/^# TYPE ots_upstream_master_answering /gm)).toHaveLength(1);
    } finally {
      expect((await follower.stop()).code).toBe(0);
    }
  });

  it('a master that stops: the follower pays with its wallet within the timeout; once it is back, the next cycle goes through it', async () => {
    const n = regtest.node;
    const w = await fundedWallet(n, [10_000_000]);
    const masterWallet2 = await fundedWallet(n, [10_000_000]);
    const down = await startCalendarProcess({ tickMs: 100, args: walletArgs(n, masterWallet2.wallet as string) });
    const follower = await startCalendarProcess({ tickMs: 100, args: followerArgs(n, w.wallet as string, down.url, ['--anchor-upstream-timeout', '3']) });
    try {
      // the master takes the tip, then stops before its proof is complete
      const first = await stamp(follower);
      await until(async () => (await status(down)).commitments >= 1, 'the tip at the master', 20_000);
      expect((await down.stop()).code).toBe(0);
      const t0 = Date.now();
      await until(async () => (await opReturnTxids(w)).length === 1, "the follower's own transaction", 20_000);
      expect(Date.now() - t0).toBeLessThan(10_000);
      await mineUntilComplete(n, follower, [first]);
      expect((await status(follower)).recentAnchors?.[0]?.by).toBe('wallet');

      // the master is back on the same address: the next cycle goes through it again, the wallet pays no more
      const again = await startCalendarProcess({ dataDir: down.dataDir, port: down.port, tickMs: 100, args: walletArgs(n, masterWallet2.wallet as string) });
      try {
        const second = await stamp(follower);
        await until(async () => (await status(again)).commitments >= 2, 'the next tip at the master', 20_000);
        await mineUntilComplete(n, follower, [second]);
        expect((await status(follower)).recentAnchors?.[0]?.by).toBe('upstream calendar 1');
        expect(await opReturnTxids(w)).toHaveLength(1);
      } finally {
        expect((await again.stop()).code).toBe(0);
      }
    } finally {
      expect((await follower.stop()).code).toBe(0);
    }
  });

  it('kill -9 of the follower in each phase: nothing lost, nothing paid twice, each anchor written once', async () => {
    const n = regtest.node;
    const phases: Array<[string, (f: CalendarProcess) => Promise<unknown>]> = [
      ['tip submitted', (f) => f.waitFor((l) => l['msg'] === 'tip submitted to the master calendar', 20_000)],
      ['waiting for the master', () => until(async () => (await fetch(`${master.url}/tip`)).status === 200, "the master's transaction", 20_000)],
      ['right after the anchor', async (f) => {
        await until(async () => (await fetch(`${master.url}/tip`)).status === 200, "the master's transaction", 20_000);
        // a block at a time: the master's transaction at /tip may be one left from the phase before, and the
        // follower's tip then goes into the next one
        const anchored = (l: Record<string, unknown>): boolean => l['msg'] === "commitments anchored through the master's transaction";
        for (let blocks = 0; blocks < 12; blocks++) {
          await n.mine(1);
          const line = await f.waitFor(anchored, 1_500).catch(() => undefined);
          if (line !== undefined) return line;
        }
        return f.waitFor(anchored, 20_000);
      }],
    ];
    for (const [phase, reach] of phases) {
      const w = await fundedWallet(n, [10_000_000]);
      const args = followerArgs(n, w.wallet as string, master.url);
      const first = await startCalendarProcess({ tickMs: 100, args });
      const commitments = [await stamp(first), await stamp(first)];
      await reach(first);
      first.kill('SIGKILL');
      await first.exited;
      const again = await startCalendarProcess({ dataDir: first.dataDir, port: first.port, tickMs: 100, args });
      commitments.push(await stamp(again));
      await mineUntilComplete(n, again, commitments);
      expect((await again.stop()).code, phase).toBe(0);
      expect(await opReturnTxids(w), phase).toEqual([]);
      // every commitment in exactly one anchor record of the follower's journal
      const journal = await Journal.open({ dir: join(first.dataDir, 'journal'), log: () => undefined });
      const covered = new Map<number, number>();
      let commits = 0;
      for await (const { record } of journal.scan(0)) {
        if (record.type === 'commit') commits++;
        if (record.type !== 'anchor') continue;
        for (const r of record.anchor.ranges) for (let c = r.start; c < r.end; c++) covered.set(c, (covered.get(c) ?? 0) + 1);
      }
      await journal.close();
      expect(commits, phase).toBe(3);
      expect([...covered.entries()].sort(), phase).toEqual([[0, 1], [1, 1], [2, 1]]);
    }
  });
});
