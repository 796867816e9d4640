/**
 * The one HTTP client every client of another server goes through: its error descriptions (one, with no
 * credentials), the byte budget that bounds bodies held at once, the journal client naming its upstream
 * without credentials, and the rule that nothing else in src/ calls the global fetch.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ByteBudget } from '../../src/net/byte-budget.js';
import { describeError, withoutCredentials } from '../../src/net/http-client.js';
import { JournalClient, UpstreamUnavailableError } from '../../src/mirror/index.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('HTTP clients', () => {
  it('nothing in src/ but the shared client calls the global fetch', () => {
    const calls: string[] = [];
    for (const file of sources(SRC)) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\*|\/\/|\/\*)/.test(line)) return;
          if (/(?<![.#\w])fetch\s*\(|globalThis\.fetch/.test(line)) calls.push(`${relative(SRC, file)}:${i + 1}`);
        });
    }
    expect(calls).toEqual([expect.stringMatching(/^net\/http-client\.ts:\d+$/)]);
  });

  it('describes a failure one way: a timeout as such, else the message and the first system code, credentials removed', () => {
    expect(describeError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe('no answer in time');
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
    expect(describeError(refused)).toBe('fetch failed (ECONNREFUSED)');
    expect(describeError(new TypeError('fetch failed', { cause: new Error('other side closed') }))).toBe('fetch failed (other side closed)');
    expect(describeError(new Error('bad URL http://ops:s3cret@calendar.example/x'))).toBe('bad URL http://calendar.example/x');
    expect(describeError('plain')).toBe('plain');
    expect(withoutCredentials('see https://a:b@x.example and http://c@y.example/')).toBe('see https://x.example and http://y.example/');
  });

  it('a byte budget takes what fits and gives back what it took', () => {
    const b = new ByteBudget(100);
    expect(b.take(60)).toBe(true);
    expect(b.take(41)).toBe(false);
    expect(b.held).toBe(60);
    expect(b.take(40)).toBe(true);
    b.give(100);
    expect(b.held).toBe(0);
    expect(() => new ByteBudget(0)).toThrow(RangeError);
  });

  it('the journal client names an upstream given with credentials without them, in its base and in every error', async () => {
    const port = await closedPort();
    const client = new JournalClient(`http://mirror:s3cret@127.0.0.1:${port}`, { timeoutMs: 2_000 });
    expect(client.base).toBe(`http://127.0.0.1:${port}`);
    const err = await client.head().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as UpstreamUnavailableError).url).toBe(`http://127.0.0.1:${port}/journal/head`);
    expect(`${(err as Error).message} ${(err as Error).stack ?? ''}`).not.toContain('s3cret');
  });
});
