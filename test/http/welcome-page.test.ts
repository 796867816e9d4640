/** The welcome page in real headless Chromium, desktop and phone; its size, CSP and JSON twin; Accept negotiation; every role's explanation. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startCalendarProcess, type CalendarProcess } from '../fixtures/calendar-process.js';
import { DESKTOP, PHONE, launchBrowser, type WatchedPage } from '../fixtures/browser.js';
import { statusPage } from '../../src/http/status-page.js';
import type { StatusInfo } from '../../src/http/status-info.js';
import { preferredFormat } from '../../src/http/welcome-accept.js';
import { renderWelcome } from '../../src/http/welcome-html.js';
import { createNodeServer } from '../../src/http/node-server.js';
import { VERSION } from '../../src/cli/version.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const OPERATOR = 'Example Timestamping <ops@example.org>';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';

/** What a page shows in the definition list under `label`. */
async function valueOf(w: WatchedPage, label: string): Promise<string> {
  return (await w.page.locator('dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]').innerText()).trim();
}

async function noHorizontalOverflow(w: WatchedPage): Promise<{ scrollWidth: number; innerWidth: number }> {
  return (await w.page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })')) as { scrollWidth: number; innerWidth: number };
}

const ISO_AGE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \((just now|\d+ (s|min|h) ago)\)$/;

