// Reorgs on a real litecoind -regtest (invalidateblock): before depth the tx is tracked again and re-mined, or re-queued if it was double-spent; after depth the anchor is revoked in the journal and its commitments anchored again.
import { describe, expect, it } from 'vitest';
import type { Calendar } from '../../src/calendar/calendar.js';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { captureLog, commit, fundedWallet, linesWith, mineEmpty, mineFresh, openCalendar, openStamper, opReturnTxids, testSettings, verifyProof, type CalendarFixture } from './harness.js';
import type { RegtestNode } from '../../src/bitcoin/index.js';
import { StateStore } from '../../src/anchor/index.js';
import { bytesToHex } from '../../src/ots/index.js';

const h = useRegtestNode({ extraArgs: ['-keypool=20'] });

function reasonOf(calendar: Calendar, c: Uint8Array | undefined): string {
  const a = calendar.answer(c as Uint8Array);
  if (a.kind !== 'pending') throw new Error(`expected pending, got ${a.kind}`);
  return a.reason;
}

async function expectAnchored(node: RegtestNode, cal: CalendarFixture, commitments: Uint8Array[]): Promise<number[]> {
  const heights: number[] = [];
  for (const c of commitments) {
    const a = cal.calendar.answer(c);
    if (a.kind !== 'complete') throw new Error(`not anchored: ${a.kind}`);
    heights.push((await verifyProof(node, c, a.proof)).height);
  }
  return heights;
}

async function journalRevocations(cal: CalendarFixture): Promise<Array<{ anchorSeq: number; reason: string }>> {
  const out: Array<{ anchorSeq: number; reason: string }> = [];
  for await (const { record } of cal.journal.scan(0)) if (record.type === 'revocation') out.push(record.revocation);
  return out;
}

