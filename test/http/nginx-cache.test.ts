/** Real nginx in front of the real calendar: what its proxy_cache keeps and for how long, and contrib/nginx/ots-calendar.conf checked by `nginx -t` and then run. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal } from '../../src/journal/index.js';
import { CalendarIndex } from '../../src/index/index.js';
import { Calendar } from '../../src/calendar/calendar.js';
import { openDataDir } from '../../src/calendar/data-dir.js';
import { OP_SHA256, Timestamp, bitcoinAttestation, encodePath, merkleRoot, opAppend, opPrepend, sha256 } from '../../src/ots/index.js';
import { MAX_TAIL_WAIT_MS } from '../../src/mirror/index.js';
import { freePort, startCalendarProcess, tempDir, type CalendarProcess } from '../fixtures/calendar-process.js';
import { nginxTest, scratchMain, scratchPrefix, selfSignedCert, startCachingProxy, startNginx, type NginxProcess } from '../fixtures/nginx.js';

const PENDING = 'Pending confirmation in Bitcoin blockchain';
const ANCHOR_HEIGHT = 4242;

/** Appends, in-process, an anchor record covering the first `count` commitments, all by default (the calendar must be stopped). */
async function anchorAll(dataDir: string, uri: string, count?: number): Promise<number> {
  const dd = openDataDir(dataDir, { defaultUri: uri });
  const journal = await Journal.open({ dir: dd.journalDir, log: () => undefined });
  const index = await CalendarIndex.open({ dir: dd.indexDir, journal });
  try {
    const calendar = new Calendar({ journal, index, hmacKey: dd.hmacKey, uri });
    const n = count ?? index.commitCount;
    const commitments = Array.from({ length: n }, (_, i) => index.commitment(i));
    const tip = merkleRoot(commitments.map((c) => sha256(c)));
    const timestamp = encodePath([opPrepend(randomBytes(60)), opAppend(randomBytes(4)), OP_SHA256, OP_SHA256], bitcoinAttestation(ANCHOR_HEIGHT));
    await calendar.appendAnchor({ tip, ranges: [{ start: 0, end: n }], timestamp });
    return n;
  } finally {
    index.close();
    await journal.close();
  }
}

/** The commitment a POST /digest answer leads to (the message its pending attestation is on). */
function commitmentOf(digest: Uint8Array, proof: Uint8Array): string {
  const atts = Timestamp.fromBytes(proof, digest).allAttestations();
  expect(atts).toHaveLength(1);
  expect(atts[0]?.attestation.kind).toBe('pending');
  return Buffer.from(atts[0]?.msg ?? []).toString('hex');
}

function logged(cal: CalendarProcess, requestLine: string): number {
  return cal.lines.filter((r) => r['access'] === true && r['msg'] === requestLine).length;
}

/**
 * How many requests the calendar itself answered, from its access log. The log arrives on a pipe,
 * after the answers: a request of its own to /healthz, once logged, shows every earlier line is in.
 */
async function upstreamCount(cal: CalendarProcess, requestLine: string): Promise<number> {
  const barrier = logged(cal, 'GET /healthz') + 1;
  expect((await fetch(`${cal.url}/healthz`)).status).toBe(200);
  const deadline = Date.now() + 5_000;
  while (logged(cal, 'GET /healthz') < barrier) {
    if (Date.now() > deadline) throw new Error('the calendar did not log its /healthz answer');
    await sleep(10);
  }
  return logged(cal, requestLine);
}

