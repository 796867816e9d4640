/**
 * RemoteCalendars against calendar stand-ins that answer in one chosen way each: answers too deep or too
 * large to sit beside the others are left out (the proof stays readable by clients), duplicate calendars are
 * refused, one calendar under two addresses counts once, a failing calendar is found back without traffic,
 * and close() aborts what still waits.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { RemoteCalendars, UpstreamsFailedError } from '../../src/aggregator/remote-calendars.js';
import { OP_SHA256, Timestamp, encodePath, opAppend, pendingAttestation } from '../../src/ots/index.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function serve(answer: (root: Buffer, req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => answer(Buffer.concat(parts), req, res));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  return `http://127.0.0.1:${a.port}`;
}

/** A well-behaved calendar's answer: append 8 bytes, then pending on `uri`; `extraOps` sha256s in between. */
function answer(uri: string, extraOps = 0, pad = 8): Uint8Array {
  return encodePath([opAppend(randomBytes(pad)), ...Array.from({ length: extraOps }, () => OP_SHA256)], pendingAttestation(uri));
}

describe('RemoteCalendars', () => {
  it('leaves out an answer nesting deeper than the budget, keeping the good one', async () => {
    const good = await serve((_root, _req, res) => res.end(answer('http://good.example')));
    const deep = await serve((_root, _req, res) => res.end(answer('http://deep.example', 240)));
    const rc = new RemoteCalendars({ urls: [good, deep], probeIntervalMs: 0, stragglerMs: 2_000, maxSuffixDepth: 200 });
    try {
      const root = randomBytes(32);
      const { suffix } = await rc.commit(root);
      const uris = Timestamp.fromBytes(suffix, root).allAttestations().map((a) => (a.attestation.kind === 'pending' ? a.attestation.uri : ''));
      expect(uris).toEqual(['http://good.example']);
      expect(rc.health()[1]?.lastError).toMatch(/nests 241 ops deep, more than 200/);
    } finally {
      rc.close();
    }
  });

  it('joins answers smallest first within the byte budget; one that does not fit is left out', async () => {
    const a = await serve((_root, _req, res) => res.end(answer('http://a.example')));
    const b = await serve((_root, _req, res) => res.end(answer('http://b.example')));
    // valid, under the 10,000-byte read limit, but it would push a client's proof past what clients read
    const big = await serve((_root, _req, res) => res.end(answer('http://big.example', 0, 4_000)));
    const rc = new RemoteCalendars({ urls: [big, a, b], probeIntervalMs: 0, stragglerMs: 2_000, maxSuffixBytes: 3_000 });
    try {
      const root = randomBytes(32);
      const { suffix } = await rc.commit(root);
      expect(suffix.length).toBeLessThanOrEqual(3_000);
      const uris = Timestamp.fromBytes(suffix, root).allAttestations().map((x) => (x.attestation.kind === 'pending' ? x.attestation.uri : ''));
      expect(uris.sort()).toEqual(['http://a.example', 'http://b.example']);
      expect(rc.health()[0]?.lastError).toMatch(/does not fit beside the others/);
      // with only the big one required and nothing else, the tick fails rather than answer an unreadable proof
      const alone = new RemoteCalendars({ urls: [big], probeIntervalMs: 0, maxSuffixBytes: 3_000 });
      await expect(alone.commit(randomBytes(32))).rejects.toBeInstanceOf(UpstreamsFailedError);
      alone.close();
    } finally {
      rc.close();
    }
  });

  it('refuses the same calendar twice (it would count twice toward required)', () => {
    expect(() => new RemoteCalendars({ urls: ['http://a.example', 'http://a.example/'], required: 2, probeIntervalMs: 0 })).toThrow(/more than once/);
  });

  it('tells calendars apart by the URI they state: two addresses answering for one calendar count once', async () => {
    const one = await serve((_root, _req, res) => res.end(answer('http://one.example')));
    const sameAsOne = await serve((_root, _req, res) => res.end(answer('http://one.example')));
    const two = await serve((_root, _req, res) => res.end(answer('http://two.example')));
    const rc = new RemoteCalendars({ urls: [one, sameAsOne], required: 2, probeIntervalMs: 0, stragglerMs: 2_000 });
    const ok = new RemoteCalendars({ urls: [one, sameAsOne, two], required: 2, probeIntervalMs: 0, stragglerMs: 2_000 });
    try {
      expect(rc.reachable()).toBe(2); // nothing known before the first answers
      const err = await rc.commit(randomBytes(32)).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamsFailedError);
      expect((err as UpstreamsFailedError).answered).toBe(1);
      expect((err as Error).message).toMatch(/the same calendar as http:\/\/127\.0\.0\.1:\d+ \(both state http:\/\/one\.example\): it counts once/);
      expect(rc.reachable()).toBe(1);
      expect(rc.health().map((h) => h.statedUri)).toEqual(['http://one.example', 'http://one.example']);
      // with a second calendar that is one, the proof forks to each calendar once
      const root = randomBytes(32);
      const { suffix } = await ok.commit(root);
      const uris = Timestamp.fromBytes(suffix, root).allAttestations().map((a) => (a.attestation.kind === 'pending' ? a.attestation.uri : ''));
      expect(uris.sort()).toEqual(['http://one.example', 'http://two.example']);
      expect(ok.reachable()).toBe(2);
    } finally {
      rc.close();
      ok.close();
    }
  });

  it('finds a failing calendar back without traffic, by asking GET /', async () => {
    let up = false;
    const flaky = await serve((_root, req, res) => {
      if (!up) {
        res.writeHead(503);
        res.end('down');
      } else if (req.method === 'GET') res.end('calendar');
      else res.end(answer('http://flaky.example'));
    });
    const rc = new RemoteCalendars({ urls: [flaky], probeIntervalMs: 50 });
    try {
      await expect(rc.commit(randomBytes(32))).rejects.toBeInstanceOf(UpstreamsFailedError);
      expect(rc.reachable()).toBe(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(rc.reachable()).toBe(0); // still 503 to the probe
      up = true;
      const until = Date.now() + 2_000;
      while (rc.reachable() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(rc.reachable()).toBe(1);
    } finally {
      rc.close();
    }
  });

  it('close() aborts a submission that still waits', async () => {
    const hung = await serve(() => undefined);
    const rc = new RemoteCalendars({ urls: [hung], probeIntervalMs: 0, timeoutMs: 60_000 });
    const started = Date.now();
    const pending = rc.commit(randomBytes(32));
    await new Promise((r) => setTimeout(r, 100));
    rc.close();
    await expect(pending).rejects.toBeInstanceOf(UpstreamsFailedError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