describe('reorgs', () => {
  it('block orphaned before depth: the tx is tracked again from the mempool, re-mined, anchored on the new block; no second tx', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const { log } = captureLog();
    const stamper = openStamper({ cal, rpc: wallet, log, settings: testSettings({ confirmations: 3 }) });
    const cs = await commit(cal, 4);
    await stamper.poll();
    const txid = stamper.state.cycle?.versions[0]?.txid ?? '';
    const [b1] = await h.node.mine(1);
    await h.node.mine(1);
    await stamper.poll();
    expect(reasonOf(cal.calendar, cs[0])).toBe(`Timestamped by transaction ${txid}; 2 of 3 confirmations`);

    await wallet.invalidateBlock(b1 as string);
    await stamper.poll();
    expect(stamper.state.waiting[0]?.mined).toBeNull();
    expect(stamper.status()).toMatchObject({ txsBackInMempool: 1, txsWaitingForConfirmation: 0, unconfirmedTxid: null });
    expect(reasonOf(cal.calendar, cs[3])).toBe(`Pending confirmation in Bitcoin blockchain; in unconfirmed transaction ${txid}`);
    expect(await wallet.getMempoolEntry(txid)).not.toBeNull();

    const [b1b] = await mineFresh(h.node, 1);
    await stamper.poll();
    expect(stamper.state.waiting[0]?.mined?.block.hash).toBe(b1b);
    await h.node.mine(2);
    await stamper.poll();
    const heights = await expectAnchored(h.node, cal, cs);
    expect(new Set(heights).size).toBe(1);
    expect(await h.node.rpc.getBlockHash(heights[0] as number)).toBe(b1b);
    expect(await opReturnTxids(wallet)).toEqual([txid]);
    await cal.close();
  });

  it('block orphaned and the new branch mines an older version of the same cycle: that version is anchored, nothing is paid again', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const { log, lines } = captureLog();
    const stamper = openStamper({ cal, rpc: wallet, log, settings: testSettings({ confirmations: 2 }) });
    const early = await commit(cal, 3);
    await stamper.poll();
    const v1 = stamper.state.cycle?.versions[0];
    if (v1 === undefined) throw new Error('no first version');
    await commit(cal, 2);
    await mineEmpty(h.node);
    await stamper.poll();
    const v2 = stamper.state.cycle?.versions[1];
    if (v2 === undefined) throw new Error('no replacement');
    const [b1] = await h.node.mine(1); // mines v2, the version our node has
    await stamper.poll();
    expect(stamper.state.waiting[0]?.mined?.txid).toBe(v2.txid);

    await wallet.invalidateBlock(b1 as string);
    await stamper.poll();
    expect(await wallet.getMempoolEntry(v2.txid)).not.toBeNull();
    expect(reasonOf(cal.calendar, early[0])).toBe(`Pending confirmation in Bitcoin blockchain; in unconfirmed transaction ${v2.txid}`);
    // The new branch comes from a miner that only ever saw the first version (miners' mempools differ).
    await h.node.rpc.call('generateblock', [await h.node.rpc.getNewAddress('reorg'), [bytesToHex(v1.raw)]], { idempotent: false });
    await stamper.poll();
    expect(stamper.state.waiting[0]?.mined?.txid).toBe(v1.txid);
    // v1's commitments are not paid for again: the next transaction holds only those v1 did not.
    const next = stamper.state.cycle?.versions[0];
    expect(next?.ranges).toEqual([{ start: 3, end: 5 }]);

    await mineFresh(h.node, 1);
    await stamper.poll();
    const heights = await expectAnchored(h.node, cal, early);
    expect(await h.node.rpc.getBlockHash(heights[0] as number)).not.toBe(b1);
    expect(stamper.state.anchored.map((a) => a.txid)).toEqual([v1.txid]);
    expect((await opReturnTxids(wallet)).sort()).toEqual([v1.txid, v2.txid, next?.txid].sort());
    expect(linesWith(lines, 'transaction dropped after a reorg')).toHaveLength(0);
    await cal.close();
  });

  it('block orphaned and the tx double-spent meanwhile: its commitments go into a new transaction on another output', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000, 8_000_000]);
    const { log, lines } = captureLog();
    const stamper = openStamper({ cal, rpc: wallet, log, settings: testSettings({ confirmations: 2 }) });
    const cs = await commit(cal, 3);
    await stamper.poll();
    const cycle = stamper.state.cycle;
    if (cycle === null) throw new Error('no cycle');
    const first = cycle.versions[0]?.txid ?? '';
    const [b1] = await h.node.mine(1);
    await stamper.poll();
    await wallet.invalidateBlock(b1 as string);
    // A conflicting spend of the same output, paying more: it replaces ours in the mempool.
    const to = await wallet.getNewAddress();
    const conflict = await wallet.createRawTransaction([{ txid: cycle.input.txid, vout: cycle.input.vout, sequence: 0xfffffffd }], [{ address: to, sats: cycle.input.value - 20_000 }]);
    await wallet.sendRawTransaction((await wallet.signRawTransactionWithWallet(conflict)).raw);
    expect(await wallet.getMempoolEntry(first)).toBeNull();

    await stamper.poll();
    expect(linesWith(lines, 'transaction dropped after a reorg')).toHaveLength(1);
    const next = stamper.state.cycle;
    expect(next?.versions[0]?.ranges).toEqual([{ start: 0, end: 3 }]);
    expect(next?.input.txid === cycle.input.txid && next.input.vout === cycle.input.vout).toBe(false);
    await h.node.mine(2);
    await stamper.poll();
    await expectAnchored(h.node, cal, cs);
    await cal.close();
  });

  it('reorg deeper than the depth after anchoring: revocation record, commitments pending, anchored again when re-mined', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const { log, lines } = captureLog();
    const stamper = openStamper({ cal, rpc: wallet, log, settings: testSettings({ confirmations: 2 }) });
    const cs = await commit(cal, 5);
    await stamper.poll();
    const txid = stamper.state.cycle?.versions[0]?.txid ?? '';
    const [b1] = await h.node.mine(2);
    await stamper.poll();
    const seq = stamper.state.anchored[0]?.seq;
    if (seq === undefined) throw new Error('not anchored');
    const [firstHeight] = await expectAnchored(h.node, cal, cs);

    await wallet.invalidateBlock(b1 as string); // two blocks undone: the anchored block is gone
    await stamper.poll();
    expect(cal.index.anchors.get(seq)?.revoked).toBe(true);
    const revocations = await journalRevocations(cal);
    expect(revocations).toHaveLength(1);
    expect(revocations[0]?.anchorSeq).toBe(seq);
    expect(revocations[0]?.reason).toContain(b1);
    expect(linesWith(lines, 'anchor revoked by a deep reorg')).toHaveLength(1);
    expect(reasonOf(cal.calendar, cs[0])).toBe(`Pending confirmation in Bitcoin blockchain; in unconfirmed transaction ${txid}`);
    expect(stamper.state.anchored).toHaveLength(0);

    await stamper.poll(); // nothing written twice
    expect(await journalRevocations(cal)).toHaveLength(1);

    await mineFresh(h.node, 2);
    await stamper.poll();
    const heights = await expectAnchored(h.node, cal, cs);
    expect(heights[0]).toBe(firstHeight); // same height on the new branch, another block
    const again = stamper.state.anchored[0];
    expect(again?.seq).not.toBe(seq);
    expect(again?.block.hash).not.toBe(b1);
    expect(cal.index.anchors.size).toBe(2);
    expect(await opReturnTxids(wallet)).toEqual([txid]);
    await cal.close();
  });

  it('a reorg the chain follower never saw (state restored past it): the anchored-block check revokes, the wallet finds the tx re-mined, anchored again', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const a = openStamper({ cal, rpc: wallet, log: captureLog().log, settings: testSettings({ confirmations: 1 }) });
    const cs = await commit(cal, 3);
    await a.poll();
    const [b1] = await h.node.mine(1);
    await a.poll();
    const seq = a.state.anchored[0]?.seq;
    if (seq === undefined) throw new Error('not anchored');
    await a.stop();

    await wallet.invalidateBlock(b1 as string);
    const [b1b, tipHash] = await mineFresh(h.node, 2); // the new branch re-mines our tx in b1b
    const store = new StateStore(cal.dataDir.stateDir);
    const state = store.load('regtest');
    store.save({ ...state, lastBlock: { height: (await wallet.getBlockCount()), hash: tipHash as string } });

    const { log, lines } = captureLog();
    const b = openStamper({ cal, rpc: wallet, log, settings: testSettings({ confirmations: 1 }) });
    await b.poll();
    expect(cal.index.anchors.get(seq)?.revoked).toBe(true);
    expect(linesWith(lines, 'anchor revoked by a deep reorg')).toHaveLength(1);
    expect(b.state.anchored).toHaveLength(1);
    expect(b.state.anchored[0]?.block.hash).toBe(b1b);
    const heights = await expectAnchored(h.node, cal, cs);
    expect(await h.node.rpc.getBlockHash(heights[0] as number)).toBe(b1b);
    expect(await opReturnTxids(wallet)).toHaveLength(1);
    await cal.close();
  });

  it('a mined transaction whose block left the chain unseen by the follower: found again and anchored, not left waiting on the stale block', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const settings = testSettings({ confirmations: 3 });
    const a = openStamper({ cal, rpc: wallet, log: captureLog().log, settings });
    const cs = await commit(cal, 3);
    await a.poll();
    const [b1] = await h.node.mine(1);
    await a.poll();
    expect(a.state.waiting[0]?.mined?.block.hash).toBe(b1);
    await a.stop();

    await wallet.invalidateBlock(b1 as string);
    const [b1b, , tipHash] = await mineFresh(h.node, 3); // the new branch re-mines our tx in b1b
    const store = new StateStore(cal.dataDir.stateDir);
    store.save({ ...store.load('regtest'), lastBlock: { height: await wallet.getBlockCount(), hash: tipHash as string } });

    const { log, lines } = captureLog();
    const b = openStamper({ cal, rpc: wallet, log, settings });
    await b.poll();
    await b.poll();
    expect(linesWith(lines, 'mined transaction unconfirmed again')).toHaveLength(1);
    expect(b.state.waiting).toHaveLength(0);
    expect(b.state.anchored[0]?.block.hash).toBe(b1b);
    const heights = await expectAnchored(h.node, cal, cs);
    expect(await h.node.rpc.getBlockHash(heights[0] as number)).toBe(b1b);
    expect(await opReturnTxids(wallet)).toHaveLength(1);
    await cal.close();
  });
});
