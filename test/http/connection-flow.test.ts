/**
 * What one connection may cost a real calendar process: pipelined requests answered asynchronously (journal
 * chunks, tails) while the client never reads keep the process small and every other client served, because
 * the connection is no longer read past a few answers in flight (src/http/connection-flow.ts); a pipelining
 * client that does read gets every answer, in order; and long polls whose connections close give their waiting
 * slot back at once, so a real follower is not told there are too many. The adapter alone, in this process, starts
 * at most four answers of a connection that does not read.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { CHUNK_RECORDS } from '../../src/mirror/index.js';
import { startCalendarProcess, tempDir, type CalendarProcess } from '../fixtures/calendar-process.js';
import { buildJournal } from '../mirror/fixtures/journal-builder.js';
import { createNodeServer } from '../../src/http/node-server.js';
import type { HttpResponse } from '../../src/http/types.js';
import type { AddressInfo } from 'node:net';

/** What the tests allow the calendar to grow to; it starts near 150 MB. */
const MAX_RSS_BYTES = 500 * 1024 * 1024;

let cal: CalendarProcess;

beforeAll(async () => {
  const dataDir = tempDir('otsc-flow-');
  // one full chunk of 4,096 records (about 250 KB per answer) and some more
  await buildJournal(dataDir, { count: CHUNK_RECORDS + 100 });
  cal = await startCalendarProcess({ dataDir, tickMs: 50 });
  await cal.waitFor((l) => l['msg'] === 'journal open');
});

afterAll(async () => {
  expect((await cal.stop()).code).toBe(0);
});

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Writes `count` pipelined requests for `target` on one connection that is never read, then for `seconds`
 * watches the calendar's RSS and times GET /healthz on other connections. Stops early (and fails) once the RSS
 * passes the bound, so a calendar that buffers without limit is not left to eat the machine.
 */
async function floodUnread(target: string, count: number, seconds: number): Promise<{ peakRss: number; slowestHealthMs: number; healthStatuses: number[] }> {
  const pid = cal.proc.pid as number;
  const sock = await open(cal.port);
  sock.pause();
  sock.on('error', () => undefined);
  sock.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(count));
  let peakRss = rssBytes(pid);
  let slowestHealthMs = 0;
  const healthStatuses: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  try {
    while (Date.now() < deadline && peakRss <= MAX_RSS_BYTES) {
      const t0 = performance.now();
      const health = await fetch(`${cal.url}/healthz`, { signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.status,
        () => 0,
      );
      healthStatuses.push(health);
      slowestHealthMs = Math.max(slowestHealthMs, performance.now() - t0);
      peakRss = Math.max(peakRss, rssBytes(pid));
      await new Promise((r) => setTimeout(r, 200));
      peakRss = Math.max(peakRss, rssBytes(pid));
    }
  } finally {
    sock.destroy();
  }
  console.log(`${count} pipelined ${target}, never read: peak RSS ${Math.round(peakRss / 1e6)} MB, slowest /healthz ${Math.round(slowestHealthMs)} ms`);
  return { peakRss, slowestHealthMs, healthStatuses };
}

describe('one connection that pipelines and never reads', () => {
  it('20,000 GET /journal/chunk/0: the calendar stays under 500 MB and /healthz answers within 2 s', async () => {
    const r = await floodUnread('/journal/chunk/0', 20_000, 6);
    expect(r.peakRss, `peak RSS ${Math.round(r.peakRss / 1e6)} MB`).toBeLessThanOrEqual(MAX_RSS_BYTES);
    expect(r.healthStatuses.every((s) => s === 200), `healthz statuses ${r.healthStatuses.join(',')}`).toBe(true);
    expect(r.slowestHealthMs).toBeLessThan(2_000);
  });

  it('20,000 GET /journal/tail?from=0&wait=0: the same', async () => {
    const r = await floodUnread('/journal/tail?from=0&wait=0', 20_000, 6);
    expect(r.peakRss, `peak RSS ${Math.round(r.peakRss / 1e6)} MB`).toBeLessThanOrEqual(MAX_RSS_BYTES);
    expect(r.healthStatuses.every((s) => s === 200), `healthz statuses ${r.healthStatuses.join(',')}`).toBe(true);
    expect(r.slowestHealthMs).toBeLessThan(2_000);
  });

  it('and the calendar still takes digests afterwards', async () => {
    const res = await fetch(`${cal.url}/digest`, { method: 'POST', body: randomBytes(32) });
    expect(res.status).toBe(200);
  });
});

