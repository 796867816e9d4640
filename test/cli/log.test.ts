import { describe, it, expect, vi, afterEach } from 'vitest';
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

describe('a destination that fails, and lines that repeat', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const parse = (lines: string[]): Array<Record<string, unknown>> => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  it('a write that throws loses that line only; the next one that gets through is preceded by the count', () => {
    const lines: string[] = [];
    let failing = true;
    const log = createLogger({ format: 'json', write: (l) => {
      if (failing) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
      lines.push(l);
    } });
    log.info('one');
    log.info('two');
    failing = false;
    log.info('three');
    expect(parse(lines).map((r) => [r['level'], r['msg'], r['lost']])).toEqual([
      ['warn', 'log lines could not be written to stdout', 2],
      ['info', 'three', undefined],
    ]);
  });

  it('a reader that is gone (EPIPE) is not written to again', () => {
    let calls = 0;
    const log = createLogger({ format: 'json', write: () => {
      calls++;
      throw Object.assign(new Error('broken pipe'), { code: 'EPIPE' });
    } });
    log.error('a');
    log.error('b');
    expect(calls).toBe(1);
  });

  it('identical warnings and errors: three per 10 s window, then one line with the count', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const log = createLogger({ format: 'json', write: (l) => void lines.push(l) });
    for (let i = 0; i < 50; i++) log.error('tick failed', { err: 'ENOSPC' });
    log.error('tick failed', { err: 'EIO' });
    log.warn('tick failed', { err: 'ENOSPC' });
    expect(parse(lines).map((r) => [r['level'], r['err']])).toEqual([
      ['error', 'ENOSPC'],
      ['error', 'ENOSPC'],
      ['error', 'ENOSPC'],
      ['error', 'EIO'],
      ['warn', 'ENOSPC'],
    ]);
    vi.advanceTimersByTime(10_000);
    expect(parse(lines).slice(5)).toEqual([expect.objectContaining({ level: 'error', msg: 'tick failed', err: 'ENOSPC', suppressed: 47, windowSeconds: 10 })]);
    // a new window starts afresh
    log.error('tick failed', { err: 'ENOSPC' });
    expect(lines).toHaveLength(7);
  });

  it('info and debug lines are never held back (one access line per request)', () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'json', level: 'debug', write: (l) => void lines.push(l) });
    for (let i = 0; i < 20; i++) log.info('GET /healthz', { status: 200 });
    for (let i = 0; i < 20; i++) log.debug('aggregated digests', { digests: 0 });
    expect(lines).toHaveLength(40);
  });
});

describe('journald and debug', () => {
  it('prefixes each line with its sd-daemon priority when asked (journald), and by default when JOURNAL_STREAM is set', () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'json', level: 'debug', priorities: true, write: (l) => void lines.push(l) });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['<7>', '<6>', '<4>', '<3>']);
    expect(JSON.parse((lines[3] as string).slice(3))).toMatchObject({ level: 'error', msg: 'e' });
    const before = process.env['JOURNAL_STREAM'];
    try {
      process.env['JOURNAL_STREAM'] = '8:1234';
      const seen: string[] = [];
      createLogger({ format: 'text', write: (l) => void seen.push(l) }).warn('under journald');
      expect(seen[0]).toMatch(/^<4>\S+ WARN {2}under journald/);
      delete process.env['JOURNAL_STREAM'];
      const plain: string[] = [];
      createLogger({ format: 'text', write: (l) => void plain.push(l) }).warn('on a terminal');
      expect(plain[0]).not.toMatch(/^</);
    } finally {
      if (before === undefined) delete process.env['JOURNAL_STREAM'];
      else process.env['JOURNAL_STREAM'] = before;
    }
  });

  it('gives an error its stack at debug, and only its message otherwise; credentials stay out of both', () => {
    const err = new Error('connect to https://a:secret@host failed');
    const debug: string[] = [];
    createLogger({ format: 'json', level: 'debug', write: (l) => void debug.push(l) }).error('failed', { err });
    const rec = JSON.parse(debug[0] as string) as { err: { error: string; stack: string } };
    expect(rec.err.error).toBe('Error: connect to https://***@host failed');
    expect(rec.err.stack).toMatch(/^Error: connect to https:\/\/\*\*\*@host failed\n\s+at /);
    const info: string[] = [];
    createLogger({ format: 'json', level: 'info', write: (l) => void info.push(l) }).error('failed', { err });
    expect(JSON.parse(info[0] as string)).toMatchObject({ err: 'Error: connect to https://***@host failed' });
    expect(debug.join('') + info.join('')).not.toContain('secret');
  });
});
