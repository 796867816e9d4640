/**
 * `--max-batch`: a full batch is committed at once instead of at the next tick; every digest of it still gets
 * its own path to a stored commitment, and the answers of a tick are the same whether or not the cap applies.
 */
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startCalendarProcess } from '../fixtures/calendar-process.js';
import { Timestamp } from '../../src/ots/index.js';

describe('max-batch', () => {
  it('commits full batches long before a 60 s tick; each answer leads to a stored commitment', async () => {
    const cal = await startCalendarProcess({ tickMs: 60_000, args: ['--max-batch', '4'] });
    try {
      const digests = Array.from({ length: 12 }, () => randomBytes(32));
      const started = Date.now();
      const answers = await Promise.all(
        digests.map(async (d) => {
          const r = await fetch(`${cal.url}/digest`, { method: 'POST', body: d });
          expect(r.status).toBe(200);
          return new Uint8Array(await r.arrayBuffer());
        }),
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      const commitments = new Set<string>();
      answers.forEach((a, i) => {
        const [p] = Timestamp.fromBytes(a, digests[i] as Uint8Array).allAttestations();
        expect(p?.attestation).toEqual({ kind: 'pending', uri: cal.url });
        commitments.add(Buffer.from(p?.msg ?? []).toString('hex'));
      });
      // 12 digests, at most 4 per commitment
      expect(commitments.size).toBeGreaterThanOrEqual(3);
      for (const hex of commitments) {
        const r = await fetch(`${cal.url}/timestamp/${hex}`);
        expect(`${r.status} ${await r.text()}`).toBe('404 Pending confirmation in Bitcoin blockchain');
      }
      const status = (await (await fetch(`${cal.url}/status`)).json()) as { digests: number; ticks: number };
      expect(status.digests).toBe(12);
      expect(status.ticks).toBe(commitments.size);
    } finally {
      expect((await cal.stop()).code).toBe(0);
    }
  });

  it('refuses to start with a negative cap, naming the option', async () => {
    const cal = startCalendarProcess({ tickMs: 100, args: ['--max-batch', '-1'] });
    await expect(cal).rejects.toThrow(/max-batch/);
  });
});
