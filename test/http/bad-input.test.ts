/**
 * Every bad input the reference server mishandles (reference-server §11), against the real process:
 * each gets a clear status and text, and none holds a resource for long.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { connect } from 'node:net';
import { startCalendarProcess, type CalendarProcess } from '../fixtures/calendar-process.js';

let cal: CalendarProcess;

beforeAll(async () => {
  cal = await startCalendarProcess({ tickMs: 100, args: ['--body-timeout-ms', '500', '--headers-timeout-ms', '700', '--access-log'] });
});
afterAll(async () => {
  expect((await cal.stop()).code).toBe(0);
});

interface Raw {
  status: number;
  headers: Record<string, string>;
  body: string;
  ms: number;
}

/** Sends raw bytes (optionally in timed pieces) and reads one response; the connection is closed after. */
function raw(pieces: Array<string | Buffer | number>, timeoutMs = 10_000): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const sock = connect(cal.port, '127.0.0.1');
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    const parse = (): boolean => {
      const text = data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const [statusLine, ...hl] = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const h of hl) headers[h.slice(0, h.indexOf(':')).toLowerCase()] = h.slice(h.indexOf(':') + 1).trim();
      const len = Number(headers['content-length'] ?? -1);
      const body = data.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
      if (len >= 0 && body.length < len) return false;
      clearTimeout(timer);
      sock.destroy();
      resolve({ status: Number(statusLine?.split(' ')[1]), headers, body: body.subarray(0, len >= 0 ? len : undefined).toString(), ms: Date.now() - started });
      return true;
    };
    sock.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      parse();
    });
    sock.on('end', () => {
      if (!parse()) {
        clearTimeout(timer);
        reject(new Error(`connection closed without a complete response: ${JSON.stringify(data.toString())}`));
      }
    });
    sock.on('error', () => undefined);
    sock.on('connect', async () => {
      for (const p of pieces) {
        if (typeof p === 'number') await new Promise((r) => setTimeout(r, p));
        else if (!sock.destroyed) sock.write(p);
      }
    });
  });
}

const post = (headers: string, body: string | Buffer = ''): Array<string | Buffer> => [`POST /digest HTTP/1.1\r\nHost: x\r\n${headers}\r\n`, body];

