// The HTTP edge through its dispatch alone, without a socket: routes, methods, the error table, caching
// classes and CORS. The node:http adapter (deadlines, HEAD bodies, parser errors) is tested with real sockets
// in bad-input.test.ts.
import { describe, expect, it } from 'vitest';
import { Aggregator, CommitFailedError, type Upstream } from '../../src/aggregator/aggregator.js';
import type { Answer } from '../../src/calendar/calendar.js';
import { createApp, type AppDeps } from '../../src/http/app.js';
import { CACHE } from '../../src/http/cache-policy.js';
import type { StatusInfo } from '../../src/http/status-info.js';
import type { HttpRequest, HttpResponse } from '../../src/http/types.js';

const PROOF = new Uint8Array([0xf0, 0x01, 0xaa, 0x08, 0x00]);
const KNOWN = 'aa'.repeat(44);
const PENDING = 'bb'.repeat(44);
const BROKEN = 'cc'.repeat(44);

const STATUS: StatusInfo = { software: 'ots-calendar', version: '0', role: 'calendar', uri: 'https://a.example.org', startedAt: '2026-01-01T00:00:00.000Z', uptimeSeconds: 1, commitments: 0, digests: 0, ticks: 0, tickMs: 1000, lastTickAt: null, queued: 0 };

/** An upstream that answers at once, or fails, or never answers (to fill the queue). */
function upstream(mode: 'ok' | 'fail' | 'hang'): Upstream {
  return {
    commit: (root) =>
      mode === 'ok' ? Promise.resolve({ suffix: new Uint8Array([0xf0, 0x01, root[0] ?? 0, 0x00]) }) : mode === 'fail' ? Promise.reject(new Error('disk full')) : new Promise(() => undefined),
  };
}

function app(over: Partial<AppDeps> = {}): { dispatch: (req: Partial<HttpRequest>) => Promise<HttpResponse>; errors: unknown[] } {
  const errors: unknown[] = [];
  const answer = (c: Uint8Array): Answer => {
    const hex = Buffer.from(c).toString('hex');
    if (hex === KNOWN) return { kind: 'complete', proof: PROOF };
    if (hex === PENDING) return { kind: 'pending', reason: 'Pending confirmation in Bitcoin blockchain', commitNumber: 0 };
    if (hex === BROKEN) throw new Error('secret internal detail /var/lib/ots');
    return { kind: 'unknown' };
  };
  const handler = createApp({
    answer,
    status: () => STATUS,
    onError: (err) => errors.push(err),
    metrics: async () => 'ots_up 1\n',
    notReady: () => [],
    probes: { anchoring: () => ['Bitcoin node not reachable'] },
    pendingCacheControl: 'public, max-age=7',
    ...over,
  });
  return { dispatch: (req) => handler({ method: 'GET', path: '/', query: '', headers: {}, body: new Uint8Array(), ...req }), errors };
}

