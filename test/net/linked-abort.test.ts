/**
 * Request signals that are let go of: a follower asks its upstream about once a second for years, so each
 * request's signal must not stay hooked to the follower's long-lived one (AbortSignal.any over it does, on
 * Node 20). Checked by counting the abort listeners left on the long-lived signal.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import { linkedAbort } from '../../src/net/linked-abort.js';
import { JournalClient } from '../../src/mirror/journal-client.js';
import { UpstreamUnavailableError } from '../../src/mirror/errors.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

describe('linkedAbort', () => {
  it('aborts with its parent, or after its timeout with a TimeoutError, and unhooks on dispose', async () => {
    const parent = new AbortController();
    const a = linkedAbort(parent.signal, 60_000);
    parent.abort(new Error('stop'));
    expect(a.signal.aborted).toBe(true);
    expect((a.signal.reason as Error).message).toBe('stop');
    a.dispose();

    const b = linkedAbort(undefined, 10);
    await new Promise((r) => setTimeout(r, 50));
    expect((b.signal.reason as DOMException).name).toBe('TimeoutError');
    b.dispose();

    const long = new AbortController();
    for (let i = 0; i < 1_000; i++) linkedAbort(long.signal, 60_000).dispose();
    expect(getEventListeners(long.signal, 'abort')).toHaveLength(0);
    const kept = linkedAbort(long.signal, 60_000);
    long.abort();
    expect(kept.signal.aborted).toBe(true);
    kept.dispose();

    const already = new AbortController();
    already.abort();
    expect(linkedAbort(already.signal, 60_000).signal.aborted).toBe(true);
  });

  it('links several parents, and restart() moves the deadline (a body gets its own once the headers came)', async () => {
    const caller = new AbortController();
    const owner = new AbortController();
    const a = linkedAbort([caller.signal, undefined, owner.signal], 60_000);
    owner.abort(new Error('closing'));
    expect((a.signal.reason as Error).message).toBe('closing');
    a.dispose();
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);

    const b = linkedAbort(undefined, 30);
    b.restart(200);
    await new Promise((r) => setTimeout(r, 80));
    expect(b.signal.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect((b.signal.reason as DOMException).name).toBe('TimeoutError');
    b.dispose();
  });

  it('the journal client leaves nothing on the follower\'s signal, after answers and after failures', async () => {
    let calls = 0;
    const s = createServer((_req, res) => {
      calls++;
      if (calls % 2 === 0) {
        res.writeHead(503);
        res.end('busy');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ format: 'not-ours' }));
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('no port');
    const client = new JournalClient(`http://127.0.0.1:${a.port}`, { timeoutMs: 5_000 });
    const follower = new AbortController();
    for (let i = 0; i < 40; i++) {
      const err = await client.head(follower.signal).then(() => undefined, (e: unknown) => e);
      // every answer here is refused (a bad head, or a 503 to retry); what matters is what stays behind
      expect(err).toBeInstanceOf(Error);
      if (i % 2 === 1) expect(err).toBeInstanceOf(UpstreamUnavailableError);
    }
    expect(calls).toBe(40);
    expect(getEventListeners(follower.signal, 'abort')).toHaveLength(0);
  });
});
