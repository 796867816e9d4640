/** The aggregator's answers are exactly the library's encoding of each digest's path, for every batch size. */
import { describe, it, expect, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Aggregator, type Upstream, PushbackError, AggregatorStoppedError, CommitFailedError, MAX_TICKS_IN_FLIGHT } from '../../src/aggregator/aggregator.js';
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

  it('commits a full batch at once instead of at the next tick, oldest digests first', async () => {
    const up = upstream();
    const agg = new Aggregator({ upstream: up, tickMs: 60_000, maxBatch: 3 });
    agg.start();
    const order: number[] = [];
    const answers = Array.from({ length: 7 }, (_, i) => agg.submit(randomBytes(32)).then((a) => (order.push(i), a)));
    // two full batches are committed long before the grid tick; the seventh digest waits for it
    await Promise.all(answers.slice(0, 6));
    expect(up.roots).toHaveLength(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(agg.queued).toBe(1);
    await agg.stop();
    await answers[6];
    expect(up.roots).toHaveLength(3);
    expect(agg.stats.digests).toBe(7);
  });

  it('starts the next tick while earlier commitments wait for the upstream, at most MAX_TICKS_IN_FLIGHT, in order', async () => {
    const calls: Array<{ root: Uint8Array; release: () => void }> = [];
    const suffix = upstream().suffix;
    const held: Upstream = {
      commit: (root) => new Promise((resolve) => calls.push({ root, release: () => resolve({ suffix }) })),
    };
    const agg = new Aggregator({ upstream: held, tickMs: 60_000, maxBatch: 2 });
    agg.start();
    const digests = Array.from({ length: 2 * (MAX_TICKS_IN_FLIGHT + 2) }, () => randomBytes(32));
    const answers = digests.map((d) => agg.submit(d));
    await waitFor(() => calls.length === MAX_TICKS_IN_FLIGHT);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(MAX_TICKS_IN_FLIGHT); // bounded: the rest wait in the queue
    expect(agg.queued).toBe(4);
    calls[0]?.release();
    await answers[0];
    await waitFor(() => calls.length === MAX_TICKS_IN_FLIGHT + 1);
    const stopped = agg.stop();
    for (let k = 1; k < MAX_TICKS_IN_FLIGHT + 2; k++) {
      await waitFor(() => calls.length > k);
      calls[k]?.release();
    }
    await stopped;
    const proofs = await Promise.all(answers);
    // every answer leads from its digest to the root committed for its pair, in order
    proofs.forEach((p, i) => {
      const leaf = sha256(Buffer.concat([digests[i] as Uint8Array, p.subarray(2, 18)]));
      const other = sha256(Buffer.concat([digests[i ^ 1] as Uint8Array, (proofs[i ^ 1] as Uint8Array).subarray(2, 18)]));
      const root = sha256(Buffer.concat(i % 2 === 0 ? [leaf, other] : [other, leaf]));
      expect(Buffer.from(root).equals(Buffer.from(calls[i >> 1]?.root ?? []))).toBe(true);
    });
  });
});

describe('Aggregator under trouble', () => {
  it('stop() submits what waits as pipelined ticks, and gives up on what is not in a tick by the deadline', async () => {
    let concurrent = 0;
    let peak = 0;
    const suffix = upstream().suffix;
    const slow: Upstream = {
      commit: async () => {
        peak = Math.max(peak, ++concurrent);
        await new Promise((r) => setTimeout(r, 100));
        concurrent--;
        return { suffix };
      },
    };
    const agg = new Aggregator({ upstream: slow, tickMs: 60_000, maxBatch: 10 });
    const answers = Array.from({ length: 100 }, () => agg.submit(randomBytes(32)).then(() => 'ok', (e: unknown) => (e instanceof AggregatorStoppedError ? 'stopped' : 'other')));
    const t0 = Date.now();
    await agg.stop({ giveUpAfterMs: 150 });
    const outcome = await Promise.all(answers);
    expect(peak).toBe(MAX_TICKS_IN_FLIGHT);
    // four ticks of ten went out at once; by the deadline four more had started; the rest got "stopped"
    expect(outcome.filter((o) => o === 'ok').length).toBeGreaterThanOrEqual(40);
    expect(outcome.filter((o) => o === 'stopped').length).toBeGreaterThan(0);
    expect(outcome.filter((o) => o === 'other')).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('keeps ticking after the wall clock steps back an hour', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'Date'] });
    try {
      vi.setSystemTime(new Date('2026-11-24T12:00:00Z'));
      const up = upstream();
      const agg = new Aggregator({ upstream: up, tickMs: 100 });
      agg.start();
      await vi.advanceTimersByTimeAsync(250);
      vi.setSystemTime(new Date('2026-11-24T11:00:00.250Z'));
      // the tick already scheduled still fires; the question is whether the ones after it do
      await vi.advanceTimersByTimeAsync(300);
      let answered = false;
      void agg.submit(randomBytes(32)).then(() => (answered = true));
      await vi.advanceTimersByTimeAsync(1_000);
      expect(answered).toBe(true);
      await agg.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers every waiter even when its owner\'s onError or onTick throws', async () => {
    const failing = new Aggregator({
      upstream: { commit: () => Promise.reject(new Error('disk full')) },
      tickMs: 10,
      onError: () => {
        throw new Error('logging broke');
      },
    });
    failing.start();
    await expect(failing.submit(randomBytes(32))).rejects.toBeInstanceOf(CommitFailedError);
    await failing.stop();
    const ticking = new Aggregator({
      upstream: upstream(),
      tickMs: 10,
      onTick: () => {
        throw new Error('metrics broke');
      },
    });
    ticking.start();
    await expect(ticking.submit(randomBytes(32))).resolves.toBeInstanceOf(Uint8Array);
    await ticking.stop();
  });
});

async function waitFor(cond: () => boolean, ms = 2_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 2));
  }
}
