// Restarts at every phase on a real litecoind -regtest: a new stamper instance on the same state directory loses nothing and never pays a second time for commitments already in a mined transaction.
import { mkdirSync, rmdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BitcoinRpc, RpcUnavailableError } from '../../src/bitcoin/index.js';
import { type AnchorLedger, StateStore } from '../../src/anchor/index.js';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { captureLog, commit, fundedWallet, mineEmpty, openCalendar, openStamper, opReturnTxids, verifyProof, type CalendarFixture } from './harness.js';
import type { RegtestNode } from '../../src/bitcoin/index.js';

const h = useRegtestNode({ extraArgs: ['-keypool=20'] });

async function expectAnchored(node: RegtestNode, cal: CalendarFixture, commitments: Uint8Array[]): Promise<void> {
  for (const c of commitments) {
    const a = cal.calendar.answer(c);
    if (a.kind !== 'complete') throw new Error(`not anchored: ${a.kind}`);
    await verifyProof(node, c, a.proof);
  }
}

/** Every sendrawtransaction answer is lost, as if the process died right after persisting the version. */
class AnswerLostRpc extends BitcoinRpc {
  override sendRawTransaction(): Promise<string> {
    return Promise.reject(new RpcUnavailableError('sendrawtransaction', 'reset', this.endpoint));
  }
}

