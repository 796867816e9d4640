// Upstreams that misbehave without lying about records: a head ahead of the tail, an empty tail that claims more, a
// server full of waiting requests, a backup upstream that answers 5xx or streams an endless body, chunk bodies of
// 250 MB against a real mirror process, an upstream that drips its answers forever, and one that never answers a
// new mirror.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Journal } from '../../src/journal/index.js';
import { journalRoutes } from '../../src/http/journal-routes.js';
import {
  BackupChunkError,
  BackupMirror,
  CHUNK_RECORDS,
  CalendarMirror,
  JournalClient,
  JournalFollower,
  JournalHashes,
  SequenceError,
  UpstreamUnavailableError,
  VerificationFailedError,
  type FetchFn,
} from '../../src/mirror/index.js';
import { tempDir } from '../fixtures/calendar-process.js';
import { buildJournal, fakeCommitment, syntheticAnchorTimestamp, tipOf } from './fixtures/journal-builder.js';
import { startInProcessUpstream, type InProcessUpstream } from './fixtures/upstream-server.js';
import { startDoctoringProxy } from './fixtures/doctoring-proxy.js';
import { mirrorStatus, startMirrorProcess, until } from './fixtures/mirror-process.js';
import type { ServerResponse } from 'node:http';

let up: InProcessUpstream;
/** Six full chunks and a few records more: catching up prefetches. */
let big: InProcessUpstream;

beforeAll(async () => {
  const dir = tempDir('otsm-faults-up-');
  await buildJournal(dir, { count: 200, anchorEvery: 100 });
  up = await startInProcessUpstream(dir);
  const bigDir = tempDir('otsm-faults-big-');
  await buildJournal(bigDir, { count: 6 * CHUNK_RECORDS + 10 });
  big = await startInProcessUpstream(bigDir);
});

afterAll(async () => {
  await up?.close();
  await big?.close();
});

/** Peak resident memory of a process so far, in MB (VmHWM). */
function peakRssMb(pid: number): number {
  const line = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`no VmHWM for ${pid}`);
  return Number(line[1]) / 1024;
}

