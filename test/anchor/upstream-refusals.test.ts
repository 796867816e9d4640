/**
 * A master calendar whose answers must be refused, each refused with its own condition and handed on to the
 * wallet, nothing appended from it: a real master calendar process anchoring on litecoind -regtest, behind a
 * proxy that alters its answers; the follower is the library's anchoring (an upstream strategy, then a wallet)
 * on a real calendar in a temporary directory. Also: a crash between the anchor record and the state file
 * replays to the same single anchor.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { untilBroadcast, useRegtestNode } from '../fixtures/litecoind.js';
import { startCalendarProcess, type CalendarProcess } from '../fixtures/calendar-process.js';
import { Anchoring, UpstreamStrategy, WalletStamper, upstreamStateFile, type AnchorStrategy } from '../../src/anchor/index.js';
import { CalendarClient } from '../../src/net/calendar-client.js';
import { Timestamp, bitcoinAttestation, encodePath, litecoinAttestation, opAppend, type Op } from '../../src/ots/index.js';
import { getChain, type BitcoinRpc } from '../../src/bitcoin/index.js';
import { captureLog, commit, fundedWallet, linesWith, openCalendar, opReturnTxids, testSettings, type CalendarFixture } from './harness.js';

const regtest = useRegtestNode({ extraArgs: ['-keypool=20'] });

type Mode = 'pass' | 'other-commitment' | 'wrong-root' | 'other-chain' | 'oversize' | 'garbage';

/** A proxy in front of the master: POST /digest goes through; GET /timestamp answers are altered as `mode` says. */
async function startProxy(master: string, state: { mode: Mode; otherCommitment?: string }): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const path = req.url ?? '/';
      const hex = /^\/timestamp\/([0-9a-f]+)$/.exec(path)?.[1];
      const ask = hex !== undefined && state.mode === 'other-commitment' && state.otherCommitment ? `/timestamp/${state.otherCommitment}` : path;
      const r = await fetch(`${master}${ask}`, { method: req.method ?? 'GET', ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) });
      let body = Buffer.from(await r.arrayBuffer());
      if (hex !== undefined && r.status === 200) body = Buffer.from(alter(state.mode, body, Buffer.from(hex, 'hex')));
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function alter(mode: Mode, proof: Uint8Array, commitment: Uint8Array): Uint8Array {
  switch (mode) {
    case 'pass':
    case 'other-commitment':
      return proof;
    case 'oversize':
      return Buffer.concat([proof, randomBytes(20_000)]);
    case 'garbage':
      return randomBytes(300);
    case 'other-chain':
    case 'wrong-root': {
      const [p] = Timestamp.fromBytes(proof, commitment).attestationPaths().filter((x) => x.attestation.kind === 'bitcoin');
      if (p === undefined || p.attestation.kind !== 'bitcoin') throw new Error('the master served no bitcoin attestation');
      if (mode === 'other-chain') return encodePath(p.ops, litecoinAttestation(p.attestation.height));
      // one more byte on the path: the attested message is no longer the block's merkle root
      const ops: Op[] = [...p.ops.slice(0, -1), opAppend(new Uint8Array([1])), ...p.ops.slice(-1)];
      return encodePath(ops, bitcoinAttestation(p.attestation.height));
    }
  }
}

interface Follower {
  cal: CalendarFixture;
  anchoring: Anchoring;
  upstream: UpstreamStrategy;
  wallet: BitcoinRpc;
  lines: ReturnType<typeof captureLog>['lines'];
}

