// The node stopped in the middle of a cycle and started again (a real litecoind -regtest): polls never throw, the outage is logged once, intake goes on, anchoring resumes where it stopped.
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BitcoinRpc } from '../../src/bitcoin/index.js';
import type { Calendar } from '../../src/calendar/calendar.js';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { captureLog, commit, linesWith, openCalendar, openStamper, verifyProof } from './harness.js';

const h = useRegtestNode({ extraArgs: ['-keypool=20'] });

function reasonOf(calendar: Calendar, c: Uint8Array | undefined): string {
  const a = calendar.answer(c as Uint8Array);
  if (a.kind !== 'pending') throw new Error(`expected pending, got ${a.kind}`);
  return a.reason;
}

describe('node going away', () => {
  it('stopped mid-cycle: no crash, status and reasons say so, intake continues; restarted: the same cycle completes and the backlog follows', async () => {
    const cal = await openCalendar();
    const { log, lines } = captureLog();
    // The node's own wallet, which it loads again on restart.
    const rpc = h.node.client({ retries: 0, timeoutMs: 2_000 });
    const stamper = openStamper({ cal, rpc, log });
    const before = await commit(cal, 4);
    await stamper.poll();
    const v1 = stamper.state.cycle?.versions[0];
    if (v1 === undefined) throw new Error('no first version');

    await h.node.flush();
    await h.node.stop();
    for (let i = 0; i < 4; i++) await expect(stamper.poll()).resolves.toBeUndefined();
    expect(linesWith(lines, 'unavailable')).toHaveLength(1);
    expect(stamper.status()).toMatchObject({ nodeReachable: false, problems: 'node-unavailable', unconfirmedTxid: v1.txid });
    const during = await commit(cal, 2);
    expect(reasonOf(cal.calendar, during[0])).toBe('Pending confirmation in Bitcoin blockchain; node unreachable, retrying');
    expect(reasonOf(cal.calendar, before[0])).toBe(`Pending confirmation in Bitcoin blockchain; in unconfirmed transaction ${v1.txid}`);

    await h.node.restart();
    await stamper.poll();
    expect(stamper.status()).toMatchObject({ nodeReachable: true, problems: null });
    expect(linesWith(lines, 'resolved: node')).toHaveLength(1);
    const inMempool = await Promise.all((stamper.state.cycle?.versions ?? []).map((v) => rpc.getMempoolEntry(v.txid)));
    expect(inMempool.filter((e) => e !== null)).toHaveLength(1);

    await h.node.mine(1);
    await stamper.poll(); // the first cycle is mined; the backlog starts the next one at once (interval 0)
    expect(stamper.state.waiting).toHaveLength(1);
    expect(stamper.state.cycle?.versions[0]?.ranges).toEqual([{ start: 4, end: 6 }]);
    await h.node.mine(3);
    await stamper.poll();
    for (const c of [...before, ...during]) {
      const a = cal.calendar.answer(c);
      if (a.kind !== 'complete') throw new Error(`not anchored: ${a.kind}`);
      await verifyProof(h.node, c, a.proof);
    }
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    await cal.close();
  });

  it('a node that accepts and never answers: the poll ends at the RPC timeout without throwing, and intake is never blocked by it', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const cal = await openCalendar();
    const { log, lines } = captureLog();
    const rpc = new BitcoinRpc({ url: `http://u:p@127.0.0.1:${port}`, wallet: 'w', retries: 0, timeoutMs: 800 });
    const stamper = openStamper({ cal, rpc, log });
    try {
      const started = performance.now();
      const polling = stamper.poll();
      const committed = await commit(cal, 3); // while the poll waits on the node
      const commitMs = performance.now() - started;
      await expect(polling).resolves.toBeUndefined();
      expect(commitMs).toBeLessThan(700);
      expect(performance.now() - started).toBeGreaterThanOrEqual(750);
      expect(stamper.status()).toMatchObject({ nodeReachable: false, problems: 'node-unavailable' });
      expect(lines.find((l) => l.msg.includes('unavailable'))?.msg).toContain('(timeout)');
      expect(reasonOf(cal.calendar, committed[2])).toBe('Pending confirmation in Bitcoin blockchain; node unreachable, retrying');

      const again = stamper.poll();
      const t0 = performance.now();
      await stamper.stop(100); // does not wait for the hung call beyond its budget
      expect(performance.now() - t0).toBeLessThan(500);
      await again;
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await cal.close();
    }
  });
});