describe('a pipelining client that reads', () => {
  it('gets every answer, in the order it asked', async () => {
    const sock = await open(cal.port);
    const froms = Array.from({ length: 300 }, (_, i) => (i * 37) % (CHUNK_RECORDS + 100));
    sock.write(froms.map((f) => `GET /journal/tail?from=${f}&wait=0 HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    const firsts: number[] = [];
    let buf = Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      sock.on('error', reject);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) break;
          const head = buf.subarray(0, end).toString('latin1');
          const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length < end + 4 + length) break;
          expect(head.split(' ')[1]).toBe('200');
          firsts.push(Number(/\r\nx-journal-first: (\d+)/i.exec(head)?.[1] ?? -1));
          buf = buf.subarray(end + 4 + length);
        }
        if (firsts.length === froms.length) resolve();
      });
    });
    sock.destroy();
    expect(firsts).toEqual(froms);
  });
});

describe('long polls whose connections close', () => {
  it('10,500 opened and closed quickly hold no waiting slot: a real long poll then gets its records, not 503', async () => {
    const head = (await (await fetch(`${cal.url}/journal/head`)).json()) as { size: number };
    const request = `GET /journal/tail?from=${head.size}&wait=30000 HTTP/1.1\r\nHost: x\r\n\r\n`;
    for (let opened = 0; opened < 10_500; opened += 1_500) {
      const batch = await Promise.all(Array.from({ length: 1_500 }, () => open(cal.port)));
      for (const s of batch) {
        s.on('error', () => undefined);
        s.write(request);
      }
      // long enough for the calendar to read every request and start waiting on it
      await new Promise((r) => setTimeout(r, 400));
      for (const s of batch) s.destroy();
    }
    await new Promise((r) => setTimeout(r, 200));
    const size = ((await (await fetch(`${cal.url}/journal/head`)).json()) as { size: number }).size;
    const polling = fetch(`${cal.url}/journal/tail?from=${size}&wait=20000`);
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${cal.url}/digest`, { method: 'POST', body: randomBytes(32) })).status).toBe(200);
    const answer = await polling;
    expect(answer.status, await answer.clone().text()).toBe(200);
    expect(Number(answer.headers.get('x-journal-count'))).toBeGreaterThanOrEqual(1);
  });
});

describe('the adapter itself (node:http in this process)', () => {
  it('starts at most four answers of a connection that does not read, the rest after it reads', async () => {
    let running = 0;
    let started = 0;
    let most = 0;
    const body = new Uint8Array(256 * 1024);
    const server = createNodeServer(async (): Promise<HttpResponse> => {
      started++;
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return { status: 200, headers: { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' }, body };
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const sock = await open((server.address() as AddressInfo).port);
      sock.pause();
      sock.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(1_000));
      await new Promise((r) => setTimeout(r, 500));
      expect(most).toBeLessThanOrEqual(4);
      // a few answers fit in the socket buffers; far from the thousand asked for
      expect(started).toBeLessThan(100);
      let bytes = 0;
      sock.on('data', (d: Buffer) => void (bytes += d.length));
      sock.resume();
      const end = Date.now() + 20_000;
      while (started < 1_000 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(started).toBe(1_000);
      expect(most).toBeLessThanOrEqual(4);
      sock.destroy();
      expect(bytes).toBeGreaterThan(100 * body.length);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});

