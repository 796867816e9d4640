/**
 * Nothing a client can see carries an internal address, URL or credential, and every page tells the truth in
 * plain words: a calendar anchoring on a real litecoind -regtest node (with a password in its RPC URL and a
 * wallet of a telling name), a mirror checking attestations against the same node, and an aggregator in
 * front. Every page and answer they give a client is searched for the node's port, password, user, wallet,
 * cookie and data directories; every status record's keys have a label a person reads.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { untilBroadcast, useRegtestNode } from '../fixtures/litecoind.js';
import { freePort, startCalendarProcess, startServerProcess, tempDir, type CalendarProcess, type ServerProcess } from '../fixtures/calendar-process.js';
import { startMirrorProcess, until } from '../mirror/fixtures/mirror-process.js';
import { unlabelledKeys } from '../../src/http/welcome-record.js';
import { renderWelcome } from '../../src/http/welcome-html.js';
import type { StatusInfo, StatusValue } from '../../src/http/status-info.js';
import { Timestamp } from '../../src/ots/index.js';

const WALLET = 'wallet-of-secret-name';
const regtest = useRegtestNode({ wallet: WALLET });

let cal: CalendarProcess;
let mirror: ServerProcess;
let agg: ServerProcess;
let secrets: string[];

/** Every answer a client can get, as text (binary bodies as latin1, so an embedded string still shows). */
async function everything(base: string, extra: string[] = []): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  const paths = ['/', '/status', '/healthz', '/readyz', '/readyz/anchoring', '/tip', '/metrics', '/journal/head', '/journal/chunk/0', '/experimental/backup/0', '/nothing', `/timestamp/${'ab'.repeat(44)}`, '/timestamp/zz', ...extra];
  for (const path of paths) {
    for (const accept of ['text/html', 'application/json']) {
      const r = await fetch(`${base}${path}`, { headers: { accept } });
      out.push([`GET ${path} (${accept})`, `${[...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${Buffer.from(await r.arrayBuffer()).toString('latin1')}`]);
    }
  }
  for (const [method, path] of [['POST', '/digest'], ['PUT', '/digest'], ['DELETE', '/'], ['OPTIONS', '/digest']] as const) {
    const r = await fetch(`${base}${path}`, { method, ...(method === 'POST' ? { body: randomBytes(32) } : {}) });
    out.push([`${method} ${path}`, `${[...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${Buffer.from(await r.arrayBuffer()).toString('latin1')}`]);
  }
  return out;
}

