// --metrics-listen HOST:PORT, for every server role: /metrics is served there and only there (the public port
// answers 404), the metrics address serves nothing else, both close on a clean stop, a bad address stops
// the command naming the key, and the help says all this.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MAIN, freePort, startCalendarProcess, startServerProcess, tempDir, type ServerProcess } from '../fixtures/calendar-process.js';
import { startMirrorProcess } from '../mirror/fixtures/mirror-process.js';
import { scrape, value } from '../fixtures/prometheus.js';

const run = promisify(execFile);

async function expectSeparate(p: ServerProcess, metricsPort: number, role: string): Promise<void> {
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const listening = await p.waitFor((r) => r['msg'] === `${role} listening`);
  expect(listening['metricsUrl']).toBe(metricsUrl);
  const e = await scrape(`${metricsUrl}/metrics`);
  expect(value(e, 'ots_build_info', { role })).toBe(1);
  const res = await fetch(`${metricsUrl}/metrics`);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  await res.arrayBuffer();
  // the public port no longer serves it
  const pub = await fetch(`${p.url}/metrics`);
  expect(pub.status).toBe(404);
  await pub.arrayBuffer();
  expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
  // the metrics address serves nothing else
  for (const path of ['/', '/status', '/healthz', '/digest', '/timestamp/00']) {
    const r = await fetch(`${metricsUrl}${path}`);
    expect(r.status, path).toBe(404);
    await r.arrayBuffer();
  }
  const post = await fetch(`${metricsUrl}/metrics`, { method: 'POST', body: 'x' });
  expect(post.status).toBe(405);
  await post.arrayBuffer();
}

describe('--metrics-listen', () => {
  it('calendar, aggregator and mirror serve /metrics on their metrics address only, and close it on stop', async () => {
    const [calMetrics, aggMetrics, mirrorMetrics, aggPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const cal = await startCalendarProcess({ args: ['--metrics-listen', `127.0.0.1:${calMetrics}`] });
    let agg: ServerProcess | undefined;
    let mirror: ServerProcess | undefined;
    try {
      await expectSeparate(cal, calMetrics, 'calendar');
      // the public port's requests are counted on the metrics address
      expect((await fetch(`${cal.url}/digest`, { method: 'POST', body: new Uint8Array(32) })).status).toBe(200);
      expect(value(await scrape(`http://127.0.0.1:${calMetrics}/metrics`), 'ots_http_requests_total', { route: '/digest', status: '200' })).toBe(1);

      agg = await startServerProcess({
        args: ['aggregator', '--port', String(aggPort), '--log-format', 'json', '--upstream', cal.url, '--metrics-listen', `127.0.0.1:${aggMetrics}`],
        ready: 'aggregator listening',
        port: aggPort,
        dataDir: tempDir('otsc-agg-'),
        label: 'aggregator',
      });
      await expectSeparate(agg, aggMetrics, 'aggregator');
      mirror = await startMirrorProcess({ upstream: cal.url, args: ['--metrics-listen', `127.0.0.1:${mirrorMetrics}`] });
      await expectSeparate(mirror, mirrorMetrics, 'mirror');
    } finally {
      for (const p of [mirror, agg, cal]) if (p) expect((await p.stop()).code).toBe(0);
    }
    for (const port of [calMetrics, aggMetrics, mirrorMetrics]) await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('without it, /metrics stays on the public port', async () => {
    const cal = await startCalendarProcess();
    try {
      expect(value(await scrape(`${cal.url}/metrics`), 'ots_build_info', { role: 'calendar' })).toBe(1);
    } finally {
      await cal.stop();
    }
  });

  it('a bad address stops the command with the key named (exit 2); the help says the public port then answers 404', async () => {
    for (const bad of ['9464', 'localhost', 'localhost:99999', '::1:9464', 'host:port']) {
      const r = await run(process.execPath, [MAIN, 'calendar', '--data-dir', tempDir(), '--metrics-listen', bad]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toContain('"metrics-listen" must be HOST:PORT');
    }
    for (const role of ['calendar', 'aggregator', 'mirror']) {
      const help = (await run(process.execPath, [MAIN, role, '--help'])).stdout;
      expect(help, role).toMatch(/--metrics-listen <string>\s+serve GET \/metrics on this HOST:PORT .*the public port answers 404 to \/metrics/);
    }
  });

  it('an address already taken stops the start and releases the public port and the data directory', async () => {
    const taken = await freePort();
    const holder = await startCalendarProcess({ port: taken });
    try {
      const port = await freePort();
      const dataDir = tempDir();
      const r = await run(process.execPath, [MAIN, 'calendar', '--data-dir', dataDir, '--port', String(port), '--log-format', 'json', '--metrics-listen', `127.0.0.1:${taken}`]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`EADDRINUSE: address already in use 127.0.0.1:${taken}`);
      // nothing held: the same port and data directory start a calendar at once
      const again = await startCalendarProcess({ port, dataDir });
      expect((await fetch(`${again.url}/healthz`)).status).toBe(200);
      expect((await again.stop()).code).toBe(0);
    } finally {
      await holder.stop();
    }
  });
});
