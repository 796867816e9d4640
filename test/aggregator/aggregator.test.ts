/** The aggregator's answers are exactly the library's encoding of each digest's path, for every batch size. */
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Aggregator, PushbackError, AggregatorStoppedError, CommitFailedError } from '../../src/aggregator/aggregator.js';
import { OP_SHA256, Timestamp, encodeOps, encodePath, merkleLevels, merklePath, opAppend, pendingAttestation, sha256 } from '../../src/ots/index.js';

function upstream(): { roots: Uint8Array[]; suffix: Uint8Array; commit: (root: Uint8Array) => Promise<{ suffix: Uint8Array }> } {
  const suffix = encodePath([opAppend(new Uint8Array([1, 2, 3, 4]))], pendingAttestation('http://calendar.example'));
  const roots: Uint8Array[] = [];
  return { roots, suffix, commit: async (root) => (roots.push(root), { suffix }) };
}

describe('Aggregator', () => {
  for (const n of [1, 2, 3, 7, 16, 33, 100, 257]) {
    it(`answers ${n} digests of one tick with the library's bytes for their paths`, async () => {
      const up = upstream();
      const agg = new Aggregator({ upstream: up, tickMs: 20 });
      agg.start();
      const digests = Array.from({ length: n }, (_, i) => randomBytes(i % 3 === 0 ? 20 : 32));
      const answers = await Promise.all(digests.map((d) => agg.submit(d)));
      await agg.stop();
      expect(up.roots).toHaveLength(1);
      const leaves = digests.map((d, i) => sha256(Buffer.concat([d, (answers[i] as Uint8Array).subarray(2, 18)])));
      const levels = merkleLevels(leaves);
      expect(Buffer.from(levels.at(-1)?.[0] ?? []).equals(Buffer.from(up.roots[0] as Uint8Array))).toBe(true);
      answers.forEach((a, i) => {
        const nonce = a.subarray(2, 18);
        const want = Buffer.concat([encodeOps([opAppend(nonce), OP_SHA256, ...merklePath(levels, i)]), up.suffix]);
        expect(Buffer.from(a).equals(want)).toBe(true);
        const [att] = Timestamp.fromBytes(a, digests[i] as Uint8Array).allAttestations();
        expect(att?.attestation).toEqual({ kind: 'pending', uri: 'http://calendar.example' });
      });
    });
  }

  it('pushes back when the queue is full, refuses after stop, and fails a tick whose commit fails', async () => {
    const agg = new Aggregator({ upstream: upstream(), tickMs: 10_000, maxQueue: 2 });
    const first = [agg.submit(randomBytes(32)), agg.submit(randomBytes(32))];
    await expect(agg.submit(randomBytes(32))).rejects.toBeInstanceOf(PushbackError);
    await agg.stop();
    await Promise.all(first);
    await expect(agg.submit(randomBytes(32))).rejects.toBeInstanceOf(AggregatorStoppedError);

    const failing = new Aggregator({ upstream: { commit: () => Promise.reject(new Error('disk full')) }, tickMs: 10 });
    failing.start();
    await expect(failing.submit(randomBytes(32))).rejects.toBeInstanceOf(CommitFailedError);
    await failing.stop();
  });
});