describe('welcome page', () => {
  let cal: CalendarProcess;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    cal = await startCalendarProcess({ args: ['--operator', OPERATOR] });
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${cal.url}/digest`, { method: 'POST', body: randomBytes(32) });
      expect(r.status).toBe(200);
    }
  });

  afterAll(async () => {
    expect((await cal.stop()).code).toBe(0);
  });

  it('shows in Chromium what this calendar is, how to use it with its own URL, and its live status, on a desktop and a phone', async () => {
    const status = (await (await fetch(`${cal.url}/status`)).json()) as StatusInfo;
    expect(status.commitments).toBe(3);

    const desktop = await launchBrowser(DESKTOP);
    try {
      const w = await desktop.open(`${cal.url}/`);
      expect(w.status).toBe(200);
      expect(w.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(await w.page.title()).toBe(`OpenTimestamps calendar ${cal.url}`);
      expect(await w.page.locator('h1').innerText()).toBe('OpenTimestamps calendar');
      const text = await w.page.locator('body').innerText();
      expect(text).toContain(`Run by ${OPERATOR}`);
      expect(text).toContain(`ots stamp -c ${cal.url} -m 1 FILE`);
      expect(text).toContain(`ots -l ${cal.url} upgrade FILE.ots`);
      expect(text).toContain(`ots -l ${cal.url} verify FILE.ots`);
      expect(text).toContain(`await ots.stamp(file, { calendars: ['${cal.url}'], m: 1 });`);
      expect(text).toContain('GET /timestamp/hex');
      expect(text).not.toMatch(/<\/?[a-z]+[\s>]|&#\d+;|\$\{|\]\)\}/); // no markup or template shown as text
      expect(await valueOf(w, 'Software')).toBe(`ots-calendar ${VERSION}`);
      expect(await valueOf(w, 'Operator')).toBe(OPERATOR);
      expect(await valueOf(w, 'Commitments')).toBe('3');
      expect(await valueOf(w, 'Digests since start')).toMatch(/^3 in \d+ ticks$/);
      expect(await valueOf(w, 'Last tick')).toMatch(ISO_AGE);
      expect(await valueOf(w, 'Running since')).toMatch(ISO_AGE);
      expect(await valueOf(w, 'Tick interval')).toBe('100 ms');
      expect(await w.page.locator('a[href="/status"]').count()).toBeGreaterThan(0);
      // The stylesheet is admitted by its hash: had it been blocked, main would be full width.
      expect(await w.page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth")).toBe('736px');
      expect(await w.page.locator('script').count()).toBe(0);
      await w.page.screenshot({ path: `${ARTIFACTS}welcome.png`, fullPage: true });
      expect(w.consoleErrors).toEqual([]);
      expect(await w.cspViolations()).toEqual([]);
    } finally {
      await desktop.close();
    }

    const phone = await launchBrowser(PHONE);
    try {
      const w = await phone.open(`${cal.url}/`);
      expect(w.status).toBe(200);
      const { scrollWidth, innerWidth } = await noHorizontalOverflow(w);
      expect(innerWidth).toBe(PHONE.viewport.width); // the viewport meta tag took effect
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      expect(await valueOf(w, 'Commitments')).toBe('3');
      await w.page.screenshot({ path: `${ARTIFACTS}welcome-phone.png`, fullPage: true });
      expect(w.consoleErrors).toEqual([]);
      expect(await w.cspViolations()).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it('shows anchoring values with explorer links, a Lightning invoice, upstreams and mirrors, and still fits a phone; an injected style is refused', async () => {
    const now = Date.now();
    const txid = 'c3a1d0f5e2b4978a6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e';
    const address = 'bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr';
    const invoice = `lnbc10u1p${'qpzry9x8gf2tvdw0s3jn54khce6mua7l'.repeat(9)}`;
    const info: StatusInfo = {
      software: 'ots-calendar',
      version: VERSION,
      role: 'calendar',
      uri: 'https://alice.calendar.example.org',
      operator: OPERATOR,
      startedAt: new Date(now - 90_061_000).toISOString(),
      uptimeSeconds: 90_061,
      commitments: 1_234_567,
      chain: 'Bitcoin',
      pendingCommitments: 7_123,
      digests: 98_765_432,
      ticks: 90_000,
      tickMs: 1000,
      lastTickAt: new Date(now - 400).toISOString(),
      queued: 12,
      explorerUrl: 'https://mempool.space/',
      anchoring: {
        currentTxid: txid,
        feeRateSatVb: 12.5,
        confirmations: 2,
        lastAnchorHeight: 871_234,
        lastAnchorAt: Math.floor(now / 1000) - 7_300,
        walletBalanceSats: 1_234_567,
        donationAddress: address,
        replaceable: true,
      },
      lightningInvoice: invoice,
      mirrors: ['https://mirror-one.example.net', 'https://a-rather-long-mirror-name.timestamping.example.com/calendar/alice'],
    };
    const server: Server = createNodeServer(async (req) => {
      const res = statusPage(() => info, req, false);
      if (req.path === '/tampered' && typeof res.body === 'string') res.body = res.body.replace('</head>', '<style>body{color:red}</style></head>');
      return res;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const phone = await launchBrowser(PHONE);
    try {
      const w = await phone.open(`${base}/`);
      expect(w.status).toBe(200);
      expect(await w.page.locator(`a[href="https://mempool.space/tx/${txid}"]`).count()).toBe(1);
      expect(await w.page.locator(`a[href="https://mempool.space/address/${address}"]`).count()).toBe(1);
      expect(await w.page.locator(`a[href="lightning:${invoice}"]`).count()).toBe(1);
      expect(await w.page.locator('a[href="https://mirror-one.example.net"]').count()).toBe(1);
      expect(await valueOf(w, 'Current transaction')).toBe(txid);
      expect(await valueOf(w, 'Fee rate')).toBe('12.5 sat/vB');
      expect(await valueOf(w, 'Wallet balance')).toBe('1,234,567 sats');
      expect(await valueOf(w, 'Last anchor, block height')).toBe('871234');
      expect(await valueOf(w, 'Last anchor')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(2 h ago\)$/);
      expect(await valueOf(w, 'Replaceable')).toBe('yes');
      expect(await valueOf(w, 'Commitments')).toBe('1,234,567');
      expect(await valueOf(w, 'Pending commitments')).toBe('7,123 waiting for a Bitcoin transaction');
      expect(await valueOf(w, 'Running since')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(1 day ago\)$/);
      const { scrollWidth, innerWidth } = await noHorizontalOverflow(w);
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      await w.page.screenshot({ path: `${ARTIFACTS}welcome-anchoring-phone.png`, fullPage: true });
      expect(w.consoleErrors).toEqual([]);
      expect(await w.cspViolations()).toEqual([]);

      // The detectors above do see a violation when there is one.
      const t = await phone.open(`${base}/tampered`);
      expect(await t.cspViolations()).toEqual([expect.stringMatching(/^style-src/)]);
      expect(t.consoleErrors.join('\n')).toMatch(/Content Security Policy/);
      expect(await t.page.evaluate('getComputedStyle(document.body).color')).not.toBe('rgb(255, 0, 0)');
    } finally {
      await phone.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is under 30 KB with a strict CSP, and /status is the same data as parseable JSON', async () => {
    const r = await fetch(`${cal.url}/`, { headers: { accept: BROWSER_ACCEPT } });
    const html = await r.text();
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(Buffer.byteLength(html)).toBeLessThan(30 * 1024);
    expect(r.headers.get('vary')).toBe('Accept');
    expect(r.headers.get('cache-control')).toBe('public, max-age=5');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');

    const csp = r.headers.get('content-security-policy') ?? '';
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name = '', ...values]) => [name, values]));
    const css = /<style>([^<]*)<\/style>/.exec(html)?.[1] ?? '';
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('style-src')).toEqual([`'sha256-${createHash('sha256').update(css).digest('base64')}'`]);
    expect(directives.get('img-src')).toEqual(['data:']);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.has('script-src')).toBe(false); // so scripts fall back to default-src 'none'
    expect(csp).not.toContain('unsafe');
    expect(html).not.toMatch(/<script|\bstyle="|https?:\/\/[^"]*\.(css|js|png|svg|woff2?)"/);

    const s = await fetch(`${cal.url}/status`, { headers: { accept: BROWSER_ACCEPT } });
    expect(s.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(s.headers.get('access-control-allow-origin')).toBe('*');
    const json = (await s.json()) as Record<string, unknown>;
    for (const key of ['software', 'version', 'role', 'uri', 'operator', 'startedAt', 'uptimeSeconds', 'commitments', 'digests', 'ticks', 'tickMs', 'lastTickAt', 'queued']) {
      expect(json, key).toHaveProperty(key);
    }
    expect(json).toMatchObject({ software: 'ots-calendar', version: VERSION, role: 'calendar', uri: cal.url, operator: OPERATOR, commitments: 3, tickMs: 100 });
    expect(typeof json['uptimeSeconds']).toBe('number');
    expect(new Date(String(json['startedAt'])).toISOString()).toBe(json['startedAt']);

    const head = await fetch(`${cal.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('negotiates HTML or JSON on / from Accept, with q-values, lists and wildcards, and never mixes them', async () => {
    const cases: Array<[string, 'html' | 'json']> = [
      ['application/json', 'json'],
      ['application/json; charset=utf-8', 'json'],
      ['Application/JSON', 'json'],
      ['text/html;q=0.9, application/json', 'json'],
      ['application/json;q=0.5, text/html;q=0.4', 'json'],
      ['application/*', 'json'],
      ['application/json, */*;q=0.1', 'json'],
      ['application/json, text/html', 'json'],
      ['text/html, application/json', 'html'],
      ['application/json;q=0, text/html', 'html'],
      ['application/json;q=0', 'html'],
      ['text/*, application/json;q=0.8', 'html'],
      [BROWSER_ACCEPT, 'html'],
      ['*/*', 'html'],
      ['application/vnd.opentimestamps.v1', 'html'],
      ['application/json;q=2', 'html'],
      ['garbage;;;,', 'html'],
    ];
    for (const [accept, want] of cases) {
      expect(preferredFormat(accept), accept).toBe(want);
      const r = await fetch(`${cal.url}/`, { headers: { accept } });
      const body = await r.text();
      expect(r.headers.get('vary'), accept).toBe('Accept');
      if (want === 'json') {
        expect(r.headers.get('content-type'), accept).toBe('application/json; charset=utf-8');
        expect((JSON.parse(body) as StatusInfo).uri).toBe(cal.url);
      } else {
        expect(r.headers.get('content-type'), accept).toBe('text/html; charset=utf-8');
        expect(body.startsWith('<!doctype html>'), accept).toBe(true);
      }
    }
    expect(preferredFormat(undefined)).toBe('html');
    expect(preferredFormat('')).toBe('html');
    const s = await fetch(`${cal.url}/status`, { headers: { accept: 'text/html' } });
    expect(s.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('explains aggregators and mirrors with their upstreams, and escapes whatever it is given', () => {
    const base: StatusInfo = {
      software: 'ots-calendar',
      version: VERSION,
      role: 'calendar',
      uri: 'https://pool.example.org',
      startedAt: '2026-01-01T00:00:00.000Z',
      uptimeSeconds: 59,
      commitments: 0,
      digests: 0,
      ticks: 0,
      tickMs: 1000,
      lastTickAt: null,
      queued: 0,
    };
    const now = new Date('2026-01-01T00:00:59Z');
    const agg = renderWelcome({ ...base, role: 'aggregator', upstreams: ['https://alice.example.org', 'https://bob.example.org'] }, now);
    expect(agg).toContain('<h1>OpenTimestamps aggregator</h1>');
    expect(agg).toContain('ots stamp -c https://pool.example.org -m 1 FILE');
    expect(agg).toContain('ots -l https://alice.example.org upgrade FILE.ots');
    expect(agg).toContain('Upstream calendars');
    expect(agg).toContain('<a href="https://bob.example.org"><code>https://bob.example.org</code></a>');
    expect(agg).not.toContain('GET /tip');
    expect(agg).toContain('none yet');

    const mirror = renderWelcome({ ...base, role: 'mirror', uri: 'https://mirror.example.net', upstreams: ['https://alice.example.org'], lagSeconds: 125 }, now);
    expect(mirror).toContain('<h1>OpenTimestamps calendar mirror</h1>');
    expect(mirror).toContain('This is a mirror of the <a href="https://opentimestamps.org">OpenTimestamps</a> calendar <code>https://alice.example.org</code>');
    expect(mirror).toContain('ots stamp -c https://mirror.example.net -m 1 FILE');
    expect(mirror).toContain('ots upgrade -c https://mirror.example.net FILE.ots');
    expect(mirror).toContain('<dt>Behind upstream</dt><dd>2 min 5 s</dd>');
    expect(mirror).toContain('Mirrored calendar');

    // A mirror that only serves proofs: no ticks, so no stamping and no tick figures; its follower state shown.
    const follower = renderWelcome(
      { ...base, role: 'mirror', tickMs: 0, uri: 'https://mirror.example.net', upstreams: ['https://alice.example.org'], mirror: { state: 'following', records: 123_456, lastRecordAt: '2026-01-01T00:00:29Z', failureCode: null } },
      now,
    );
    expect(follower).not.toContain('ots stamp');
    expect(follower).not.toContain('POST /digest');
    expect(follower).not.toContain('Tick interval');
    expect(follower).toContain('ots.DetachedTimestampFile.deserialize(otsBytes)');
    expect(follower).toContain('<h2 id="mirroring">Mirroring</h2>');
    expect(follower).toContain('<dt>Records held, verified</dt><dd>123,456</dd>');
    expect(follower).toContain('<dt>Last record</dt><dd><time datetime="2026-01-01T00:00:29Z">2026-01-01T00:00:29Z</time> <span class="age">(30 s ago)</span></dd>');
    expect(follower).toContain('<dt>Stopped by (code)</dt><dd><span class="note">none</span></dd>');

    const hostile = renderWelcome(
      { ...base, operator: '<script>alert(1)</script>', explorerUrl: 'javascript:alert(1)', anchoring: { currentTxid: 'a'.repeat(64), note: '"><img src=x>' }, upstreams: ['javascript:alert(1)'] },
      now,
    );
    expect(hostile).not.toContain('<script>');
    expect(hostile).not.toContain('<img');
    expect(hostile).not.toContain('href="javascript:');
    expect(hostile).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(hostile).toContain(`<dd><code>${'a'.repeat(64)}</code></dd>`);
  });
});
