// Wallet-side faults on a real litecoind -regtest: an empty wallet, the fee cap, and a replacement the node refuses (-26). Intake goes on and nothing is lost in any of them.
import { describe, expect, it } from 'vitest';
import { BitcoinRpc, decodeTx } from '../../src/bitcoin/index.js';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { captureLog, commit, fund, fundedWallet, linesWith, mineEmpty, openCalendar, openStamper, testSettings, verifyProof } from './harness.js';
import type { Calendar } from '../../src/calendar/calendar.js';

const h = useRegtestNode({ extraArgs: ['-keypool=20'] });

function reasonOf(calendar: Calendar, c: Uint8Array | undefined): string {
  const a = calendar.answer(c as Uint8Array);
  if (a.kind !== 'pending') throw new Error(`expected pending, got ${a.kind}`);
  return a.reason;
}

/** Counts the change addresses asked of the wallet: each one is a key the wallet keeps for ever. */
class CountingRpc extends BitcoinRpc {
  changeAddresses = 0;
  override getRawChangeAddress(type?: string): Promise<string> {
    this.changeAddresses++;
    return super.getRawChangeAddress(type);
  }
}

describe('wallet faults', () => {
  it('a wallet that does not exist: the node\'s reason is logged once with what to check, and shown in plain words', async () => {
    const cal = await openCalendar();
    const { log, lines } = captureLog();
    const stamper = openStamper({ cal, rpc: h.node.rpc.withWallet('no-such-wallet'), log });
    await commit(cal, 1);
    for (let i = 0; i < 4; i++) await stamper.poll();
    const failed = linesWith(lines, 'the node cannot load wallet "no-such-wallet"');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.msg).toMatch(/cannot load wallet "no-such-wallet": .*(not found|does not exist).*; check --rpc-wallet/i);
    expect(stamper.problems()).toContain('the node cannot load the wallet (does it exist?)');
    expect(JSON.stringify(stamper.status())).not.toContain('no-such-wallet');
    await cal.close();
  });

  it('empty wallet: said once in the log, shown in status and 404 reasons, intake unaffected; funded, it proceeds', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, []);
    const { log, lines } = captureLog();
    const stamper = openStamper({ cal, rpc: wallet, log });
    const early = await commit(cal, 2);
    for (let i = 0; i < 3; i++) {
      await stamper.poll();
      await mineEmpty(h.node); // a new block makes it try again at once
    }
    await stamper.poll();
    expect(stamper.state.cycle).toBeNull();
    expect(linesWith(lines, 'the wallet cannot pay')).toHaveLength(1);
    expect(stamper.status()).toMatchObject({ walletEmpty: true, problems: 'wallet-empty', unconfirmedTxid: null, pendingCommitments: 2 });
    expect(reasonOf(cal.calendar, early[0])).toBe('Pending confirmation in Bitcoin blockchain; stamping paused, the wallet has no spendable funds');

    const late = await commit(cal, 1); // intake goes on
    expect(reasonOf(cal.calendar, late[0])).toContain('stamping paused');

    await fund(h.node, wallet, 2_000_000);
    await stamper.poll(); // an unconfirmed output is never used
    expect(stamper.state.cycle).toBeNull();
    await h.node.mine(1);
    await stamper.poll();
    expect(stamper.state.cycle?.versions[0]?.ranges).toEqual([{ start: 0, end: 3 }]);
    expect(stamper.status()).toMatchObject({ walletEmpty: false, problems: null });
    expect(linesWith(lines, 'resolved: the wallet cannot pay')).toHaveLength(1);
    await h.node.mine(3);
    await stamper.poll();
    for (const c of [...early, ...late]) {
      const a = cal.calendar.answer(c);
      if (a.kind !== 'complete') throw new Error('not anchored');
      await verifyProof(h.node, c, a.proof);
    }
    await cal.close();
  });

  it('fee cap: replacements stop at the cap, the cap is paid at most, status and 404 reasons say so', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [5_000_000]);
    const { log, lines } = captureLog();
    // 2 sat/vB, +3 sat/vB per block: the second version would want ~765 sat, the cap pays 700; a third cannot exist.
    const stamper = openStamper({ cal, rpc: wallet, log, settings: testSettings({ feeRate: 2, feeIncrement: 3, maxFee: 700 }) });
    const inTx = await commit(cal, 3);
    await stamper.poll();
    const v1 = stamper.state.cycle?.versions[0];
    expect(v1?.fee).toBeLessThan(400);
    for (let i = 0; i < 4; i++) {
      await mineEmpty(h.node);
      await stamper.poll();
    }
    const versions = stamper.state.cycle?.versions ?? [];
    expect(versions).toHaveLength(2);
    expect(versions[1]?.fee).toBe(700);
    for (const v of versions) expect(v.fee).toBeLessThanOrEqual(700);
    expect(await wallet.getMempoolEntry(versions[1]?.txid ?? '')).not.toBeNull();
    expect(stamper.status()).toMatchObject({ feeCapReached: true, unconfirmedFee: 700 });
    expect(linesWith(lines, 'fee cap reached')).toHaveLength(1);
    const v2 = versions[1]?.txid ?? '';
    expect(reasonOf(cal.calendar, inTx[0])).toBe(`Pending confirmation in Bitcoin blockchain; in unconfirmed transaction ${v2}; fee cap reached`);
    const late = await commit(cal, 1);
    await mineEmpty(h.node);
    await stamper.poll();
    expect(reasonOf(cal.calendar, late[0])).toBe(`Pending confirmation in Bitcoin blockchain; waiting for transaction ${v2} to confirm`);

    await h.node.mine(1); // mined at the capped fee; the late commitment gets the next cycle
    await stamper.poll();
    expect(stamper.status()).toMatchObject({ feeCapReached: false, txsWaitingForConfirmation: 1 });
    expect(stamper.state.cycle?.versions[0]?.ranges).toEqual([{ start: 3, end: 4 }]);
    await cal.close();
  });

  it('fee cap below the least relayable fee: no transaction at all, stamping paused, intake continues', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [5_000_000]);
    const { log, lines } = captureLog();
    const counting = new CountingRpc({ connection: wallet.connection, wallet: wallet.wallet as string });
    const stamper = openStamper({ cal, rpc: counting, log, settings: testSettings({ maxFee: 100 }) });
    const c = await commit(cal, 2);
    await stamper.poll();
    await stamper.poll();
    for (let i = 0; i < 3; i++) {
      await mineEmpty(h.node); // tried again at each block
      await stamper.poll();
    }
    expect(stamper.state.cycle).toBeNull();
    expect(counting.changeAddresses).toBe(1); // one unused change address, not one per attempt
    expect(linesWith(lines, 'fee cap reached: a transaction needs')).toHaveLength(1);
    expect(reasonOf(cal.calendar, c[1])).toBe('Pending confirmation in Bitcoin blockchain; stamping paused, fee cap reached');
    expect(await wallet.listTransactions('*', 100)).toHaveLength(1); // the funding only
    await cal.close();
  });

  it('a replacement the node refuses (-26): raised within the cap, then the previous version stays; it is mined and anchored', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [10_000_000]);
    const { log, lines } = captureLog();
    const stamper = openStamper({ cal, rpc: wallet, log, settings: testSettings({ maxFee: 20_000 }) });
    const cs = await commit(cal, 2);
    await stamper.poll();
    const v1 = stamper.state.cycle?.versions[0];
    if (v1 === undefined) throw new Error('no first version');
    // A child spending v1's change with a large fee: replacing v1 now costs more than the cap (BIP125 rule 3).
    const change = decodeTx(v1.raw).outputs[0];
    const to = await wallet.getNewAddress();
    const child = await wallet.createRawTransaction([{ txid: v1.txid, vout: 0 }], [{ address: to, sats: (change?.value ?? 0) - 50_000 }]);
    const signed = await wallet.signRawTransactionWithWallet(child);
    const childTxid = await wallet.sendRawTransaction(signed.raw);

    await commit(cal, 1);
    await mineEmpty(h.node);
    await stamper.poll();
    await mineEmpty(h.node);
    await stamper.poll();
    expect(stamper.state.cycle?.versions.map((v) => v.txid)).toEqual([v1.txid]);
    expect(await wallet.getMempoolEntry(v1.txid)).not.toBeNull();
    expect(await wallet.getMempoolEntry(childTxid)).not.toBeNull();
    expect(stamper.status()).toMatchObject({ problems: 'tx-rejected', unconfirmedTxid: v1.txid });
    const refused = linesWith(lines, 'the node refused a replacement');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.msg).toContain('insufficient fee');

    await h.node.mine(1);
    await stamper.poll();
    expect(stamper.status()).toMatchObject({ txsWaitingForConfirmation: 1 });
    expect(stamper.conditions.has('tx-rejected')).toBe(false);
    await h.node.mine(2);
    await stamper.poll();
    for (const c of cs) {
      const a = cal.calendar.answer(c);
      if (a.kind !== 'complete') throw new Error('not anchored');
      await verifyProof(h.node, c, a.proof);
    }
    await cal.close();
  });
});