/** fetch, with every answer to a path containing `part` rewritten by `change`. */
function rewriting(part: string, change: (res: Response) => Promise<Response>): FetchFn {
  return async (url, init) => {
    const res = await fetch(url, init);
    return url.includes(part) ? change(res) : res;
  };
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function stop(server: Server): void {
  server.close();
  server.closeAllConnections();
}

describe('an upstream that misbehaves', () => {
  it('catchUp ends when the tail holds less than a head said (a stale head, another replica)', async () => {
    const size = up.journal.head().size;
    // the head claims ten records more than the journal the tail is served from
    const fetchLike = rewriting('/journal/head', async (res) => {
      const head = (await res.json()) as { size: number };
      return new Response(JSON.stringify({ ...head, size: head.size + 10 }), { status: 200, headers: { 'content-type': 'application/json' } });
    });
    const mirror = await CalendarMirror.open({ dir: tempDir('otsm-faults-m-'), upstream: up.url, fetch: fetchLike });
    try {
      const progress = await mirror.follower.catchUp(AbortSignal.timeout(3_000));
      expect(progress.localSize).toBe(size);
      expect(mirror.follower.failure).toBeUndefined();
    } finally {
      await mirror.close();
    }
  });

  it('an upstream behind the mirror with the same records is waited for; with other records it is refused', async () => {
    const size = up.journal.head().size;
    const behind = size - 10;
    const theirs = { hash: Buffer.from(await new JournalHashes(up.journal, CHUNK_RECORDS).at(behind)).toString('hex') };
    let rewrite = false;
    const fetchLike = rewriting('/journal/tail', async (res) => {
      if (!rewrite) return res;
      await res.body?.cancel();
      const headers = new Headers(res.headers);
      headers.set('x-journal-count', '0');
      headers.set('x-journal-size', String(behind));
      headers.set('x-journal-hash', theirs.hash);
      headers.set('x-journal-head-hash', theirs.hash);
      headers.delete('content-length');
      return new Response(new Uint8Array(0), { status: 200, headers });
    });
    const mirror = await CalendarMirror.open({ dir: tempDir('otsm-faults-m-'), upstream: up.url, fetch: fetchLike });
    try {
      await mirror.follower.catchUp();
      rewrite = true;
      await expect(mirror.follower.catchUp()).rejects.toBeInstanceOf(UpstreamUnavailableError);
      expect(mirror.follower.failure).toBeUndefined();
      theirs.hash = 'ab'.repeat(32);
      await expect(mirror.follower.catchUp()).rejects.toBeInstanceOf(SequenceError);
      expect(mirror.follower.failure?.code).toBe('mirror-sequence');
      expect(mirror.journal.head().size).toBe(size);
    } finally {
      await mirror.close();
    }
  });

  it('an empty tail from an upstream that says it holds more stops following, not a request storm', async () => {
    let tails = 0;
    const fetchLike = rewriting('/journal/tail', async (res) => {
      tails++;
      await res.body?.cancel();
      const headers = new Headers(res.headers);
      headers.set('x-journal-count', '0');
      headers.set('x-journal-size', String(Number(res.headers.get('x-journal-size')) + 5));
      headers.delete('content-length');
      return new Response(new Uint8Array(0), { status: 200, headers });
    });
    const mirror = await CalendarMirror.open({ dir: tempDir('otsm-faults-m-'), upstream: up.url, fetch: fetchLike, waitMs: 200 });
    try {
      mirror.follower.start();
      const t0 = Date.now();
      while (mirror.follower.failure === undefined && Date.now() - t0 < 1_500) await new Promise((r) => setTimeout(r, 20));
      expect(mirror.follower.failure?.code).toBe('mirror-protocol');
      expect(tails).toBeLessThan(5);
    } finally {
      await mirror.close();
    }
  });

  it('at the head, an upstream that answers at once is asked at most once a second', async () => {
    let tails = 0;
    const fetchLike: FetchFn = (url, init) => {
      if (url.includes('/journal/tail')) tails++;
      return fetch(url, init);
    };
    const mirror = await CalendarMirror.open({ dir: tempDir('otsm-faults-m-'), upstream: up.url, fetch: fetchLike, waitMs: 0 });
    try {
      await mirror.follower.catchUp();
      tails = 0;
      mirror.follower.start();
      await new Promise((r) => setTimeout(r, 1_200));
      expect(mirror.follower.state).toBe('following');
      expect(tails).toBeLessThanOrEqual(3);
    } finally {
      await mirror.close();
    }
  });

  it('retries do not pile up prefetch requests that are still waiting', async () => {
    let open = 0;
    let most = 0;
    const fetchLike: FetchFn = async (url, init) => {
      if (url.endsWith('/journal/head')) {
        const head = (await (await fetch(url, init)).json()) as { size: number };
        return new Response(JSON.stringify({ ...head, size: 6 * CHUNK_RECORDS }), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      // chunk 0 fails at once; the chunks after it never answer
      if (url.endsWith('/journal/chunk/0')) return new Response('busy', { status: 503 });
      open++;
      most = Math.max(most, open);
      return new Promise((_resolve, reject) => {
        init.signal.addEventListener('abort', () => {
          open--;
          reject(init.signal.reason as Error);
        });
      });
    };
    const mirror = await CalendarMirror.open({ dir: tempDir('otsm-faults-m-'), upstream: up.url });
    const follower = new JournalFollower({ journal: mirror.journal, index: mirror.index, client: new JournalClient(up.url, { fetch: fetchLike }), retryMinMs: 10, retryMaxMs: 20 });
    try {
      follower.start();
      await new Promise((r) => setTimeout(r, 500));
      expect(follower.stats.retries).toBeGreaterThan(5);
      expect(most).toBeLessThanOrEqual(4);
    } finally {
      await follower.stop();
      await mirror.close();
    }
    expect(open).toBe(0);
  });

  it('a server with all its tail waits taken answers 503 at once rather than an empty 200 that comes straight back', async () => {
    const journal = await Journal.open({ dir: join(tempDir('otsm-faults-w-'), 'journal'), log: () => undefined });
    const routes = journalRoutes(journal, { maxWaiters: 1 });
    const tail = (wait: number) => routes.route({ method: 'GET', path: '/journal/tail', query: `from=0&wait=${wait}`, headers: {}, body: new Uint8Array(0) });
    try {
      const first = tail(5_000);
      const t0 = Date.now();
      const second = await tail(5_000);
      expect(Date.now() - t0).toBeLessThan(1_000);
      expect(second?.status).toBe(503);
      expect(second?.headers['retry-after']).toBe('1');
      expect(second?.headers['cache-control']).toBe('no-store');
      routes.close();
      expect((await first)?.status).toBe(503);
    } finally {
      routes.close();
      await journal.close();
    }
  });

  it('a backup upstream answering 5xx is retried, not taken for the end of its chunks', async () => {
    const { server, url } = await listen((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('busy');
    });
    const mirror = await BackupMirror.open({ dir: tempDir('otsm-faults-b-'), upstream: url });
    try {
      await expect(mirror.syncOnce()).rejects.toBeInstanceOf(UpstreamUnavailableError);
      expect(mirror.state).not.toBe('following');
      expect(mirror.lagSeconds()).toBeUndefined();
    } finally {
      await mirror.close();
      stop(server);
    }
  });

  it('a backup chunk body without a length is cut off at the bound, not read into memory to the end', async () => {
    let sent = 0;
    const { server, url } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const piece = Buffer.alloc(64 * 1024);
      const timer = setInterval(() => {
        sent += piece.length;
        res.write(piece);
      }, 2);
      res.on('close', () => clearInterval(timer));
    });
    const mirror = await BackupMirror.open({ dir: tempDir('otsm-faults-b-'), upstream: url, maxChunkBytes: 1024 * 1024, timeoutMs: 3_000 });
    try {
      const t0 = Date.now();
      const err = await mirror.syncOnce().catch((e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect(err).toBeInstanceOf(Error);
      expect((err as { code?: string }).code === 'mirror-protocol' || err instanceof BackupChunkError).toBe(true);
      expect(mirror.store.chunks).toBe(0);
      expect(mirror.failure).toBe(err);
      expect(mirror.state).toBe('failed');
      expect(sent).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await mirror.close();
      stop(server);
    }
  });
});

describe('bytes held from an upstream', () => {
  it('are given back: catching up over six chunks with prefetch leaves nothing held, even in a buffer that fits one chunk', async () => {
    for (const maxBufferedBytes of [undefined, 400 * 1024]) {
      const mirror = await CalendarMirror.open({ dir: tempDir('otsm-faults-m-'), upstream: big.url });
      const client = new JournalClient(big.url, maxBufferedBytes === undefined ? {} : { maxBufferedBytes });
      const follower = new JournalFollower({ journal: mirror.journal, index: mirror.index, client });
      try {
        const progress = await follower.catchUp(AbortSignal.timeout(20_000));
        expect(progress.localSize).toBe(big.journal.head().size);
        expect(client.bufferedBytes).toBe(0);
        expect(follower.stats.chunksFetched).toBeGreaterThanOrEqual(6);
      } finally {
        await mirror.close();
      }
    }
  });

  for (const declareLength of [true, false]) {
    it(`a mirror process facing 250 MB chunk bodies (${declareLength ? 'declared' : 'chunked, no length'}) stays under 600 MB and refuses them cleanly`, async () => {
      const proxy = await startDoctoringProxy(big.url);
      proxy.setHugeBody('/journal/chunk/', 250_000_000, { declareLength });
      const mirror = await startMirrorProcess({ upstream: proxy.url });
      try {
        const failed = await mirror.waitFor((r) => r['msg'] === 'mirror stopped following: the upstream served data that does not verify; nothing of it was stored, the mirror keeps serving what it verified before', 60_000);
        const peak = peakRssMb(mirror.proc.pid as number);
        expect(peak).toBeLessThanOrEqual(600);
        expect(failed['code']).toBe('mirror-protocol');
        expect(String(failed['error'])).toMatch(/\/journal\/chunk\/\d+: body (of 250000000 bytes )?exceeds/);
        const status = await mirrorStatus(mirror.url);
        expect(status.mirror.records).toBe(0);
        expect(status.mirror.failureCode).toBe('mirror-protocol');
        expect((await fetch(`${mirror.url}/readyz`)).status).toBe(503);
        expect((await fetch(`${mirror.url}/healthz`)).status).toBe(200);
      } finally {
        expect((await mirror.stop()).code).toBe(0);
        await proxy.close();
      }
    }, 90_000);
  }
});

describe('an upstream that drips its answers forever', () => {
  it('misses the body deadline, and the follower\'s lag grows until it is stalled instead of staying 0', async () => {
    const proxy = await startDoctoringProxy(up.url);
    const mirror = await CalendarMirror.open({ dir: tempDir('otsm-faults-m-'), upstream: up.url });
    const client = new JournalClient(proxy.url, { timeoutMs: 5_000, bodyTimeoutMs: 400 });
    const follower = new JournalFollower({ journal: mirror.journal, index: mirror.index, client, waitMs: 200, stalledAfterMs: 1_500, retryMinMs: 50, retryMaxMs: 200 });
    try {
      follower.start();
      await until(() => follower.state === 'following' && follower.localSize === up.journal.head().size, 'caught up honestly');
      expect(follower.lagSeconds()).toBeLessThan(1);

      // headers at once, then a byte every 100 ms, never the end: a deadline for the body, not only for the headers
      proxy.setDrip('/journal/tail', 100);
      const t0 = Date.now();
      const err = await client.tail(follower.localSize, 0).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamUnavailableError);
      expect((err as Error).message).toContain('body not complete within 400 ms');
      expect(Date.now() - t0).toBeLessThan(2_500);

      await until(() => follower.state === 'stalled', 'the follower reports itself stalled', 10_000);
      expect(follower.lagSeconds()).toBeGreaterThan(1.5);
      expect(follower.stats.retries).toBeGreaterThan(0);
      expect(follower.failure).toBeUndefined();

      // the upstream answers again: current, lag 0
      proxy.setDrip(undefined);
      await until(() => follower.state === 'following', 'following again', 10_000);
      expect(follower.lagSeconds()).toBeLessThan(1);
    } finally {
      await follower.stop();
      await mirror.close();
      await proxy.close();
    }
  });

  it('a mirror process says so: /readyz 503 "stalled", /status a growing lag, instead of ready with lag 0', async () => {
    const proxy = await startDoctoringProxy(up.url);
    const mirror = await startMirrorProcess({ upstream: proxy.url, args: ['--poll-wait-ms', '200'] });
    try {
      await until(async () => (await fetch(`${mirror.url}/readyz`)).status === 200, 'the mirror caught up and is ready');
      expect((await mirrorStatus(mirror.url)).lagSeconds ?? 0).toBeLessThan(1);
      proxy.setDrip('/journal/', 200);
      await until(async () => (await fetch(`${mirror.url}/readyz`)).status === 503, 'the mirror is not ready any more', 40_000);
      expect(await (await fetch(`${mirror.url}/readyz`)).text()).toMatch(/stalled: the upstream has brought nothing that shows the mirror current for \d+ s/);
      const status = await mirrorStatus(mirror.url);
      expect(status.mirror.state).toBe('stalled');
      expect(status.lagSeconds).toBeGreaterThanOrEqual(15);
      expect(status.mirror.following).toBe(true);
      expect(proxy.dripped).toBeGreaterThan(0);
    } finally {
      expect((await mirror.stop()).code).toBe(0);
      await proxy.close();
    }
  }, 60_000);
});

describe('a new mirror whose upstream hangs', () => {
  it('opens its port at once, says what it waits for, and opens its journal once the upstream answers', async () => {
    let answering = false;
    const hung: ServerResponse[] = [];
    const { server, url } = await listen((req, res) => {
      if (!answering) {
        hung.push(res); // never answered
        return;
      }
      void fetch(`${up.url}${req.url ?? '/'}`).then(async (r) => {
        const headers: Record<string, string> = {};
        r.headers.forEach((v, k) => {
          if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') headers[k] = v;
        });
        const body = Buffer.from(await r.arrayBuffer());
        res.writeHead(r.status, { ...headers, 'content-length': String(body.length) });
        res.end(body);
      });
    });
    const mirror = await startMirrorProcess({ upstream: url, args: ['--poll-wait-ms', '200'] });
    try {
      const waitingLine = mirror.lines.find((l) => l['msg'] === 'waiting for the upstream\'s journal head: a new mirror takes its segment size from it');
      expect(waitingLine?.['upstream']).toBe(url);
      await until(() => hung.length > 0, 'the mirror asked the upstream');
      expect((await fetch(`${mirror.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${mirror.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toContain('waiting for the upstream\'s journal head');
      // a mirror following this one is told to come back, not that there is no journal API here
      const head = await fetch(`${mirror.url}/journal/head`);
      expect(head.status).toBe(503);
      expect(head.headers.get('retry-after')).toBe('5');
      expect((await mirrorStatus(mirror.url)).mirror.state).toBe('idle');

      answering = true;
      for (const res of hung.splice(0)) res.destroy();
      await until(async () => (await mirrorStatus(mirror.url)).mirror.records === up.journal.head().size, 'the mirror opened and caught up', 20_000);
      await until(async () => (await fetch(`${mirror.url}/readyz`)).status === 200, 'ready');
      expect((await (await fetch(`${mirror.url}/journal/head`)).json()) as { size: number }).toMatchObject({ size: up.journal.head().size });
    } finally {
      const exit = await mirror.stop();
      expect(exit.code).toBe(0);
      stop(server);
    }
  }, 60_000);

  it('stops cleanly while it still waits', async () => {
    const { server, url } = await listen(() => undefined);
    const mirror = await startMirrorProcess({ upstream: url });
    try {
      expect((await fetch(`${mirror.url}/readyz`)).status).toBe(503);
    } finally {
      const t0 = Date.now();
      expect((await mirror.stop()).code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5_000);
      stop(server);
    }
  });
});

describe('a mirror whose own index failed', () => {
  it('stops storing instead of judging honest anchors against a stale index, and blames no upstream', async () => {
    const dir = tempDir('otsm-faults-ix-');
    const built = await buildJournal(dir, { count: 100 });
    const upstream = await startInProcessUpstream(dir);
    const mirror = await CalendarMirror.open({ dir: tempDir('otsm-faults-m-'), upstream: upstream.url });
    try {
      await mirror.follower.catchUp();
      const held = mirror.journal.head().size;
      // the index fails (here: handed a record out of order); the journal itself is fine
      mirror.index.apply([{ record: { seq: held + 5, type: 'commit', commitment: fakeCommitment(1_760_000_000) }, loc: { seq: held + 5, offset: 0 } }]);
      expect(mirror.index.failure).toBeDefined();
      const fresh = [fakeCommitment(1_760_000_000), fakeCommitment(1_760_000_001)];
      // the commitments in one batch, the honest anchor over them and the older ones in the next
      await upstream.append(fresh.map((commitment) => ({ type: 'commit' as const, commitment })));
      const first = await mirror.follower.catchUp().catch((e: unknown) => e);
      await upstream.append([{ type: 'anchor', anchor: { tip: tipOf([...built.commitments, ...fresh]), ranges: [{ start: 0, end: 102 }], timestamp: syntheticAnchorTimestamp(991_000) } }]);
      const second = await mirror.follower.catchUp().catch((e: unknown) => e);
      for (const err of [first, second]) {
        expect(err).toBeInstanceOf(Error);
        expect(err).not.toBeInstanceOf(VerificationFailedError);
      }
      expect(mirror.follower.failure).toBeUndefined();
      expect(mirror.journal.head().size).toBe(held);
    } finally {
      await mirror.close();
      await upstream.close();
    }
  });
});
