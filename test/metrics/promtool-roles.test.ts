// The real processes' /metrics through the real checker: a calendar that anchors on litecoind -regtest, a
// stand-alone aggregator in front of it, and a mirror following it, each scraped and piped to
// `promtool check metrics`, which must have nothing to say. On the way: the age of the oldest pending
// commitment (from the index: the oldest one no anchor covers), the last anchor's height and block time
// (against the node), ots_build_info, the process metrics, and every metric the alert rules use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { freePort, startCalendarProcess, startServerProcess, tempDir, type ServerProcess } from '../fixtures/calendar-process.js';
import { startMirrorProcess } from '../mirror/fixtures/mirror-process.js';
import { parseExposition, promtoolCheckMetrics, scrape, value, type Exposition } from '../fixtures/prometheus.js';
import { Timestamp } from '../../src/ots/index.js';

const VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;
const RULES = readFileSync(fileURLToPath(new URL('../../contrib/prometheus/ots-calendar.rules.yml', import.meta.url)), 'utf8');

const regtest = useRegtestNode();
let cal: ServerProcess;
let agg: ServerProcess;
let mirror: ServerProcess;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** POSTs a digest; the hex of the commitment its pending attestation names. */
async function stamp(url: string): Promise<string> {
  const digest = randomBytes(32);
  const res = await fetch(`${url}/digest`, { method: 'POST', body: digest });
  expect(res.status).toBe(200);
  const [p] = Timestamp.fromBytes(new Uint8Array(await res.arrayBuffer()), digest).allAttestations();
  return Buffer.from(p?.msg ?? []).toString('hex');
}

async function until(what: string, check: () => Promise<boolean>, step: () => Promise<unknown> = () => sleep(200), tries = 60): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await step();
  }
  throw new Error(`timed out: ${what}`);
}

beforeAll(async () => {
  const n = regtest.node;
  cal = await startCalendarProcess({
    tickMs: 100,
    args: ['--chain', 'regtest', '--rpc-url', n.rpcUrlWithCredentials, '--rpc-wallet', n.walletName, '--confirmations', '2', '--min-tx-interval', '0', '--poll-interval-ms', '200'],
  });
  const aggPort = await freePort();
  agg = await startServerProcess({
    args: ['aggregator', '--port', String(aggPort), '--log-format', 'json', '--tick-ms', '100', '--upstream', cal.url],
    ready: 'aggregator listening',
    port: aggPort,
    dataDir: tempDir('otsc-agg-'),
    label: 'aggregator',
  });
  mirror = await startMirrorProcess({ upstream: cal.url, args: ['--rpc-url', n.rpcUrlWithCredentials, '--chain', 'regtest', '--poll-wait-ms', '2000'] });
});

afterAll(async () => {
  for (const p of [mirror, agg, cal]) if (p) expect((await p.stop()).code).toBe(0);
});

describe('promtool check metrics on every role', () => {
  it('calendar that anchors, aggregator, mirror: clean, with the build, process, pending-age and last-anchor metrics', async () => {
    const calMetrics = (): Promise<Exposition> => scrape(`${cal.url}/metrics`);
    const first = await stamp(cal.url);
    await stamp(agg.url);
    await sleep(2100);
    const waiting = await calMetrics();
    expect(value(waiting, 'ots_oldest_pending_commitment_age_seconds')).toBeGreaterThanOrEqual(1);
    expect(value(waiting, 'ots_last_anchor_block_height')).toBeUndefined();

    // mine until every commitment is anchored
    await until('the first commitment is complete', async () => (await fetch(`${cal.url}/timestamp/${first}`)).status === 200, () => regtest.node.mine(1).then(() => sleep(400)), 30);
    await until('nothing pending', async () => value(await calMetrics(), 'ots_pending_commitments') === 0, () => regtest.node.mine(1).then(() => sleep(400)), 30);
    const anchored = await calMetrics();
    expect(value(anchored, 'ots_oldest_pending_commitment_age_seconds')).toBe(0);
    const height = value(anchored, 'ots_last_anchor_block_height') as number;
    expect(height).toBeGreaterThan(0);
    const hash = await regtest.node.rpc.getBlockHash(height);
    if (hash === null) throw new Error(`no block at height ${height}`);
    const header = await regtest.node.rpc.getBlockHeader(hash);
    expect(value(anchored, 'ots_last_anchor_time_seconds')).toBe(header.time);
    expect(value(anchored, 'ots_anchor_node_reachable')).toBe(1);

    // a new commitment after the anchored ones: the oldest pending is that one, not the oldest of the journal
    const later = Date.now();
    await stamp(cal.url);
    await sleep(1100);
    const pending = await calMetrics();
    expect(value(pending, 'ots_pending_commitments')).toBe(1);
    const age = value(pending, 'ots_oldest_pending_commitment_age_seconds') as number;
    expect(age).toBeGreaterThanOrEqual(1);
    expect(age).toBeLessThanOrEqual(Math.ceil((Date.now() - later) / 1000) + 1);

    await until('the mirror has the anchors', async () => value(await scrape(`${mirror.url}/metrics`), 'ots_mirror_records') === value(await calMetrics(), 'ots_journal_records'));
    const scraped: Record<string, Exposition> = { calendar: await calMetrics(), aggregator: await scrape(`${agg.url}/metrics`), mirror: await scrape(`${mirror.url}/metrics`) };
    for (const [role, e] of Object.entries(scraped)) {
      expect(await promtoolCheckMetrics(e.text), role).toEqual({ code: 0, output: '' });
      expect(value(e, 'ots_build_info', { version: VERSION, node_version: process.version, role }), role).toBe(1);
      for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes']) {
        expect(value(e, name), `${role} ${name}`).toBeGreaterThan(0);
      }
      expect(value(e, 'nodejs_eventloop_lag_seconds'), role).toBeGreaterThanOrEqual(0); // an idle loop may show no lag
      expect(e.types.get('nodejs_gc_duration_seconds'), role).toBe('histogram');
      for (const [name, type] of e.types) expect(name.endsWith('_total'), `${role} ${name} is a ${type}`).toBe(type === 'counter');
    }
    expect(scraped.calendar?.types.get('ots_anchor_rpc_errors_total')).toBe('counter');
    expect(scraped.aggregator?.types.get('ots_upstream_acknowledged_total')).toBe('counter');
    expect(scraped.aggregator?.types.get('ots_upstream_failures_total')).toBe('counter');
    expect(value(scraped.aggregator as Exposition, 'ots_upstream_acknowledged_total', { calendar: cal.url })).toBeGreaterThanOrEqual(1);
    expect(value(scraped.mirror as Exposition, 'ots_mirror_following')).toBe(1);

    // every metric the alert rules read is one these processes serve
    const served = new Set(Object.values(scraped).flatMap((e) => [...e.types.keys()]));
    const used = new Set([...RULES.matchAll(/\b(ots_[a-z_]+)/g)].map((m) => m[1] as string));
    expect([...used].filter((n) => !served.has(n))).toEqual([]);
  });

  it('promtool itself is strict: a gauge named like a counter fails the check', async () => {
    const bad = parseExposition('# HELP ots_errors_total Errors\n# TYPE ots_errors_total gauge\nots_errors_total 1\n');
    const r = await promtoolCheckMetrics(bad.text);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('non-counter metrics should not have "_total" suffix');
  });
});
