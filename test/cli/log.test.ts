import { describe, it, expect } from 'vitest';
import { createLogger, redact } from '../../src/cli/log.js';

describe('logging', () => {
  it('writes JSON lines with level, message and fields', () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'json', write: (l) => void lines.push(l) });
    log.info('hello', { n: 1 });
    log.debug('hidden');
    const rec = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 'info', msg: 'hello', n: 1 });
    expect(lines).toHaveLength(1);
  });

  it('never writes secrets: key fields, passwords in URLs, raw bytes', () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'json', write: (l) => void lines.push(l) });
    log.error('rpc failed at http://user:hunter2@127.0.0.1:8332/', { hmacKey: 'deadbeef', rpcPassword: 'hunter2', cookie: '__cookie__:abc', key: new Uint8Array(32), keyPath: '/var/lib/x/hmac-key' });
    const out = lines.join('');
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('deadbeef');
    expect(out).not.toContain('abc');
    expect(out).toContain('/var/lib/x/hmac-key');
    expect(redact(new Error('connect to https://a:b@host failed'))).toBe('Error: connect to https://***@host failed');
  });
});
