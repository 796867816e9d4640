/**
 * `ots-calendar aggregator` as a real process in front of real calendar processes: the real clients stamp
 * through it, their proofs fork to every calendar, one calendar anchors on litecoind -regtest and the proofs
 * upgrade from it and verify. Then fail-over: a calendar that is down, answers garbage, answers too much or
 * hangs costs at most the straggler window, and with too few calendars nothing is acknowledged.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { MAIN, freePort, startCalendarProcess, startServerProcess, tempDir, type ServerProcess } from '../fixtures/calendar-process.js';
import { DetachedTimestampFile, Timestamp } from '../../src/ots/index.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const JS_CLI = join(require.resolve('opentimestamps/package.json'), '..', 'ots-cli.js');
const PY_DRIVER = fileURLToPath(new URL('../fixtures/ots_client_driver.py', import.meta.url));

async function startAggregatorProcess(upstreams: string[], args: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  return startServerProcess({
    args: ['aggregator', '--port', String(port), '--log-format', 'json', '--tick-ms', '100', ...upstreams.flatMap((u) => ['--upstream', u]), ...args],
    ready: 'aggregator listening',
    port,
    dataDir: tempDir('otsc-agg-'),
    label: 'aggregator',
  });
}

/** Calendar URI → commitment (hex) of every pending attestation in a proof. */
function pendingOf(t: Timestamp): Map<string, string> {
  const out = new Map<string, string>();
  for (const { msg, attestation } of t.allAttestations()) if (attestation.kind === 'pending') out.set(attestation.uri, Buffer.from(msg).toString('hex'));
  return out;
}

/** Runs the CLI expecting it to fail; its exit code and stderr. */
async function runFailing(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [MAIN, ...args]);
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
  throw new Error(`ots-calendar ${args.join(' ')} succeeded`);
}

async function post(url: string, digest: Uint8Array): Promise<{ status: number; body: Uint8Array; text: string; ms: number }> {
  const t0 = Date.now();
  const r = await fetch(`${url}/digest`, { method: 'POST', body: digest });
  const body = new Uint8Array(await r.arrayBuffer());
  return { status: r.status, body, text: Buffer.from(body).toString(), ms: Date.now() - t0 };
}

const regtest = useRegtestNode();

describe('aggregator in front of two calendars, one anchoring on regtest', () => {
  let anchoring: ServerProcess;
  let plain: ServerProcess;
  let agg: ServerProcess;
  let work: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const n = regtest.node;
    anchoring = await startCalendarProcess({
      tickMs: 100,
      args: ['--chain', 'regtest', '--rpc-url', n.rpcUrlWithCredentials, '--rpc-wallet', n.walletName, '--confirmations', '2', '--min-tx-interval', '0', '--poll-interval-ms', '200'],
    });
    plain = await startCalendarProcess({ tickMs: 100 });
    agg = await startAggregatorProcess([anchoring.url, plain.url]);
    work = tempDir('otsc-agg-e2e-');
    mkdirSync(join(work, '.bitcoin'));
    writeFileSync(join(work, '.bitcoin', 'bitcoin.conf'), `rpcuser=${n.rpcUser}\nrpcpassword=${n.rpcPassword}\nrpcconnect=127.0.0.1\nrpcport=${n.rpcPort}\n`);
    env = { ...process.env, HOME: work, NO_PROXY: '127.0.0.1,localhost', http_proxy: '', HTTP_PROXY: '', NODE_NO_WARNINGS: '1' };
  });
  afterAll(async () => {
    for (const p of [agg, plain, anchoring]) if (p) expect((await p.stop()).code).toBe(0);
  });

  it('the real clients stamp through it; each proof forks to both calendars, which hold its commitment', async () => {
    const js = join(work, 'js.txt');
    const py = join(work, 'py.txt');
    writeFileSync(js, 'stamped through an aggregator by the JavaScript client\n');
    writeFileSync(py, 'stamped through an aggregator by python-opentimestamps\n');
    await run(process.execPath, [JS_CLI, 'stamp', '-c', agg.url, '-m', '1', js], { env });
    await run('/usr/bin/python3', [PY_DRIVER, 'stamp', agg.url, py], { env });

    for (const f of [js, py]) {
      const pending = pendingOf(DetachedTimestampFile.fromBytes(readFileSync(`${f}.ots`)).timestamp);
      expect([...pending.keys()].sort()).toEqual([anchoring.url, plain.url].sort());
      for (const [uri, hex] of pending) {
        const r = await fetch(`${uri}/timestamp/${hex}`);
        expect(`${r.status} ${await r.text()}`).toMatch(/^404 Pending confirmation in Bitcoin blockchain/);
      }
    }

    // the anchoring calendar commits them to the chain; both clients upgrade from it and verify
    const hexes = [js, py].map((f) => pendingOf(DetachedTimestampFile.fromBytes(readFileSync(`${f}.ots`)).timestamp).get(anchoring.url) as string);
    for (let blocks = 0; ; blocks++) {
      const statuses = await Promise.all(hexes.map(async (h) => {
        const r = await fetch(`${anchoring.url}/timestamp/${h}`);
        await r.arrayBuffer();
        return r.status;
      }));
      if (statuses.every((s) => s === 200)) break;
      expect(blocks).toBeLessThan(15);
      await regtest.node.mine(1);
      await new Promise((res) => setTimeout(res, 600));
    }
    const jsUp = await run(process.execPath, [JS_CLI, 'upgrade', '-c', anchoring.url, `${js}.ots`], { env });
    expect(jsUp.stdout).toContain('Success! Timestamp complete');
    const pyUp = await run('/usr/bin/python3', [PY_DRIVER, 'upgrade', anchoring.url, `${py}.ots`], { env });
    expect(pyUp.stderr).toContain('Success! Timestamp complete');
    for (const f of [js, py]) {
      const jsVerify = await run(process.execPath, [JS_CLI, 'verify', `${f}.ots`], { env });
      expect(jsVerify.stdout).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
      const pyVerify = await run('/usr/bin/python3', [PY_DRIVER, 'verify', regtest.node.rpcUrlWithCredentials, `${f}.ots`], { env });
      expect(pyVerify.stderr).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
    }

    const status = (await (await fetch(`${agg.url}/status`)).json()) as { role: string; digests: number; upstreams: string[] };
    expect(status.role).toBe('aggregator');
    expect(status.digests).toBe(2);
    expect(status.upstreams).toEqual([anchoring.url, plain.url]);
    const html = await (await fetch(`${agg.url}/`, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('Submitting to calendars');
    expect(html).toContain('<dt>Calendar 2: ticks acknowledged</dt>');
  });
});

