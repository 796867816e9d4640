// What an access-log line says, and whose word it takes for the client's address.
import { describe, expect, it } from 'vitest';
import { accessLine, clientAddress } from '../../src/http/access-log.js';
import type { HttpRequest } from '../../src/http/types.js';

function req(over: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'GET', path: '/timestamp/ab', query: '', headers: {}, body: new Uint8Array(), remote: '::ffff:192.0.2.7', ...over };
}

describe('the access log', () => {
  const proxy = new Set(['127.0.0.1']);

  it('names the peer, or the client a trusted proxy names, never one a client made up', () => {
    expect(clientAddress(req(), proxy)).toBe('192.0.2.7');
    expect(clientAddress(req({ headers: { 'x-real-ip': '203.0.113.9', 'x-forwarded-for': '203.0.113.9' } }), proxy)).toBe('192.0.2.7');
    expect(clientAddress(req({ remote: '127.0.0.1', headers: { 'x-real-ip': '203.0.113.9' } }), proxy)).toBe('203.0.113.9');
    // a client that sends its own X-Forwarded-For through the proxy: the right-most untrusted entry is the one the proxy saw
    expect(clientAddress(req({ remote: '::ffff:127.0.0.1', headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' } }), proxy)).toBe('203.0.113.9');
    expect(clientAddress(req({ remote: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.9, 127.0.0.1' } }), proxy)).toBe('203.0.113.9');
    expect(clientAddress(req({ remote: '127.0.0.1' }), proxy)).toBe('127.0.0.1');
    expect(clientAddress(req({ remote: undefined }), proxy)).toBe('-');
  });

  it('has method, path with query, status, bytes sent, time and user agent', () => {
    const line = accessLine(req({ path: '/journal/tail', query: 'from=5&wait=0', headers: { 'user-agent': 'ots-calendar-mirror/1' } }), { status: 200, headers: {}, body: 'héllo' }, 1.234, proxy);
    expect(line).toEqual({ msg: 'GET /journal/tail?from=5&wait=0', fields: { client: '192.0.2.7', status: 200, bytes: 6, ms: 1.2, ua: 'ots-calendar-mirror/1' } });
    expect(accessLine(req({ method: 'HEAD' }), { status: 200, headers: {}, body: new Uint8Array(40) }, 0, proxy).fields).toMatchObject({ bytes: 0, ua: null });
  });
});