async function follower(proxyUrl: string, opts: { confirmations: number; timeoutMs?: number; cal?: CalendarFixture; wallet?: BitcoinRpc }): Promise<Follower> {
  const cal = opts.cal ?? (await openCalendar());
  const wallet = opts.wallet ?? (await fundedWallet(regtest.node, [10_000_000]));
  const { log, lines } = captureLog();
  const settings = testSettings({ confirmations: opts.confirmations });
  let upstream: UpstreamStrategy | undefined;
  const anchoring = new Anchoring({
    strategies: (ledgerFor) => {
      upstream = new UpstreamStrategy({
        client: new CalendarClient(proxyUrl, { timeoutMs: 5_000 }),
        position: 1,
        rpc: wallet,
        chain: getChain('regtest'),
        ledger: ledgerFor('upstream calendar 1'),
        stateDir: cal.dataDir.stateDir,
        settings: { url: proxyUrl, timeoutMs: opts.timeoutMs ?? 60_000, pollMs: 100, minTxIntervalMs: 0, confirmations: opts.confirmations, maxCommitmentsPerTx: 1000, fallbackFeeRate: 1000, feeTargetBlocks: 6 },
        log,
      });
      const list: AnchorStrategy[] = [upstream, WalletStamper.open({ rpc: wallet, chain: getChain('regtest'), ledger: ledgerFor('wallet'), stateDir: cal.dataDir.stateDir, settings, log })];
      return list;
    },
    ledger: cal.calendar,
    chain: getChain('regtest'),
    pollIntervalMs: 50,
    log,
  });
  cal.calendar.setPendingStatus((n) => anchoring.pendingReason(n));
  return { cal, anchoring, upstream: upstream as UpstreamStrategy, wallet, lines };
}

