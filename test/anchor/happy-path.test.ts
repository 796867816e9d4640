// The whole path on a real litecoind -regtest: commitments → OP_RETURN tx → replacement at a new block → mined → depth → anchor record → complete proofs that reach the block header.
import { describe, expect, it } from 'vitest';
import { SEQUENCE_RBF, decodeTx, getChain, opReturnScript } from '../../src/bitcoin/index.js';
import { merkleRoot, sha256 } from '../../src/ots/index.js';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { captureLog, commit, fundedWallet, mineEmpty, openCalendar, openStamper, opReturnTxids, testSettings, verifyProof } from './harness.js';

const h = useRegtestNode({ extraArgs: ['-keypool=20'] });

function reasonOf(answer: ReturnType<import('../../src/calendar/calendar.js').Calendar['answer']>): string {
  if (answer.kind !== 'pending') throw new Error(`expected a pending answer, got ${answer.kind}`);
  return answer.reason;
}

describe('wallet stamper, happy path', () => {
  it('sends, replaces once per block with more fee and all pending commitments, anchors at depth 6, and every proof reaches the header', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [20_000_000, 50_000_000]);
    const { log, lines } = captureLog();
    const stamper = openStamper({ cal, rpc: wallet, log, settings: testSettings({ confirmations: 6 }) });
    const first = await commit(cal, 5);
    expect(reasonOf(cal.calendar.answer(first[0] as Uint8Array))).toBe('Pending confirmation in Bitcoin blockchain');

    await stamper.poll();
    const v1 = stamper.state.cycle?.versions[0];
    if (v1 === undefined) throw new Error(`no transaction sent: ${JSON.stringify(stamper.status())}`);
    expect(v1.ranges).toEqual([{ start: 0, end: 5 }]);
    expect(Buffer.from(v1.tip).equals(Buffer.from(merkleRoot(first.map((c) => sha256(c)))))).toBe(true);
    const tx1 = decodeTx(v1.raw);
    expect(tx1.inputs).toHaveLength(1);
    expect(tx1.inputs[0]?.sequence).toBe(SEQUENCE_RBF);
    expect(stamper.state.cycle?.input.value).toBe(50_000_000); // the largest confirmed output
    expect(tx1.outputs.map((o) => Buffer.from(o.script).toString('hex'))).toContain(Buffer.from(opReturnScript(v1.tip)).toString('hex'));
    expect((await wallet.getMempoolEntry(v1.txid))?.bip125Replaceable).toBe(true);
    expect(reasonOf(cal.calendar.answer(first[4] as Uint8Array))).toBe(`Pending confirmation in Bitcoin blockchain; in unconfirmed transaction ${v1.txid}`);
    expect(Buffer.from(stamper.tip() ?? []).equals(Buffer.from(v1.tip))).toBe(true);

    await stamper.poll(); // no new block: no replacement
    expect(stamper.state.cycle?.versions).toHaveLength(1);

    const more = await commit(cal, 3);
    expect(reasonOf(cal.calendar.answer(more[0] as Uint8Array))).toBe(`Pending confirmation in Bitcoin blockchain; joins transaction ${v1.txid} at the next block`);
    await mineEmpty(h.node);
    await stamper.poll();
    const v2 = stamper.state.cycle?.versions[1];
    if (v2 === undefined) throw new Error('no replacement at the new block');
    expect(v2.ranges).toEqual([{ start: 0, end: 8 }]);
    expect(v2.fee).toBeGreaterThanOrEqual(v1.fee + v2.vsize); // BIP125 rule 4 at 1 sat/vB incremental relay fee
    expect(await wallet.getMempoolEntry(v1.txid)).toBeNull();
    expect((await wallet.getMempoolEntry(v2.txid))?.fee).toBe(v2.fee);
    expect(decodeTx(v2.raw).inputs[0]?.prevTxid).toEqual(tx1.inputs[0]?.prevTxid);

    const [minedHash] = await h.node.mine(1);
    await stamper.poll();
    expect(stamper.state.cycle).toBeNull();
    expect(stamper.state.waiting).toHaveLength(1);
    expect(reasonOf(cal.calendar.answer(more[2] as Uint8Array))).toBe(`Timestamped by transaction ${v2.txid}; 1 of 6 confirmations`);
    await h.node.mine(4);
    await stamper.poll();
    expect(reasonOf(cal.calendar.answer(first[0] as Uint8Array))).toBe(`Timestamped by transaction ${v2.txid}; 5 of 6 confirmations`);
    expect(cal.index.anchors.size).toBe(0);

    await h.node.mine(1);
    await stamper.poll();
    expect(stamper.state.waiting).toHaveLength(0);
    expect(stamper.state.anchored.map((a) => a.txid)).toEqual([v2.txid]);
    const minedHeight = (await wallet.getBlockHeader(minedHash as string)).height;
    for (const c of [...first, ...more]) {
      const answer = cal.calendar.answer(c);
      if (answer.kind !== 'complete') throw new Error(`commitment not complete: ${answer.kind}`);
      expect(await verifyProof(h.node, c, answer.proof)).toEqual({ kind: 'bitcoin', height: minedHeight });
    }
    expect(stamper.status()).toMatchObject({ pendingCommitments: 0, anchorsWatched: 1, unconfirmedTxid: null, lastAnchorTxid: v2.txid, problems: null });
    expect((await opReturnTxids(wallet)).sort()).toEqual([v1.txid, v2.txid].sort());
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    await cal.close();
  });

  it('on litecoin-regtest the proof carries a Litecoin attestation that verifies against the header', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const { log } = captureLog();
    const stamper = openStamper({ cal, rpc: wallet, log, chain: getChain('litecoin-regtest'), settings: testSettings({ confirmations: 2 }) });
    const commitments = await commit(cal, 3);
    await stamper.poll();
    const txid = stamper.state.cycle?.versions[0]?.txid;
    expect(txid).toBeDefined();
    expect(cal.calendar.answer(commitments[0] as Uint8Array)).toMatchObject({ reason: `Pending confirmation in Litecoin blockchain; in unconfirmed transaction ${txid}` });
    await h.node.mine(2);
    await stamper.poll();
    for (const c of commitments) {
      const answer = cal.calendar.answer(c);
      if (answer.kind !== 'complete') throw new Error(`commitment not complete: ${answer.kind}`);
      const att = await verifyProof(h.node, c, answer.proof);
      expect(att.kind).toBe('litecoin');
      expect(att.height).toBe((await h.node.rpc.getBlockCount()) - 1);
    }
    await cal.close();
  });

  it('max-commitments-per-tx: the oldest go first, the rest wait for the next cycle and are told so', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const stamper = openStamper({ cal, rpc: wallet, log: captureLog().log, settings: testSettings({ confirmations: 1, maxCommitmentsPerTx: 3 }) });
    const cs = await commit(cal, 5);
    await stamper.poll();
    const v1 = stamper.state.cycle?.versions[0];
    expect(v1?.ranges).toEqual([{ start: 0, end: 3 }]);
    expect(reasonOf(cal.calendar.answer(cs[4] as Uint8Array))).toBe(`Pending confirmation in Bitcoin blockchain; waiting for transaction ${v1?.txid} to confirm`);
    await mineEmpty(h.node);
    await stamper.poll();
    expect(stamper.state.cycle?.versions[1]?.ranges).toEqual([{ start: 0, end: 3 }]);
    await h.node.mine(1);
    await stamper.poll();
    expect(stamper.state.cycle?.versions[0]?.ranges).toEqual([{ start: 3, end: 5 }]);
    expect(cal.calendar.answer(cs[0] as Uint8Array).kind).toBe('complete');
    await cal.close();
  });
});