describe('restarts', () => {
  it('while unconfirmed: the new instance replaces the persisted version on the same input, with every commitment', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [30_000_000, 10_000_000]);
    const a = openStamper({ cal, rpc: wallet, log: captureLog().log });
    const early = await commit(cal, 3);
    await a.poll();
    const v1 = a.state.cycle?.versions[0];
    await a.stop();

    const b = openStamper({ cal, rpc: wallet, log: captureLog().log });
    expect(b.state.cycle?.versions[0]?.txid).toBe(v1?.txid);
    const late = await commit(cal, 2);
    await b.poll(); // same block: nothing new is paid
    expect(b.state.cycle?.versions).toHaveLength(1);
    await mineEmpty(h.node);
    await b.poll();
    const versions = b.state.cycle?.versions ?? [];
    expect(versions).toHaveLength(2);
    expect(versions[1]?.ranges).toEqual([{ start: 0, end: 5 }]);
    expect(b.state.cycle?.input).toEqual(a.state.cycle?.input);
    await h.node.mine(3);
    await b.poll();
    await expectAnchored(h.node, cal, [...early, ...late]);
    expect((await opReturnTxids(wallet)).sort()).toEqual(versions.map((v) => v.txid).sort());
    await cal.close();
  });

  it('while waiting for depth, and with blocks mined while it was down: no second transaction, anchored at depth', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000, 10_000_000]);
    const a = openStamper({ cal, rpc: wallet, log: captureLog().log });
    const cs = await commit(cal, 4);
    await a.poll();
    await h.node.mine(1);
    await a.poll();
    expect(a.state.waiting).toHaveLength(1);
    await a.stop();

    await h.node.mine(1); // while down
    const b = openStamper({ cal, rpc: wallet, log: captureLog().log });
    await b.poll();
    await mineEmpty(h.node);
    await b.poll();
    expect(b.state.cycle).toBeNull();
    expect(b.state.waiting).toHaveLength(0);
    await expectAnchored(h.node, cal, cs);
    expect(await opReturnTxids(wallet)).toHaveLength(1);
    await cal.close();
  });

  it('mined entirely while it was down: the blocks are visited, the tx found and anchored; nothing else is paid', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000, 10_000_000]);
    const a = openStamper({ cal, rpc: wallet, log: captureLog().log });
    const cs = await commit(cal, 2);
    await a.poll();
    await a.stop();
    await h.node.mine(4);

    const { log, lines } = captureLog();
    const b = openStamper({ cal, rpc: wallet, log });
    await b.poll();
    expect(lines.filter((l) => l.msg === 'timestamp transaction mined')).toHaveLength(1);
    await expectAnchored(h.node, cal, cs);
    await b.poll();
    expect(b.state.cycle).toBeNull();
    expect(await opReturnTxids(wallet)).toHaveLength(1);
    await cal.close();
  });

  it('right after anchoring: nothing is redone, proofs stay complete, new commitments start a new cycle', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const a = openStamper({ cal, rpc: wallet, log: captureLog().log });
    const cs = await commit(cal, 3);
    await a.poll();
    await h.node.mine(3);
    await a.poll();
    expect(a.state.anchored).toHaveLength(1);
    await a.stop();

    const b = openStamper({ cal, rpc: wallet, log: captureLog().log });
    await b.poll();
    await h.node.mine(2);
    await b.poll();
    expect(b.state.cycle).toBeNull();
    expect(b.state.anchored).toEqual(a.state.anchored);
    expect(cal.index.anchors.size).toBe(1);
    expect(await opReturnTxids(wallet)).toHaveLength(1);
    await expectAnchored(h.node, cal, cs);
    await commit(cal, 1);
    await b.poll();
    expect(b.state.cycle?.versions[0]?.ranges).toEqual([{ start: 3, end: 4 }]);
    await cal.close();
  });

  it('version persisted, broadcast answer lost (a crash): the next instance broadcasts exactly that version', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const lossy = new AnswerLostRpc({ connection: wallet.connection, wallet: wallet.wallet as string });
    const a = openStamper({ cal, rpc: lossy, log: captureLog().log });
    const cs = await commit(cal, 2);
    await a.poll();
    const persisted = a.state.cycle?.versions[0];
    if (persisted === undefined) throw new Error('version not persisted before broadcast');
    expect(await wallet.getMempoolEntry(persisted.txid)).toBeNull();
    expect(a.status()).toMatchObject({ problems: 'node-unavailable' });
    await a.stop();

    const b = openStamper({ cal, rpc: wallet, log: captureLog().log });
    await b.poll();
    expect(await wallet.getMempoolEntry(persisted.txid)).not.toBeNull();
    expect(b.state.cycle?.versions.map((v) => v.txid)).toEqual([persisted.txid]);
    await h.node.mine(3);
    await b.poll();
    await expectAnchored(h.node, cal, cs);
    await cal.close();
  });

  it('anchor record written, state not (a crash in between): the next instance finds the record instead of writing another', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const crashing: AnchorLedger = {
      index: cal.calendar.index,
      appendRevocation: (seq, reason) => cal.calendar.appendRevocation(seq, reason),
      appendAnchor: async (anchor) => {
        await cal.calendar.appendAnchor(anchor);
        throw new Error('process died after the journal write');
      },
    };
    const a = openStamper({ cal, rpc: wallet, log: captureLog().log, ledger: crashing });
    const cs = await commit(cal, 3);
    await a.poll();
    await h.node.mine(3);
    await a.poll();
    expect(a.state.waiting).toHaveLength(1);
    expect(cal.index.anchors.size).toBe(1);
    await a.stop();

    const b = openStamper({ cal, rpc: wallet, log: captureLog().log });
    await b.poll();
    expect(b.state.waiting).toHaveLength(0);
    expect(b.state.anchored[0]?.seq).toBe([...cal.index.anchors.all()][0]?.seq);
    expect(cal.index.anchors.size).toBe(1);
    await expectAnchored(h.node, cal, cs);
    await cal.close();
  });

  it('state that cannot be written: nothing is broadcast until it can', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const { log, lines } = captureLog();
    const stamper = openStamper({ cal, rpc: wallet, log });
    await stamper.poll(); // first contact recorded
    const blocker = `${new StateStore(cal.dataDir.stateDir).path}.tmp-${process.pid}`;
    mkdirSync(blocker); // the temporary file of the durable write cannot be created
    await commit(cal, 2);
    await stamper.poll();
    await stamper.poll();
    expect(stamper.state.cycle).toBeNull();
    expect(await opReturnTxids(wallet)).toEqual([]);
    expect(await wallet.getRawMempool()).toEqual([]);
    expect(stamper.status()).toMatchObject({ problems: 'state-write' });
    expect(lines.filter((l) => l.condition === 'state-write')).toHaveLength(1);
    rmdirSync(blocker);
    await stamper.poll();
    const sent = stamper.state.cycle?.versions[0]?.txid;
    expect(sent).toBeDefined();
    expect(await opReturnTxids(wallet)).toEqual([sent]);
    expect(openStamper({ cal, rpc: wallet, log }).state.cycle?.versions[0]?.txid).toBe(sent);
    await cal.close();
  });
});