describe('dispatch', () => {
  it('answers GET /timestamp by kind, with its cache class, ETag and 304', async () => {
    const { dispatch } = app();
    const complete = await dispatch({ path: `/timestamp/${KNOWN}` });
    expect(complete.status).toBe(200);
    expect(complete.headers['cache-control']).toBe(CACHE.complete);
    expect(complete.body).toBe(PROOF);
    const etag = complete.headers['etag'] as string;
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    expect((await dispatch({ path: `/timestamp/${KNOWN}`, headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await dispatch({ method: 'HEAD', path: `/timestamp/${KNOWN.toUpperCase()}` })).status).toBe(200);
    const pending = await dispatch({ path: `/timestamp/${PENDING}` });
    expect([pending.status, pending.body, pending.headers['cache-control']]).toEqual([404, 'Pending confirmation in Bitcoin blockchain', 'public, max-age=7']);
    const unknown = await dispatch({ path: `/timestamp/${'dd'.repeat(44)}` });
    expect([unknown.status, unknown.body, unknown.headers['cache-control']]).toEqual([404, 'Not found', CACHE.unknown]);
    for (const bad of ['xyz', 'abc', 'ab'.repeat(4097)]) {
      const r = await dispatch({ path: `/timestamp/${bad}` });
      expect([r.status, r.body, r.headers['cache-control']]).toEqual([400, 'commitment must be hex-encoded bytes', CACHE.malformed]);
    }
  });

  it('answers a proof the proof cache holds from its hex key, with the same headers and 304, without asking answer', async () => {
    const asked: string[] = [];
    const keys: string[] = [];
    const { dispatch } = app({
      answer: (c) => {
        asked.push(Buffer.from(c).toString('hex'));
        return { kind: 'complete', proof: PROOF };
      },
      cachedProof: (key) => {
        keys.push(key);
        return key === KNOWN ? PROOF : undefined;
      },
    });
    const viaAnswer = await dispatch({ path: `/timestamp/${KNOWN.toUpperCase()}` });
    const viaCache = await dispatch({ path: `/timestamp/${KNOWN}` });
    expect(asked).toEqual([KNOWN]);
    expect(keys).toEqual([KNOWN.toUpperCase(), KNOWN]);
    expect([viaCache.status, viaCache.body, viaCache.headers]).toEqual([viaAnswer.status, viaAnswer.body, viaAnswer.headers]);
    expect((await dispatch({ path: `/timestamp/${KNOWN}`, headers: { 'if-none-match': viaCache.headers['etag'] as string } })).status).toBe(304);
    expect((await dispatch({ path: '/timestamp/xyz' })).status).toBe(400);
    expect(asked).toEqual([KNOWN]);
  });

  it('maps an unexpected error to a 500 that leaks nothing, and hands it to onError once', async () => {
    const { dispatch, errors } = app();
    const r = await dispatch({ path: `/timestamp/${BROKEN}` });
    expect([r.status, r.body, r.headers['cache-control']]).toEqual([500, 'Internal error', CACHE.never]);
    expect(errors).toHaveLength(1);
  });

  it('takes digests, refuses long ones, and maps pushback and a failed commit to 503 with Retry-After', async () => {
    const ok = new Aggregator({ upstream: upstream('ok'), tickMs: 10 });
    ok.start();
    try {
      const { dispatch } = app({ aggregator: ok });
      const r = await dispatch({ method: 'POST', path: '/digest', body: new Uint8Array(32).fill(1) });
      expect([r.status, r.headers['content-type'], r.headers['cache-control']]).toEqual([200, 'application/octet-stream', CACHE.never]);
      expect((await dispatch({ method: 'POST', path: '/digest', body: new Uint8Array(65) })).body).toBe('digest too long');
    } finally {
      await ok.stop();
    }
    const hung = new Aggregator({ upstream: upstream('hang'), tickMs: 60_000, maxQueue: 1 });
    const { dispatch: full } = app({ aggregator: hung });
    void full({ method: 'POST', path: '/digest', body: new Uint8Array(32) });
    const busy = await full({ method: 'POST', path: '/digest', body: new Uint8Array(32) });
    expect([busy.status, busy.body]).toEqual([503, 'Too many digests waiting; retry shortly']);
    expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const failing = new Aggregator({ upstream: upstream('fail'), tickMs: 10, onError: () => undefined });
    failing.start();
    try {
      const { dispatch, errors } = app({ aggregator: failing });
      const r = await dispatch({ method: 'POST', path: '/digest', body: new Uint8Array(32) });
      expect([r.status, r.body, r.headers['retry-after']]).toEqual([503, 'Could not store the digest durably; retry shortly', '5']);
      expect(errors).toEqual([]);
    } finally {
      await failing.stop();
    }
    expect(new CommitFailedError({ cause: 1 }).code).toBe('commit-failed');
  });

  it('without an aggregator, POST /digest is an unknown path', async () => {
    const r = await app().dispatch({ method: 'POST', path: '/digest', body: new Uint8Array(32) });
    expect([r.status, r.body]).toEqual([404, 'not found']);
  });

  it('answers a wrong method with 405 and Allow, an unknown path with 404, OPTIONS with the preflight', async () => {
    const { dispatch } = app();
    for (const [method, path, allow] of [
      ['POST', `/timestamp/${KNOWN}`, 'GET, HEAD, OPTIONS'],
      ['GET', '/digest', 'POST, OPTIONS'],
      ['PUT', '/tip', 'GET, HEAD, OPTIONS'],
      ['DELETE', '/readyz', 'GET, HEAD, OPTIONS'],
      ['POST', '/metrics', 'GET, HEAD, OPTIONS'],
      ['POST', '/status', 'GET, HEAD, OPTIONS'],
      ['PUT', '/nothing', 'GET, HEAD, POST, OPTIONS'],
    ] as const) {
      const r = await dispatch({ method, path });
      expect([method, path, r.status, r.headers['allow']]).toEqual([method, path, 405, allow]);
    }
    const unknown = await dispatch({ path: '/nothing' });
    expect([unknown.status, unknown.body, unknown.headers['cache-control']]).toEqual([404, 'Not found', CACHE.unknownPath]);
    const pre = await dispatch({ method: 'OPTIONS', path: '/digest' });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, OPTIONS');
  });

  it('gives every answer CORS headers, errors included', async () => {
    const { dispatch } = app();
    for (const req of [{ path: '/' }, { path: '/nothing' }, { path: `/timestamp/${BROKEN}` }, { method: 'PUT', path: '/tip' }, { path: '/tip' }]) {
      const r = await dispatch(req);
      expect(r.headers['access-control-allow-origin'], req.path).toBe('*');
      expect(r.headers['access-control-expose-headers'], req.path).toContain('Retry-After');
    }
  });

  it('serves health, readiness, named probes, metrics, the tip and the status in both formats', async () => {
    const { dispatch } = app({ notReady: () => ['index catching up'], tip: () => new Uint8Array([1, 2]) });
    expect((await dispatch({ path: '/healthz' })).body).toBe('ok');
    const ready = await dispatch({ path: '/readyz' });
    expect([ready.status, ready.body]).toEqual([503, 'not ready: index catching up']);
    const probe = await dispatch({ path: '/readyz/anchoring' });
    expect([probe.status, probe.body]).toEqual([503, 'not ok: Bitcoin node not reachable']);
    expect((await dispatch({ path: '/readyz/constructor' })).status).toBe(404);
    const metrics = await dispatch({ path: '/metrics' });
    expect([metrics.headers['content-type'], metrics.body]).toEqual(['text/plain; version=0.0.4; charset=utf-8', 'ots_up 1\n']);
    expect((await dispatch({ path: '/tip' })).body).toEqual(new Uint8Array([1, 2]));
    const json = await dispatch({ path: '/', headers: { accept: 'application/json' } });
    expect(JSON.parse(String(json.body))).toMatchObject({ role: 'calendar', uri: 'https://a.example.org' });
    expect(json.headers['vary']).toBe('Accept');
    const html = await dispatch({ path: '/', headers: { accept: 'text/html' } });
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(JSON.parse(String((await dispatch({ path: '/status' })).body))).toMatchObject({ software: 'ots-calendar' });
    expect((await app().dispatch({ path: '/tip' })).status).toBe(404);
  });
});
