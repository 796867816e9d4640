// The journal API over a real node:http server: what each answer holds, how long caches may keep it, ETag/304, and the long-poll tail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadHasher, emptyHeadHash, frameLengthAt } from '../../src/journal/index.js';
import { CHUNK_RECORDS } from '../../src/mirror/index.js';
import { tempDir } from '../fixtures/calendar-process.js';
import { buildJournal, fakeCommitment } from './fixtures/journal-builder.js';
import { startInProcessUpstream, type InProcessUpstream } from './fixtures/upstream-server.js';

let up: InProcessUpstream;

beforeAll(async () => {
  const dir = tempDir('otsm-api-');
  await buildJournal(dir, { count: CHUNK_RECORDS + 100, anchorEvery: 1_000, segmentRecords: 3_000 });
  up = await startInProcessUpstream(dir);
});

afterAll(async () => {
  await up?.close();
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('journal API', () => {
  it('states the head, briefly cacheable', async () => {
    const r = await fetch(`${up.url}/journal/head`);
    expect(r.headers.get('cache-control')).toBe('public, max-age=1');
    const head = up.journal.head();
    expect(await r.json()).toEqual({ format: 'ots-calendar-journal', version: 1, size: head.size, hash: hex(head.hash), segmentRecords: 3_000, chunkRecords: CHUNK_RECORDS });
  });

  it('serves a full chunk as stored, immutable, with an ETag that answers 304', async () => {
    const r = await fetch(`${up.url}/journal/chunk/0`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const body = Buffer.from(await r.arrayBuffer());
    expect(body.equals(Buffer.from(await up.journal.readRange(0, CHUNK_RECORDS)))).toBe(true);
    expect(r.headers.get('x-journal-first')).toBe('0');
    expect(r.headers.get('x-journal-count')).toBe(String(CHUNK_RECORDS));
    // the server folds h(4096) from the sidecar of the segment ending at 3,000; here it is folded from zero
    const hasher = new HeadHasher(emptyHeadHash());
    for (let at = 0; at < body.length; at += frameLengthAt(body, at)) hasher.add(body.subarray(at, at + frameLengthAt(body, at)));
    expect(r.headers.get('x-journal-hash')).toBe(hex(hasher.hash));
    const etag = r.headers.get('etag') as string;
    expect(etag).toBe(`"${r.headers.get('x-journal-hash')}"`);
    const again = await fetch(`${up.url}/journal/chunk/0`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('serves the partial last chunk briefly, and nothing beyond', async () => {
    const r = await fetch(`${up.url}/journal/chunk/1`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('public, max-age=1');
    expect(r.headers.get('etag')).toBeNull();
    expect(Number(r.headers.get('x-journal-first')) + Number(r.headers.get('x-journal-count'))).toBe(up.journal.head().size);
    expect(r.headers.get('x-journal-hash')).toBe(hex(up.journal.head().hash));
    expect((await fetch(`${up.url}/journal/chunk/2`)).status).toBe(404);
    expect((await fetch(`${up.url}/journal/chunk/x`)).status).toBe(400);
    expect((await fetch(`${up.url}/journal/chunk/0`, { method: 'POST' })).status).toBe(405);
  });

  it('tails: up to the end of the chunk at once, a bounded wait at the head, woken by an append', async () => {
    const mid = await fetch(`${up.url}/journal/tail?from=100`);
    expect(mid.headers.get('cache-control')).toBe('no-store');
    expect(mid.headers.get('x-journal-count')).toBe(String(CHUNK_RECORDS - 100));
    expect(mid.headers.get('x-journal-size')).toBe(String(up.journal.head().size));
    expect((await fetch(`${up.url}/journal/tail?from=abc`)).status).toBe(400);

    const size = up.journal.head().size;
    let t0 = performance.now();
    const idle = await fetch(`${up.url}/journal/tail?from=${size}&wait=300`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(idle.headers.get('x-journal-count')).toBe('0');
    expect(idle.headers.get('x-journal-hash')).toBe(hex(up.journal.head().hash));

    t0 = performance.now();
    const waiting = fetch(`${up.url}/journal/tail?from=${size}&wait=20000`);
    await new Promise((r) => setTimeout(r, 100));
    await up.append([{ type: 'commit', commitment: fakeCommitment(1_800_000_000) }]);
    const woken = await waiting;
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(woken.headers.get('x-journal-first')).toBe(String(size));
    expect(woken.headers.get('x-journal-count')).toBe('1');
    expect(Buffer.from(await woken.arrayBuffer()).equals(Buffer.from(await up.journal.readRange(size, 1)))).toBe(true);
    expect(woken.headers.get('x-journal-hash')).toBe(hex(up.journal.head().hash));
  });
});
