// Readiness says whether this process takes and answers requests; anchoring's health is a probe of its own,
// so a load balancer that probes /readyz keeps sending digests to a calendar whose Bitcoin node is away.
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { startCalendarProcess } from '../fixtures/calendar-process.js';

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('readiness and the anchoring probe', () => {
  it('stays ready while the node is unreachable, and the anchoring probe says why', async () => {
    const cal = await startCalendarProcess({ tickMs: 50, args: ['--chain', 'regtest', '--rpc-url', `http://u:p@127.0.0.1:${await closedPort()}`, '--poll-interval-ms', '50'] });
    try {
      const digest = await fetch(`${cal.url}/digest`, { method: 'POST', body: new Uint8Array(32).fill(7) });
      expect(digest.status).toBe(200);
      const ready = await fetch(`${cal.url}/readyz`);
      expect([ready.status, await ready.text()]).toEqual([200, 'ready']);
      const probe = await fetch(`${cal.url}/readyz/anchoring`);
      expect(probe.status).toBe(503);
      expect(await probe.text()).toMatch(/^not ok: wallet: the node (does not answer; anchoring resumes when it does, digests are still taken|has not answered yet)$/);
      expect((await fetch(`${cal.url}/readyz/nothing`)).status).toBe(404);
    } finally {
      await cal.stop();
    }
  });

  it('says plainly when anchoring is off', async () => {
    const cal = await startCalendarProcess({ tickMs: 50 });
    try {
      expect((await fetch(`${cal.url}/readyz`)).status).toBe(200);
      const probe = await fetch(`${cal.url}/readyz/anchoring`);
      expect([probe.status, await probe.text()]).toEqual([503, 'not ok: anchoring is off: no chain configured']);
    } finally {
      await cal.stop();
    }
  });
});