describe('what clients see', () => {
  beforeAll(async () => {
    const n = regtest.node;
    cal = await startCalendarProcess({
      tickMs: 100,
      args: ['--chain', 'regtest', '--rpc-url', n.rpcUrlWithCredentials, '--rpc-wallet', WALLET, '--confirmations', '1', '--min-tx-interval', '0', '--poll-interval-ms', '100', '--explorer-url', 'https://explorer.example.org'],
    });
    mirror = await startMirrorProcess({ upstream: cal.url, args: ['--rpc-url', n.rpcUrlWithCredentials, '--chain', 'regtest', '--poll-wait-ms', '500'] });
    const aggPort = await freePort();
    agg = await startServerProcess({ args: ['aggregator', '--port', String(aggPort), '--log-format', 'json', '--tick-ms', '100', '--upstream', cal.url], ready: 'aggregator listening', port: aggPort, dataDir: tempDir('otsc-agg-'), label: 'aggregator' });
    secrets = [n.rpcPassword, `:${n.rpcPort}`, `${n.rpcUser}:`, WALLET, n.datadir, n.cookieFile, cal.dataDir, mirror.dataDir];
    // a commitment anchored and one pending, so every section of the pages has something to show
    const posted = await fetch(`${cal.url}/digest`, { method: 'POST', body: randomBytes(32) });
    expect(posted.status).toBe(200);
    await untilBroadcast(n, cal.url);
    await n.mine(1);
    await until(async () => ((await (await fetch(`${cal.url}/status`)).json()) as StatusInfo).pendingCommitments === 0, 'the anchor', 20_000);
    await fetch(`${cal.url}/digest`, { method: 'POST', body: randomBytes(32) });
  });

  afterAll(async () => {
    await agg?.stop();
    await mirror?.stop();
    await cal?.stop();
  });

  it('carries no node address, credential, wallet or data directory in any page or answer', async () => {
    const digest = randomBytes(32);
    const proof = new Uint8Array(await (await fetch(`${cal.url}/digest`, { method: 'POST', body: digest })).arrayBuffer());
    const [pending] = Timestamp.fromBytes(proof, digest).allAttestations();
    const commitment = `/timestamp/${Buffer.from(pending?.msg ?? []).toString('hex')}`;
    await until(async () => ((await (await fetch(`${mirror.url}/status`)).json()) as StatusInfo).commitments >= 3, 'the mirror to catch up', 20_000);
    const answers = [...(await everything(cal.url, [commitment])), ...(await everything(mirror.url, [commitment])), ...(await everything(agg.url))];
    expect(answers.length).toBeGreaterThan(90);
    for (const [what, text] of answers) {
      for (const secret of secrets) expect(text.includes(secret), `${what} shows ${secret}`).toBe(false);
    }
  });

  it('labels every status key in plain words and names the chain', async () => {
    for (const base of [cal.url, mirror.url, agg.url]) {
      const s = (await (await fetch(`${base}/status`)).json()) as StatusInfo;
      for (const record of [s.anchoring, s.mirror, s.aggregator, ...(s.anchoringStrategies ?? []).map((x) => x.record)].filter((r): r is Record<string, StatusValue> => r !== undefined)) {
        expect(unlabelledKeys(record), `${s.role}: ${Object.keys(record).join(', ')}`).toEqual([]);
      }
    }
    const calStatus = (await (await fetch(`${cal.url}/status`)).json()) as StatusInfo;
    expect(calStatus.chain).toBe('Bitcoin regtest');
    const page = await (await fetch(`${cal.url}/`)).text();
    expect(page).toContain('<h2 id="anchoring">Bitcoin regtest anchoring</h2>');
    expect(page).toContain("<h3>This calendar&#39;s own wallet</h3>");
    expect(page).toMatch(/<h3>Latest anchors<\/h3>\n<ul><li>1 commitments in block \d+, by wallet, /);
    expect(page).toContain('the Bitcoin regtest blockchain');
    expect(page).toContain('<dt>Wallet balance</dt>');
    expect(page).toMatch(/<dt>Its fee rate<\/dt><dd>[\d.,]+ sat\/vB<\/dd>|<dt>Transaction waiting to be mined<\/dt><dd><span class="note">none<\/span>/);
    for (const raw of ['Rpc errors', 'Unconfirmed sat per vb', 'Problems none', 'Problem none', 'Node reachable']) expect(page).not.toContain(raw);
  });
});

describe('a calendar with anchoring off, and one on Litecoin', () => {
  const base: StatusInfo = { software: 'ots-calendar', version: '1', role: 'calendar', uri: 'https://a.example.org', startedAt: '2026-01-01T00:00:00.000Z', uptimeSeconds: 1, commitments: 5, pendingCommitments: 5, digests: 5, ticks: 1, tickMs: 1000, lastTickAt: null, queued: 0 };
  const now = new Date('2026-01-01T00:00:01Z');

  it('says anchoring is off, and never that it commits to Bitcoin', () => {
    const page = renderWelcome(base, now);
    expect(page).toContain('<strong>Anchoring is off:</strong>');
    expect(page).toContain('anchoring is off: they stay pending');
    expect(page).not.toMatch(/Bitcoin (blockchain|transaction|block)/);
    expect(page).not.toContain('waiting for a');
  });

  it('names Litecoin where it anchors on Litecoin', () => {
    const page = renderWelcome({ ...base, chain: 'Litecoin', anchoring: { anchoring: 'wallet', confirmations: 6, rpcErrors: 0, problemsText: null } }, now);
    expect(page).toContain('<h2 id="anchoring">Litecoin anchoring</h2>');
    expect(page).toContain('the Litecoin blockchain');
    expect(page).toContain('waiting for a Litecoin transaction');
    expect(page).toContain('<dt>Failed calls to the node since start</dt><dd>0</dd>');
    expect(page).toContain('<dt>Problems</dt><dd><span class="note">none</span></dd>');
    expect(page).not.toContain('Bitcoin');
  });
});