describe('bad requests get a clear answer', () => {
  it('Host and Content-Length are found whatever the case of their names', async () => {
    const r = await raw([`POST /digest HTTP/1.1\r\nhOsT: x\r\ncONTENT-lENGTH: 32\r\n\r\n`, 'x'.repeat(32)]);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
  });

  it('a POST without Content-Length: 411', async () => {
    const r = await raw(post(''));
    expect(r.status).toBe(411);
    expect(r.body).toBe('Content-Length required');
  });

  it('a non-numeric Content-Length: 400 (the reference crashed the handler)', async () => {
    const r = await raw(post('Content-Length: abc\r\n', 'x'.repeat(32)));
    expect(r.status).toBe(400);
    expect(r.body).toBe('invalid Content-Length');
  });

  it('a negative Content-Length: 400 (the reference read to EOF)', async () => {
    const r = await raw(post('Content-Length: -1\r\n', 'x'.repeat(32)));
    expect(r.status).toBe(400);
  });

  it('a Content-Length over 64: 400 "digest too long", nothing read', async () => {
    for (const len of [65, 1_000_000_000]) {
      const r = await raw(post(`Content-Length: ${len}\r\n`, 'x'.repeat(10)));
      expect(r.status).toBe(400);
      expect(r.body).toBe('digest too long');
    }
  });

  it('a body shorter than its Content-Length, then silence: 408 within the body timeout', async () => {
    const r = await raw([...post('Content-Length: 32\r\n', 'x'.repeat(10)), 3000]);
    expect(r.status).toBe(408);
    expect(r.body).toBe('Request body not received in time');
    expect(r.ms).toBeLessThan(2500);
  });

  it('headers that never finish: 408, the socket is not held', async () => {
    const r = await raw(['GET /timestamp/00 HTTP/1.1\r\nHost: x\r\n', 4000]);
    expect(r.status).toBe(408);
    expect(r.ms).toBeLessThan(3500);
  });

  it('oversized headers: 431', async () => {
    const r = await raw([`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    expect(r.status).toBe(431);
  });

  it('garbage instead of HTTP: 400', async () => {
    const r = await raw(['\x16\x03\x01 not http at all\r\n\r\n']);
    expect(r.status).toBe(400);
  });

  it('unknown paths: 404 as the reference, cacheable for an hour', async () => {
    const g = await fetch(`${cal.url}/nothing-here`);
    expect(g.status).toBe(404);
    expect(await g.text()).toBe('Not found');
    expect(g.headers.get('cache-control')).toBe('public, max-age=3600');
    const p = await fetch(`${cal.url}/nothing-here`, { method: 'POST', body: 'x' });
    expect(p.status).toBe(404);
    expect(await p.text()).toBe('not found');
  });

  it('unknown methods: 405 with Allow (the reference answered 501 HTML)', async () => {
    const r = await fetch(`${cal.url}/digest`, { method: 'PUT', body: 'x' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await r.text()).toBe('Method not allowed');
    const d = await fetch(`${cal.url}/timestamp/00`, { method: 'DELETE' });
    expect(d.status).toBe(405);
  });

  it('malformed commitment hex: 400, cacheable for long', async () => {
    for (const bad of ['zz', 'abc', '0g']) {
      const r = await fetch(`${cal.url}/timestamp/${bad}`);
      expect(r.status).toBe(400);
      expect(await r.text()).toBe('commitment must be hex-encoded bytes');
      expect(r.headers.get('cache-control')).toContain('max-age=31536000');
    }
  });

  it('an unknown commitment: 404 "Not found", briefly cacheable', async () => {
    const r = await fetch(`${cal.url}/timestamp/${'ab'.repeat(44)}`);
    expect(r.status).toBe(404);
    expect(await r.text()).toBe('Not found');
    expect(r.headers.get('cache-control')).toBe('public, max-age=5');
  });

  it('a fresh commitment is pending the moment its POST returns (never "Not found")', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${cal.url}/digest`, { method: 'POST', body: new Uint8Array(32).fill(i) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      const proof = new Uint8Array(await res.arrayBuffer());
      // commitment: the 44 bytes after "prepend(time) append(mac)" — find it by replaying the path
      const { Timestamp } = await import('../../src/ots/index.js');
      const t = Timestamp.fromBytes(proof, new Uint8Array(32).fill(i));
      const [p] = t.allAttestations();
      const hex = Buffer.from(p?.msg ?? []).toString('hex');
      const g = await fetch(`${cal.url}/timestamp/${hex}`);
      expect(g.status).toBe(404);
      expect(await g.text()).toBe('Pending confirmation in Bitcoin blockchain');
      const upper = await fetch(`${cal.url}/timestamp/${hex.toUpperCase()}`);
      expect(await upper.text()).toBe('Pending confirmation in Bitcoin blockchain');
    }
  });

  it('answers every request with CORS, and OPTIONS preflight', async () => {
    const r = await fetch(`${cal.url}/nothing`);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    const o = await fetch(`${cal.url}/digest`, { method: 'OPTIONS' });
    expect(o.status).toBe(204);
    expect(o.headers.get('access-control-allow-methods')).toContain('POST');
  });
});

describe('requests outside what the server speaks get a clear answer, with CORS, and are logged', () => {
  const accessLine = (status: number, msg: string): Promise<Record<string, unknown>> =>
    cal.waitFor((l) => l['access'] === true && l['status'] === status && l['msg'] === msg, 5_000);

  it('HTTP/1.1 without Host: 400 that says so (not node\'s bare 400)', async () => {
    const r = await raw(['GET /healthz HTTP/1.1\r\n\r\n']);
    expect(r.status).toBe(400);
    expect(r.body).toBe('Host header required (HTTP/1.1)');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    // HTTP/1.0 needs none
    const old = await raw(['GET /healthz HTTP/1.0\r\n\r\n']);
    expect(old.status).toBe(200);
    expect(old.body).toBe('ok');
  });

  it('CONNECT: 405 with Allow, not a closed socket', async () => {
    const r = await raw(['CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n']);
    expect(r.status).toBe(405);
    expect(r.headers['allow']).toBe('GET, HEAD, POST, OPTIONS');
    expect(r.body).toBe('Method not allowed');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    await accessLine(405, 'CONNECT -');
  });

  it('a method nobody knows (BREW): 405 with Allow, as the README says; bytes that are not HTTP stay a 400', async () => {
    const r = await raw(['BREW /coffee HTTP/1.1\r\nHost: x\r\n\r\n']);
    expect(r.status).toBe(405);
    expect(r.headers['allow']).toBe('GET, HEAD, POST, OPTIONS');
    expect(r.body).toBe('Method not allowed');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    const tls = await raw([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])]);
    expect(tls.status).toBe(400);
    expect(tls.body).toBe('Bad request');
  });

  it('a request line without a version, or HTTP/2.0: a 400 or 505 that names the version, never the welcome page', async () => {
    const none = await raw(['GET /\r\n\r\n']);
    expect(none.status).toBe(400);
    expect(none.body).toBe('The request line must end with the HTTP version: HTTP/1.1 (or HTTP/1.0)');
    const two = await raw(['GET / HTTP/2.0\r\nHost: x\r\n\r\n']);
    expect(two.status).toBe(505);
    expect(two.body).toBe('HTTP version not supported: send HTTP/1.1 (or HTTP/1.0)');
    expect(two.headers['access-control-allow-origin']).toBe('*');
    const three = await raw(['GET / HTTP/3.1\r\nHost: x\r\n\r\n']);
    expect(three.status).toBe(505);
  });

  it('Content-Length with Transfer-Encoding, in either order: a 400 that says that', async () => {
    const text = 'Content-Length and Transfer-Encoding must not be sent together';
    const clFirst = await raw(post('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', '3\r\nabc\r\n0\r\n\r\n'));
    expect([clFirst.status, clFirst.body]).toEqual([400, text]);
    const teFirst = await raw(post('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n', '3\r\nabc\r\n0\r\n\r\n'));
    expect([teFirst.status, teFirst.body]).toEqual([400, text]);
    const twice = await raw(post('Content-Length: 3\r\nContent-Length: 4\r\n', 'abcd'));
    expect([twice.status, twice.body]).toEqual([400, 'more than one Content-Length']);
  });

  it('what the parser refuses is in the access log, with its status, method and path when they are plain', async () => {
    await raw(['BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n']);
    await accessLine(405, '- /pot');
    await raw(post('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', '3\r\nabc\r\n0\r\n\r\n'));
    await accessLine(400, 'POST /digest');
    await raw(['\x16\x03\x01 not http\r\n\r\n']);
    await accessLine(400, '- -');
  });

  it('/experimental/backup/<not a number>: a 400 that says why', async () => {
    for (const bad of ['abc', '-1', '1.5']) {
      const r = await fetch(`${cal.url}/experimental/backup/${bad}`);
      expect(r.status).toBe(400);
      expect(await r.text()).toBe('backup chunk number must be a decimal integer');
    }
    // a chunk not complete yet keeps the reference's empty 404
    const later = await fetch(`${cal.url}/experimental/backup/7`);
    expect(later.status).toBe(404);
    expect(await later.text()).toBe('');
  });

  it('/journal/tail?from=<beyond the head>: 416 with the head, not an empty 200', async () => {
    const head = (await (await fetch(`${cal.url}/journal/head`)).json()) as { size: number; hash: string };
    const r = await fetch(`${cal.url}/journal/tail?from=${head.size + 1000}&wait=0`);
    expect(r.status).toBe(416);
    const size = Number(r.headers.get('x-journal-size'));
    expect(size).toBeGreaterThanOrEqual(head.size);
    expect(await r.text()).toBe(`from ${head.size + 1000} is beyond the end of the journal (${size} records)`);
    expect(r.headers.get('x-journal-head-hash')).toMatch(/^[0-9a-f]{64}$/);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });
});

describe('a full intake queue', () => {
  it('answers 503 with Retry-After instead of growing without bound', async () => {
    const small = await startCalendarProcess({ tickMs: 2000, args: ['--max-queue', '2'] });
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => fetch(`${small.url}/digest`, { method: 'POST', body: new Uint8Array(32).fill(i) })),
      );
      // Two fit in the queue; the burst may straddle one tick (ticks run on a 2 s grid), which frees the
      // queue once: then a third fits. Everything else is refused at once, and nothing fails otherwise.
      const accepted = results.filter((r) => r.status === 200);
      const busy = results.filter((r) => r.status === 503);
      expect(accepted.length).toBeGreaterThanOrEqual(2);
      expect(accepted.length).toBeLessThanOrEqual(4);
      expect(accepted.length + busy.length).toBe(6);
      for (const b of busy) {
        expect(Number(b.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(await b.text()).toBe('Too many digests waiting; retry shortly');
      }
    } finally {
      await small.stop();
    }
  });
});