async function get(url: string, init: RequestInit = {}): Promise<{ status: number; cache: string | null; headers: Headers; body: Buffer }> {
  const r = await fetch(url, init);
  return { status: r.status, cache: r.headers.get('x-cache-status'), headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('nginx proxy_cache in front of the calendar', () => {
  const dataDir = tempDir('otsc-nginx-data-');
  const args = ['--pending-max-age', '1', '--access-log'];
  let port: number;
  let cal: CalendarProcess;
  let nginx: NginxProcess;
  const commitments: string[] = [];

  beforeAll(async () => {
    port = await freePort();
    cal = await startCalendarProcess({ dataDir, port, args });
    nginx = await startCachingProxy(port);
  });

  afterAll(async () => {
    await nginx?.stop();
    await cal?.stop();
  });

  it('never caches POST /digest: two identical submissions both reach the calendar and get different proofs', async () => {
    const digest = randomBytes(32);
    const answers: Buffer[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await get(`${nginx.url}/digest`, { method: 'POST', body: digest });
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.cache).toBeNull(); // nginx did not even consult the cache
      answers.push(r.body);
    }
    expect(answers[0]?.equals(answers[1] ?? Buffer.alloc(0))).toBe(false);
    expect(await upstreamCount(cal, 'POST /digest')).toBe(2);
    expect(nginx.accessLog().filter((e) => e.method === 'POST').map((e) => e.cache)).toEqual(['-', '-']);
    // Sequential submissions land in different ticks: two commitments.
    for (const a of answers) commitments.push(commitmentOf(digest, a));
    expect(new Set(commitments).size).toBe(2);
  });

  it('keeps a pending answer only as long as the calendar says, then serves the complete proof; a complete proof reaches the calendar once', async () => {
    const [c1 = '', c2 = ''] = commitments;
    const pending1 = await get(`${nginx.url}/timestamp/${c1}`);
    const pendingAt = Date.now();
    expect(pending1.status).toBe(404);
    expect(pending1.body.toString()).toBe(PENDING);
    expect(pending1.headers.get('cache-control')).toBe('public, max-age=1');
    expect(pending1.cache).toBe('MISS');
    const pending2 = await get(`${nginx.url}/timestamp/${c1}`);
    expect([pending2.status, pending2.cache, pending2.body.toString()]).toEqual([404, 'HIT', PENDING]);
    expect(await upstreamCount(cal, `GET /timestamp/${c1}`)).toBe(1);

    // The stamper's part, done in-process while the calendar is stopped: both commitments get anchored.
    expect((await cal.stop()).code).toBe(0);
    expect(await anchorAll(dataDir, cal.url)).toBe(2);
    cal = await startCalendarProcess({ dataDir, port, args });

    // max-age=1 counts whole seconds in nginx: after 2.1 s the pending answer has certainly expired.
    await sleep(Math.max(0, pendingAt + 2_100 - Date.now()));
    const complete = await get(`${nginx.url}/timestamp/${c1}`);
    expect(complete.status).toBe(200);
    expect(complete.cache).toBe('EXPIRED');
    expect(complete.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const [att] = Timestamp.fromBytes(complete.body, Buffer.from(c1, 'hex')).allAttestations();
    expect(att?.attestation).toEqual({ kind: 'bitcoin', height: ANCHOR_HEIGHT });
    const again = await get(`${nginx.url}/timestamp/${c1}`);
    expect([again.status, again.cache, again.body.equals(complete.body)]).toEqual([200, 'HIT', true]);
    expect(await upstreamCount(cal, `GET /timestamp/${c1}`)).toBe(1);

    // A complete proof nobody asked for yet: fetched twice (and a HEAD), it reaches the calendar once.
    const first = await get(`${nginx.url}/timestamp/${c2}`);
    const second = await get(`${nginx.url}/timestamp/${c2}`);
    const head = await get(`${nginx.url}/timestamp/${c2}`, { method: 'HEAD' });
    expect([first.status, first.cache]).toEqual([200, 'MISS']);
    expect([second.status, second.cache, second.body.equals(first.body)]).toEqual([200, 'HIT', true]);
    expect([head.status, head.cache, head.headers.get('content-length')]).toEqual([200, 'HIT', String(first.body.length)]);
    expect(await upstreamCount(cal, `GET /timestamp/${c2}`)).toBe(1);
    expect(await upstreamCount(cal, `HEAD /timestamp/${c2}`)).toBe(0);
    const log = nginx.accessLog().filter((e) => e.uri === `/timestamp/${c2}`);
    expect(log.map((e) => `${e.method} ${e.status} ${e.cache}`)).toEqual(['GET 200 MISS', 'GET 200 HIT', 'HEAD 200 HIT']);
  });

  it('keeps the HTML page and the JSON status apart on / (Vary: Accept), each served from the cache as itself', async () => {
    const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    const json = { accept: 'application/json' };
    const before = await upstreamCount(cal, 'GET /');
    const seen: Array<[string | null, string | null]> = [];
    for (const headers of [html, json, html, json, json, html]) {
      const r = await get(`${nginx.url}/`, { headers });
      expect(r.status).toBe(200);
      const type = r.headers.get('content-type');
      expect(r.headers.get('vary')).toBe('Accept');
      if (headers === json) {
        expect(type).toBe('application/json; charset=utf-8');
        expect((JSON.parse(r.body.toString()) as { uri: string }).uri).toBe(cal.url);
      } else {
        expect(type).toBe('text/html; charset=utf-8');
        expect(r.body.toString().startsWith('<!doctype html>')).toBe(true);
      }
      seen.push([headers === json ? 'json' : 'html', r.cache]);
    }
    // Within the 5 s lifetime each representation went upstream once; every later answer is a HIT of its own kind.
    expect(seen).toEqual([
      ['html', 'MISS'],
      ['json', 'MISS'],
      ['html', 'HIT'],
      ['json', 'HIT'],
      ['json', 'HIT'],
      ['html', 'HIT'],
    ]);
    expect(await upstreamCount(cal, 'GET /') - before).toBe(2);
  });
});

const CONTRIB = fileURLToPath(new URL('../../contrib/nginx/ots-calendar.conf', import.meta.url));
const HOST = 'calendar.example.org';

/** The statements of an nginx config, by directive name, in order (comments dropped). */
function directives(conf: string): string[] {
  return conf
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l.length > 0 && l !== '}')
    .map((l) => l.split(/\s+/)[0] ?? '');
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/**
 * A request to 127.0.0.1:port (or `opts.address`, e.g. ::1 for a second client address) as if to HOST: over TLS
 * trusting `ca`, or plain HTTP when `ca` is undefined.
 */
function hostRequest(port: number, ca: string | undefined, path: string, opts: { method?: string; headers?: Record<string, string>; body?: Uint8Array; address?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const options = { host: opts.address ?? '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: false as const, headers: { host: HOST, ...opts.headers } };
    const req = ca === undefined ? httpRequest(options) : httpsRequest({ ...options, servername: HOST, ca });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** How many times a response carried header `name`. */
function occurrences(r: Reply, name: string): number {
  return r.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === name).length;
}

interface Relay {
  port: number;
  /** What nginx sent upstream, in order. */
  seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  /** While true, every connection is dropped, as by a crashed calendar. */
  down: boolean;
  close(): Promise<void>;
}

/** A relay between nginx and the calendar that records what nginx sends upstream. */
async function startRelay(target: string): Promise<Relay> {
  const relay: Relay = { port: 0, seen: [], down: false, close: () => new Promise((resolve) => server.close(() => resolve())) };
  const server: Server = createServer((req, res) => {
    relay.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (relay.down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = req.method === 'POST' ? Buffer.concat(chunks) : undefined;
      fetch(`${target}${req.url ?? '/'}`, { method: req.method, headers: { accept: req.headers.accept ?? '*/*' }, body }).then(
        async (r) => {
          const payload = Buffer.from(await r.arrayBuffer());
          res.writeHead(r.status, Object.fromEntries([...r.headers].filter(([k]) => !['connection', 'keep-alive', 'transfer-encoding'].includes(k))));
          res.end(payload);
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.port = (server.address() as AddressInfo).port;
  return relay;
}

/**
 * The example site with its machine-specific parts pointed into `prefix`: certificate and key,
 * cache, logs and ACME folders, listen ports and the upstream's port. Directives stay as they are.
 */
function localizedSite(prefix: string, ports: { http: number; https: number; upstream: number }, tls: { cert: string; key: string }): string {
  const original = readFileSync(CONTRIB, 'utf8');
  const replacements: Array<[string | RegExp, string]> = [
    [`/etc/letsencrypt/live/${HOST}/fullchain.pem`, tls.cert],
    [`/etc/letsencrypt/live/${HOST}/privkey.pem`, tls.key],
    ['/var/cache/nginx/ots-calendar', join(prefix, 'cache/ots-calendar')],
    ['/var/log/nginx/', join(prefix, 'logs') + '/'],
    ['/var/www/letsencrypt', join(prefix, 'acme')],
    [/listen 80;/g, `listen 127.0.0.1:${ports.http};`],
    [/listen \[::\]:80;/g, `listen [::1]:${ports.http};`],
    [/listen 443 /g, `listen 127.0.0.1:${ports.https} `],
    [/listen \[::\]:443 /g, `listen [::1]:${ports.https} `],
    ['server 127.0.0.1:14788;', `server 127.0.0.1:${ports.upstream};`],
  ];
  let site = original;
  for (const [from, to] of replacements) {
    const next = typeof from === 'string' ? site.split(from).join(to) : site.replace(from, to);
    if (next === site) throw new Error(`the example no longer contains ${String(from)}`);
    site = next;
  }
  expect(directives(site)).toEqual(directives(original));
  return site;
}

describe('contrib/nginx/ots-calendar.conf', () => {
  const dataDir = tempDir('otsc-contrib-data-');
  let prefix: string;
  let cal: CalendarProcess;
  let relay: Relay;
  let nginx: NginxProcess | undefined;
  let ca: string;
  let ports: { http: number; https: number; upstream: number };
  let anchored = '';
  let pending = '';

  beforeAll(async () => {
    // A calendar with three anchored commitments and a pending one.
    const calPort = await freePort();
    const dd = openDataDir(dataDir, { defaultUri: `http://127.0.0.1:${calPort}` });
    const journal = await Journal.open({ dir: dd.journalDir, log: () => undefined });
    const index = await CalendarIndex.open({ dir: dd.indexDir, journal });
    const calendar = new Calendar({ journal, index, hmacKey: dd.hmacKey, uri: dd.uri });
    for (let i = 0; i < 4; i++) await calendar.commit(randomBytes(32));
    anchored = Buffer.from(index.commitment(0)).toString('hex');
    pending = Buffer.from(index.commitment(3)).toString('hex');
    index.close();
    await journal.close();
    await anchorAll(dataDir, dd.uri, 3);
    cal = await startCalendarProcess({ dataDir, port: calPort, args: ['--pending-max-age', '1'] });
    relay = await startRelay(cal.url);

    prefix = scratchPrefix();
    const tls = selfSignedCert(join(prefix, 'tls'), HOST);
    ca = readFileSync(tls.cert, 'utf8');
    ports = { http: await freePort(), https: await freePort(), upstream: relay.port };
    writeFileSync(join(prefix, 'conf/ots-calendar.conf'), localizedSite(prefix, ports, tls));
    // Debian's own http-level defaults around it, so a clash with them (a duplicate directive) would show.
    writeFileSync(
      join(prefix, 'conf/nginx.conf'),
      scratchMain(`  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
  ssl_prefer_server_ciphers on;
  access_log logs/access.log;
  gzip on;
  include ots-calendar.conf;`),
    );
  });

  afterAll(async () => {
    await nginx?.stop();
    await relay?.close();
    expect((await cal?.stop())?.code).toBe(0);
  });

  it('passes nginx -t, without a warning, inside Debian\'s http defaults, with only its paths and ports changed', () => {
    const t = nginxTest(prefix);
    expect(t.output).toContain('syntax is ok');
    expect(t.output).toContain('test is successful');
    expect(t.output).not.toMatch(/\[(warn|emerg|alert|crit)\]/);
    expect(t.ok).toBe(true);
  });

  it('serves TLS, the cache, stale answers while the calendar is down, CORS, the redirect, the rate limit and the real client address', async () => {
    nginx = await startNginx(prefix, [ports.https, ports.http]);
    const tls = (path: string, opts: Parameters<typeof hostRequest>[3] = {}): Promise<Reply> => hostRequest(ports.https, ca, path, opts);

    // Plain HTTP redirects to HTTPS.
    const redirect = await hostRequest(ports.http, undefined, '/timestamp/00');
    expect(redirect.status).toBe(301);
    expect(redirect.headers['location']).toBe(`https://${HOST}/timestamp/00`);

    // Over TLS: the status and a complete proof, each MISS then HIT with one upstream request; CORS once, HSTS.
    const status = await tls('/status');
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body.toString())).toMatchObject({ commitments: 4 });
    expect(status.headers['x-cache-status']).toBe('MISS');
    expect((await tls('/status')).headers['x-cache-status']).toBe('HIT');

    const proofPath = `/timestamp/${anchored}`;
    const miss = await tls(proofPath);
    const hit = await tls(proofPath);
    expect([miss.status, miss.headers['x-cache-status']]).toEqual([200, 'MISS']);
    expect([hit.status, hit.headers['x-cache-status'], hit.body.equals(miss.body)]).toEqual([200, 'HIT', true]);
    expect(relay.seen.filter((u) => u.url === proofPath)).toHaveLength(1);
    for (const r of [miss, hit]) {
      expect(occurrences(r, 'access-control-allow-origin')).toBe(1);
      expect(r.headers['access-control-allow-origin']).toBe('*');
      expect(r.headers['access-control-expose-headers']).toBe('ETag, Retry-After, X-Cache-Status');
      expect(r.headers['strict-transport-security']).toBe('max-age=63072000');
      expect(r.headers['access-control-allow-methods']).toBeUndefined();
    }

    const pendingPath = `/timestamp/${pending}`;
    const first = await tls(pendingPath);
    const pendingAt = Date.now();
    expect([first.status, first.headers['x-cache-status'], first.body.toString()]).toEqual([404, 'MISS', PENDING]);

    // The client address reaches the calendar; a forged X-Forwarded-For does not.
    expect((await tls('/healthz', { headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(200);
    const seen = relay.seen.find((u) => u.url === '/healthz');
    expect(seen?.headers['x-real-ip']).toBe('127.0.0.1');
    expect(seen?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen?.headers['x-forwarded-proto']).toBe('https');
    expect(seen?.headers['host']).toBe(HOST);
    expect(seen?.headers['connection']).toBeUndefined(); // HTTP/1.1 keep-alive to the upstream

    // CORS preflight is answered by nginx alone.
    const preflight = await tls('/digest', {
      method: 'OPTIONS',
      headers: { origin: 'https://example.net', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, OPTIONS');
    expect(preflight.headers['access-control-allow-headers']).toBe('Content-Type, Accept, If-None-Match');
    expect(preflight.headers['access-control-max-age']).toBe('86400');
    expect(relay.seen.filter((u) => u.method === 'OPTIONS')).toHaveLength(0);

    // An oversized body is refused before it reaches the calendar.
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const big = await tls('/digest', { method: 'POST', body: randomBytes(4096), headers: form });
    expect(big.status).toBe(413);
    expect(big.headers['access-control-allow-origin']).toBe('*');

    // A burst of submissions from one address: the burst allowance passes, the rest get 429 (with CORS, never cached).
    const burst = await Promise.all(Array.from({ length: 40 }, () => tls('/digest', { method: 'POST', body: randomBytes(32), headers: form })));
    const ok = burst.filter((r) => r.status === 200);
    const limited = burst.filter((r) => r.status === 429);
    expect(ok.length + limited.length).toBe(burst.length);
    expect(ok.length).toBeGreaterThanOrEqual(21);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) expect([r.headers['access-control-allow-origin'], r.headers['retry-after']]).toEqual(['*', '1']);
    for (const r of ok) expect([r.headers['x-cache-status'], r.headers['retry-after']]).toEqual([undefined, undefined]);
    expect(relay.seen.filter((u) => u.method === 'POST')).toHaveLength(ok.length);

    // The calendar goes away: the expired pending answer is served stale, the complete proof is still fresh,
    // and what was never cached fails with CORS headers still on.
    relay.down = true;
    await sleep(Math.max(0, pendingAt + 2_100 - Date.now()));
    const stale = await tls(pendingPath);
    expect([stale.status, stale.headers['x-cache-status'], stale.body.toString()]).toEqual([404, 'STALE', PENDING]);
    // nginx did try the calendar (on each idle keep-alive connection, then a new one) before falling back.
    expect(relay.seen.filter((u) => u.url === pendingPath).length).toBeGreaterThan(1);
    expect((await tls(proofPath)).headers['x-cache-status']).toBe('HIT');
    const unreachable = await tls(`/timestamp/${'ab'.repeat(44)}`);
    expect([unreachable.status, unreachable.headers['access-control-allow-origin']]).toEqual([502, '*']);

    // The site's own logs, where the example puts them.
    expect(readFileSync(join(prefix, 'logs/ots-calendar.error.log'), 'utf8')).toMatch(/limiting requests, excess: [\d.]+ by zone "ots_digest"/);
    expect(readFileSync(join(prefix, 'logs/ots-calendar.access.log'), 'utf8')).toMatch(/"POST \/digest HTTP\/1.1" 429 /);
  });
  it('lets the journal tail wait its longest (30 s) and bounds requests in progress per client address (429, Retry-After)', async () => {
    relay.down = false;
    nginx ??= await startNginx(prefix, [ports.https, ports.http]);
    const tls = (path: string, opts: Parameters<typeof hostRequest>[3] = {}): Promise<Reply> => hostRequest(ports.https, ca, path, opts);
    const head = JSON.parse((await tls('/journal/head')).body.toString()) as { size: number };
    const tailPath = (waitMs: number): string => `/journal/tail?from=${head.size}&wait=${waitMs}`;
    const tails = (): number => relay.seen.filter((u) => u.url.startsWith('/journal/tail?')).length;
    const before = tails();

    // One long-poll for the whole of the tail's longest wait, and 31 shorter ones beside it: 32 in progress.
    const t0 = Date.now();
    const long = tls(tailPath(MAX_TAIL_WAIT_MS)).then((r) => ({ r, took: Date.now() - t0 }));
    const short = Array.from({ length: 31 }, () => tls(tailPath(8_000)));
    while (tails() - before < 32) await sleep(20);

    // The 33rd from the same address is refused at once; another address (::1) is not.
    const healthz = (): number => relay.seen.filter((u) => u.url === '/healthz').length;
    const upstreamBefore = healthz();
    const refused = await tls('/healthz');
    expect([refused.status, refused.headers['retry-after'], refused.headers['access-control-allow-origin']]).toEqual([429, '1', '*']);
    expect(healthz()).toBe(upstreamBefore);
    const other = await tls('/healthz', { address: '::1' });
    expect([other.status, other.headers['retry-after']]).toEqual([200, undefined]);
    expect(readFileSync(join(prefix, 'logs/ots-calendar.error.log'), 'utf8')).toMatch(/limiting connections by zone "ots_conn"/);

    // Every poll gets the calendar's own answer (no records yet, the head as it is), the long one after 30 s.
    for (const r of await Promise.all(short)) expect([r.status, r.headers['x-journal-count'], r.headers['x-journal-size']]).toEqual([200, '0', String(head.size)]);
    const { r, took } = await long;
    expect([r.status, r.headers['x-journal-count'], r.headers['x-journal-size'], r.headers['cache-control']]).toEqual([200, '0', String(head.size), 'no-store']);
    expect(r.headers['x-cache-status']).toBeUndefined();
    expect(took).toBeGreaterThanOrEqual(MAX_TAIL_WAIT_MS);

    // With the polls answered, the same address is served again.
    expect((await tls('/healthz')).status).toBe(200);
  }, 90_000);
});