/** Polls the follower until `done`, mining a block every few passes (bounded). */
async function pollUntil(f: Follower, done: () => boolean | Promise<boolean>, what: string, mine = true): Promise<void> {
  for (let i = 0; i < 400; i++) {
    await f.anchoring.poll();
    if (await done()) return;
    if (mine && i % 8 === 7) await regtest.node.mine(1);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out: ${what}`);
}

function anchoredBy(f: Follower, by: string): number {
  return f.anchoring.report().recent.filter((e) => e.by === by).length;
}

describe('a master whose answers must be refused', () => {
  let master: CalendarProcess;
  let masterWallet: BitcoinRpc;

  beforeAll(async () => {
    masterWallet = await fundedWallet(regtest.node, [50_000_000]);
    const n = regtest.node;
    master = await startCalendarProcess({
      tickMs: 50,
      args: ['--chain', 'regtest', '--rpc-url', n.rpcUrlWithCredentials, '--rpc-wallet', masterWallet.wallet as string, '--confirmations', '1', '--min-tx-interval', '0', '--poll-interval-ms', '100'],
    });
  });
  afterAll(async () => {
    expect((await master.stop()).code).toBe(0);
  });

  const cases: Array<[Mode, string, RegExp]> = [
    ['other-commitment', 'upstream-header-mismatch', /is not that block's merkle root on our node/],
    ['wrong-root', 'upstream-header-mismatch', /is not that block's merkle root on our node/],
    ['other-chain', 'upstream-wrong-chain', /ends in no bitcoin attestation \(only litecoin\)/],
    ['oversize', 'upstream-invalid', /answer longer than 10000 bytes/],
    ['garbage', 'upstream-invalid', /its answer is not usable/],
  ];
  for (const [mode, code, why] of cases) {
    it(`${mode}: refused (${code}), handed to the wallet, nothing appended from it`, async () => {
      const state: { mode: Mode; otherCommitment?: string } = { mode };
      if (mode === 'other-commitment') {
        // a commitment the master anchors in the same transaction: its genuine proof, for another message
        const digest = randomBytes(32);
        const r = await fetch(`${master.url}/digest`, { method: 'POST', body: digest });
        const [p] = Timestamp.fromBytes(new Uint8Array(await r.arrayBuffer()), digest).allAttestations();
        state.otherCommitment = Buffer.from(p?.msg ?? []).toString('hex');
      }
      const proxy = await startProxy(master.url, state);
      const f = await follower(proxy.url, { confirmations: 1 });
      try {
        const cs = await commit(f.cal, 2);
        await pollUntil(f, () => f.upstream.status()['lastError'] !== null, `the ${mode} answer to be refused`);
        expect(String(f.upstream.status()['lastError'])).toContain(code);
        expect(String(f.upstream.status()['lastError'])).toMatch(why);
        expect(linesWith(f.lines, "master's answer refused").some((l) => l['code'] === code)).toBe(true);
        // the wallet takes them over and anchors them; the master's path never enters the journal
        await pollUntil(f, () => cs.every((c) => f.cal.calendar.answer(c).kind === 'complete'), 'the wallet to anchor them');
        expect(anchoredBy(f, 'upstream calendar 1')).toBe(0);
        expect(anchoredBy(f, 'wallet')).toBeGreaterThanOrEqual(1);
        expect((await opReturnTxids(f.wallet)).length).toBeGreaterThanOrEqual(1);
        expect(f.upstream.held()).toEqual([]);
      } finally {
        await f.anchoring.stop();
        await f.cal.close();
        await proxy.close();
      }
    });
  }

  it('one not deep enough is waited for, and handed on at the timeout', async () => {
    const proxy = await startProxy(master.url, { mode: 'pass' });
    const f = await follower(proxy.url, { confirmations: 4, timeoutMs: 3_000 });
    try {
      const cs = await commit(f.cal, 1);
      await pollUntil(f, () => f.upstream.state.submissions.length > 0, 'the tip at the master', false);
      await untilBroadcast(regtest.node, master.url);
      await regtest.node.mine(1); // the master's proof is complete at depth 1; ours needs 4
      await pollUntil(f, () => f.upstream.status()['submissionsLate'] === 1, 'the timeout', false);
      expect(f.upstream.problems()).toContain('the master calendar did not complete a proof in time; its commitments went to the next strategy');
      expect(anchoredBy(f, 'upstream calendar 1')).toBe(0);
      // the wallet pays; whichever complete anchor comes first wins, and only one is recorded
      await pollUntil(f, () => f.cal.calendar.answer(cs[0] as Uint8Array).kind === 'complete', 'an anchor');
      const anchors = f.anchoring.report().recent;
      expect(anchors).toHaveLength(1);
    } finally {
      await f.anchoring.stop();
      await f.cal.close();
      await proxy.close();
    }
  });

  it('a crash between the anchor record and the state file replays to the same single anchor', async () => {
    const proxy = await startProxy(master.url, { mode: 'pass' });
    const f = await follower(proxy.url, { confirmations: 1 });
    const file = join(f.cal.dataDir.stateDir, upstreamStateFile(proxy.url));
    try {
      const cs = await commit(f.cal, 3);
      await pollUntil(f, () => f.upstream.state.submissions.length > 0, 'the tip at the master', false);
      copyFileSync(file, `${file}.before`);
      await pollUntil(f, () => f.upstream.state.anchored.length === 1, 'the anchor from the master');
      const [first] = f.anchoring.report().recent;
      await f.anchoring.stop();
      // as if killed right after the anchor record: the state file still holds the submission
      copyFileSync(`${file}.before`, file);
      const again = await follower(proxy.url, { confirmations: 1, cal: f.cal, wallet: f.wallet });
      expect(again.upstream.state.submissions).toHaveLength(1);
      await pollUntil(again, () => again.upstream.state.submissions.length === 0, 'the replay', false);
      expect(again.upstream.state.anchored.map((a) => a.seq)).toEqual([first?.seq]);
      let anchorRecords = 0;
      for await (const { record } of f.cal.journal.scan(0)) if (record.type === 'anchor') anchorRecords++;
      expect(anchorRecords).toBe(1);
      for (const c of cs) expect(f.cal.calendar.answer(c).kind).toBe('complete');
      expect(await opReturnTxids(f.wallet)).toEqual([]);
      await again.anchoring.stop();
      expect(existsSync(file)).toBe(true);
    } finally {
      await f.cal.close();
      await proxy.close();
    }
  });
});