describe('aggregator fail-over', () => {
  let cal: ServerProcess;
  const fakes: Server[] = [];

  /** A calendar stand-in that misbehaves in one way (the real calendar is the one that answers properly). */
  async function fake(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const s = createServer(handler);
    fakes.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('no port');
    return `http://127.0.0.1:${a.port}`;
  }

  beforeAll(async () => {
    cal = await startCalendarProcess({ tickMs: 50 });
  });
  afterAll(async () => {
    for (const s of fakes) {
      s.closeAllConnections();
      s.close();
    }
    expect((await cal.stop()).code).toBe(0);
  });

  it('a calendar that is down, answers garbage or too much is left out; the answer leads to the one that works', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const garbage = await fake((req, res) => {
      req.resume();
      res.end(Buffer.from('ff'.repeat(40), 'hex'));
    });
    const huge = await fake((req, res) => {
      req.resume();
      res.end(Buffer.alloc(20_000, 0xf0));
    });
    const refusing = await fake((req, res) => {
      req.resume();
      res.writeHead(503, { 'retry-after': '5' });
      res.end('busy');
    });
    const agg = await startAggregatorProcess([down, garbage, cal.url, huge, refusing]);
    try {
      const digest = randomBytes(32);
      const r = await post(agg.url, digest);
      expect(r.status).toBe(200);
      const pending = pendingOf(Timestamp.fromBytes(r.body, digest));
      expect([...pending.keys()]).toEqual([cal.url]);
      const check = await fetch(`${cal.url}/timestamp/${pending.get(cal.url)}`);
      expect(`${check.status} ${await check.text()}`).toBe('404 Pending confirmation in Bitcoin blockchain');

      const reasons = agg.lines.filter((l) => l['msg'] === 'a calendar did not acknowledge a tick').map((l) => `${String(l['calendar'])} ${String(l['reason'])}`);
      expect(reasons.some((x) => x.startsWith(down) && /fetch failed/.test(x))).toBe(true);
      expect(reasons.some((x) => x.startsWith(garbage) && /not a timestamp/.test(x))).toBe(true);
      expect(reasons.some((x) => x.startsWith(huge) && /longer than 10000 bytes/.test(x))).toBe(true);
      expect(reasons.some((x) => x.startsWith(refusing) && /HTTP 503/.test(x))).toBe(true);
      const metrics = await (await fetch(`${agg.url}/metrics`)).text();
      expect(metrics).toContain(`ots_upstream_reachable{calendar="${cal.url}"} 1`);
      expect(metrics).toContain(`ots_upstream_reachable{calendar="${down}"} 0`);
    } finally {
      expect((await agg.stop()).code).toBe(0);
    }
  });

  it('a hung calendar costs each tick the straggler window, not its timeout', async () => {
    const hung = await fake((req) => {
      req.resume(); // never answers
    });
    const agg = await startAggregatorProcess([hung, cal.url], ['--straggler-ms', '300', '--upstream-timeout-ms', '20000', '--shutdown-timeout-ms', '30000']);
    try {
      const digest = randomBytes(32);
      const r = await post(agg.url, digest);
      expect(r.status).toBe(200);
      expect(r.ms).toBeLessThan(5_000);
      expect([...pendingOf(Timestamp.fromBytes(r.body, digest)).keys()]).toEqual([cal.url]);
    } finally {
      // the hung submission is aborted on stop: the process does not wait for its 20 s timeout
      const t0 = Date.now();
      expect((await agg.stop()).code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5_000);
    }
  });

  it('with fewer calendars acknowledging than required, nothing is acknowledged: 503, and /readyz says why', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const agg = await startAggregatorProcess([cal.url, down], ['--required', '2']);
    try {
      const r = await post(agg.url, randomBytes(32));
      expect(r.status).toBe(503);
      expect(r.text).toBe('Could not store the digest durably; retry shortly');
      const ready = await fetch(`${agg.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toContain('1 of the 2 required upstream calendars acknowledged the last tick');
      // no proof from this aggregator: it stores nothing
      expect((await fetch(`${agg.url}/timestamp/${'00'.repeat(44)}`)).status).toBe(404);
    } finally {
      expect((await agg.stop()).code).toBe(0);
    }
  });

  it('one calendar given twice, as 127.0.0.1 and as localhost, counts once: --required 2 is not met, and a proof forks to it once', async () => {
    const other = cal.url.replace('127.0.0.1', 'localhost');
    expect(other).not.toBe(cal.url);
    const strict = await startAggregatorProcess([cal.url, other], ['--required', '2']);
    try {
      const r = await post(strict.url, randomBytes(32));
      expect(r.status).toBe(503);
      const ready = await fetch(`${strict.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toContain('1 of the 2 required upstream calendars acknowledged the last tick');
      const reasons = strict.lines.filter((l) => l['msg'] === 'a calendar did not acknowledge a tick').map((l) => String(l['reason']));
      expect(reasons).toContainEqual(expect.stringMatching(new RegExp(`^the same calendar as http://(127\\.0\\.0\\.1|localhost):${cal.port} \\(both state ${cal.url.replace(/\./g, '\\.')}\\): it counts once$`)));
    } finally {
      expect((await strict.stop()).code).toBe(0);
    }
    const lenient = await startAggregatorProcess([cal.url, other]);
    try {
      const digest = randomBytes(32);
      const r = await post(lenient.url, digest);
      expect(r.status).toBe(200);
      const pending = Timestamp.fromBytes(r.body, digest).allAttestations().filter((a) => a.attestation.kind === 'pending');
      expect(pending.map((a) => (a.attestation.kind === 'pending' ? a.attestation.uri : ''))).toEqual([cal.url]);
    } finally {
      expect((await lenient.stop()).code).toBe(0);
    }
  });

  it('refuses to start without an upstream, with more required than given, a calendar twice, or a stop budget below the upstream wait', async () => {
    const none = await runFailing(['aggregator', '--port', '0']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('"upstream" is required');
    const tooMany = await runFailing(['aggregator', '--port', '0', '--upstream', cal.url, '--required', '2']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('"required" is 2 but only 1 upstream calendar(s) are given');
    const bad = await runFailing(['aggregator', '--port', '0', '--upstream', 'ftp://x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must start with http:// or https://');
    const twice = await runFailing(['aggregator', '--port', '0', '--upstream', cal.url, '--upstream', `${cal.url}/`, '--required', '2']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`${cal.url} is given more than once`);
    const short = await runFailing(['aggregator', '--port', '0', '--upstream', cal.url, '--shutdown-timeout-ms', '3000']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('"shutdown-timeout-ms" (3000) must be more than upstream-timeout-ms + straggler-ms (6000)');
  });
});
