/**
 * The calendar client against a real node:http server on loopback that answers each request one chosen way:
 * every answer `GET /timestamp` can give (a proof, pending with its reason, not found), the submit answer,
 * answers that are too long, too late or garbage, and a URL with credentials that never shows them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { CalendarAnswerError, CalendarClient, MAX_ANSWER_BYTES } from '../../src/net/calendar-client.js';
import { OP_SHA256, Timestamp, bitcoinAttestation, encodePath, opAppend, opPrepend, pendingAttestation } from '../../src/ots/index.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A loopback server answering every request with `answer`; what it was asked is in `seen`. */
async function serve(answer: (req: Seen, res: ServerResponse) => void): Promise<{ url: string; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const s = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(parts) };
      seen.push(r);
      answer(r, res);
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, seen };
}

/** A loopback port nothing listens on any more. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
}

function octets(res: ServerResponse, body: Uint8Array): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  res.end(body);
}

const commitment = new Uint8Array(randomBytes(44));
const completeProof = encodePath([opPrepend(randomBytes(16)), OP_SHA256, opAppend(randomBytes(32)), OP_SHA256], bitcoinAttestation(812_345));

async function failure(p: Promise<unknown>): Promise<CalendarAnswerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CalendarAnswerError);
  return err as CalendarAnswerError;
}

describe('CalendarClient.getTimestamp', () => {
  it('a 200 proof is complete: its bytes and the timestamp they make from the commitment', async () => {
    const s = await serve((_req, res) => octets(res, completeProof));
    const answer = await new CalendarClient(`${s.url}/`, { userAgent: 'ots-calendar-test/1' }).getTimestamp(commitment);
    expect(answer.kind).toBe('complete');
    if (answer.kind !== 'complete') return;
    expect(Buffer.from(answer.bytes).equals(Buffer.from(completeProof))).toBe(true);
    expect(answer.timestamp.msg).toEqual(commitment);
    expect(answer.timestamp.isComplete()).toBe(true);
    expect(s.seen[0]?.method).toBe('GET');
    expect(s.seen[0]?.url).toBe(`/timestamp/${Buffer.from(commitment).toString('hex')}`);
    expect(s.seen[0]?.headers['user-agent']).toBe('ots-calendar-test/1');
  });

  it('a 404 with a reason is pending with that reason; a 404 "Not found" (or an empty one) is unknown', async () => {
    let body = 'Pending confirmation in Bitcoin blockchain';
    const s = await serve((_req, res) => text(res, 404, body));
    const client = new CalendarClient(s.url);
    expect(await client.getTimestamp(commitment)).toEqual({ kind: 'pending', reason: 'Pending confirmation in Bitcoin blockchain' });
    body = `Timestamped by transaction ${'ab'.repeat(32)}; waiting for 6 confirmations`;
    expect(await client.getTimestamp(commitment)).toEqual({ kind: 'pending', reason: body });
    // shown on one printable line, whatever the calendar sent
    body = 'Pending\nconfirmation\u0007';
    expect(await client.getTimestamp(commitment)).toEqual({ kind: 'pending', reason: 'Pending_confirmation_' });
    body = 'Not found';
    expect(await client.getTimestamp(commitment)).toEqual({ kind: 'unknown' });
    body = '';
    expect(await client.getTimestamp(commitment)).toEqual({ kind: 'unknown' });
  });

  it('other statuses are errors: a 5xx or 429 to ask again later, a 400 the request\'s fault', async () => {
    let status = 503;
    const s = await serve((_req, res) => text(res, status, 'busy'));
    const client = new CalendarClient(s.url);
    const busy = await failure(client.getTimestamp(commitment));
    expect(busy.problem).toBe('unreachable');
    expect(busy.message).toBe(`${s.url}: HTTP 503`);
    status = 429;
    expect((await failure(client.getTimestamp(commitment))).problem).toBe('unreachable');
    status = 400;
    const bad = await failure(client.getTimestamp(commitment));
    expect(bad.problem).toBe('refused');
    expect(bad.reason).toBe('HTTP 400');
  });

  it('garbage is invalid: not a timestamp, bytes after it, a proof reaching no block, a redirect', async () => {
    let answer: (res: ServerResponse) => void = (res) => octets(res, new Uint8Array([0xf0]));
    const s = await serve((_req, res) => answer(res));
    const client = new CalendarClient(s.url);
    const truncated = await failure(client.getTimestamp(commitment));
    expect(truncated.problem).toBe('invalid');
    expect(truncated.reason).toMatch(/^answer is not a timestamp: /);
    answer = (res) => octets(res, Buffer.concat([completeProof, Buffer.from('junk')]));
    expect((await failure(client.getTimestamp(commitment))).reason).toBe('answer has 4 bytes after its timestamp');
    answer = (res) => octets(res, encodePath([OP_SHA256], pendingAttestation('https://calendar.example')));
    expect((await failure(client.getTimestamp(commitment))).reason).toBe('a 200 answer whose proof reaches no block attestation');
    answer = (res) => {
      res.writeHead(302, { location: 'http://evil.example/' });
      res.end();
    };
    expect((await failure(client.getTimestamp(commitment))).problem).toBe('unreachable');
  });

  it('an answer longer than clients read is refused, with or without a length, before it is all read', async () => {
    let sent = 0;
    let declare = true;
    const s = await serve((_req, res) => {
      const piece = Buffer.alloc(64 * 1024, 0xf0);
      if (declare) {
        res.writeHead(200, { 'content-length': String(MAX_ANSWER_BYTES + 1) });
        res.end(Buffer.alloc(MAX_ANSWER_BYTES + 1));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const timer = setInterval(() => {
        sent += piece.length;
        res.write(piece);
      }, 1);
      res.on('close', () => clearInterval(timer));
    });
    const client = new CalendarClient(s.url);
    const declared = await failure(client.getTimestamp(commitment));
    expect(declared.problem).toBe('invalid');
    expect(declared.reason).toBe(`answer longer than ${MAX_ANSWER_BYTES} bytes`);
    declare = false;
    expect((await failure(client.getTimestamp(commitment))).reason).toBe(`answer longer than ${MAX_ANSWER_BYTES} bytes`);
    expect(sent).toBeLessThan(4 * 1024 * 1024);
  });

  it('a calendar that does not answer, or drips its answer, misses its deadlines', async () => {
    let drip = false;
    const s = await serve((_req, res) => {
      if (!drip) return; // never answers
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(completeProof.subarray(0, 1));
      const timer = setInterval(() => res.write(new Uint8Array([0x08])), 50);
      res.on('close', () => clearInterval(timer));
    });
    const client = new CalendarClient(s.url, { timeoutMs: 300, bodyTimeoutMs: 200 });
    let t0 = Date.now();
    const silent = await failure(client.getTimestamp(commitment));
    expect(silent.problem).toBe('unreachable');
    expect(silent.reason).toBe('no answer within 300 ms');
    expect(Date.now() - t0).toBeLessThan(2_000);
    drip = true;
    t0 = Date.now();
    const dripping = await failure(client.getTimestamp(commitment));
    expect(dripping.reason).toBe('body not complete within 200 ms');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('the caller\'s abort comes back as it came; the owner\'s closing fails what waits', async () => {
    const s = await serve(() => undefined);
    const owner = new AbortController();
    const client = new CalendarClient(s.url, { timeoutMs: 60_000, signal: owner.signal });
    const mine = new AbortController();
    const asked = client.getTimestamp(commitment, mine.signal).then(() => undefined, (e: unknown) => e);
    setTimeout(() => mine.abort(new Error('not needed any more')), 50);
    expect(((await asked) as Error).message).toBe('not needed any more');
    const waiting = failure(client.getTimestamp(commitment));
    setTimeout(() => owner.abort(), 50);
    expect((await waiting).reason).toBe('shutting down');
    expect((await failure(client.getTimestamp(commitment))).reason).toBe('shutting down');
  });

  it('a URL with credentials asks with them as Basic authorization and never shows them', async () => {
    const s = await serve((req, res) => (req.headers.authorization === `Basic ${Buffer.from('ops:s3cret pass').toString('base64')}` ? text(res, 404, 'Not found') : text(res, 401, 'who?')));
    const client = new CalendarClient(`http://ops:s3cret%20pass@127.0.0.1:${s.port}`);
    expect(client.url).toBe(`http://127.0.0.1:${s.port}`);
    expect(await client.getTimestamp(commitment)).toEqual({ kind: 'unknown' });
    // refused, unreachable, late: the password is in no message
    const gone = await closedPort();
    const down = new CalendarClient(`http://ops:s3cret@127.0.0.1:${gone}`, { timeoutMs: 2_000 });
    const errors = [await failure(down.getTimestamp(commitment)), await failure(down.submit(commitment))];
    for (const err of errors) {
      expect(err.problem).toBe('unreachable');
      expect(`${err.message} ${err.reason} ${String(err.cause)} ${err.stack ?? ''}`).not.toContain('s3cret');
      expect(err.url).toBe(`http://127.0.0.1:${gone}`);
      expect(err.reason).toMatch(/ECONNREFUSED/);
    }
  });
});

describe('CalendarClient.submit', () => {
  it('posts the digest as the clients do and returns the timestamp the calendar returned', async () => {
    const answer = encodePath([opAppend(randomBytes(8)), OP_SHA256], pendingAttestation('https://calendar.example'));
    const s = await serve((_req, res) => octets(res, answer));
    const digest = new Uint8Array(randomBytes(32));
    const { bytes, timestamp } = await new CalendarClient(s.url, { userAgent: 'agg/1' }).submit(digest);
    expect(Buffer.from(bytes).equals(Buffer.from(answer))).toBe(true);
    expect(timestamp.allAttestations().map((a) => a.attestation)).toEqual([pendingAttestation('https://calendar.example')]);
    expect(Timestamp.fromBytes(bytes, digest).allAttestations()[0]?.msg).toEqual(timestamp.allAttestations()[0]?.msg);
    const seen = s.seen[0] as Seen;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/digest');
    expect(seen.body.equals(Buffer.from(digest))).toBe(true);
    expect(seen.headers['accept']).toBe('application/vnd.opentimestamps.v1');
    expect(seen.headers['user-agent']).toBe('agg/1');
  });

  it('refuses anything but a 200 timestamp within 10,000 bytes', async () => {
    let answer: (res: ServerResponse) => void = (res) => text(res, 503, 'busy');
    const s = await serve((_req, res) => answer(res));
    const client = new CalendarClient(s.url);
    expect((await failure(client.submit(randomBytes(32)))).reason).toBe('HTTP 503');
    answer = (res) => octets(res, new Uint8Array([0x00, 0x01]));
    expect((await failure(client.submit(randomBytes(32)))).reason).toMatch(/^answer is not a timestamp/);
    answer = (res) => octets(res, encodePath([opAppend(randomBytes(4_000)), opAppend(randomBytes(4_000)), opAppend(randomBytes(4_000))], pendingAttestation('https://calendar.example')));
    expect((await failure(client.submit(randomBytes(32)))).reason).toBe(`answer longer than ${MAX_ANSWER_BYTES} bytes`);
  });
});

describe('CalendarClient.tip and answers', () => {
  it('reads a 32-byte tip, undefined without one; answers() tells a calendar that answers from one that does not', async () => {
    let tip: Uint8Array | undefined = new Uint8Array(randomBytes(32));
    const s = await serve((req, res) => {
      if (req.url === '/') return text(res, 200, 'calendar');
      if (tip === undefined) return text(res, 404, '');
      return octets(res, tip);
    });
    const client = new CalendarClient(s.url);
    expect(await client.tip()).toEqual(tip);
    tip = undefined;
    expect(await client.tip()).toBeUndefined();
    tip = new Uint8Array(31);
    expect((await failure(client.tip())).reason).toBe('a tip of 31 bytes, expected 32');
    expect(await client.answers()).toBe(true);
    expect(await new CalendarClient(`http://127.0.0.1:${await closedPort()}`).answers()).toBe(false);
  });
});
