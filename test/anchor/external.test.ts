/**
 * Donated transactions on a real litecoind -regtest node, through the library (the external strategy, then the
 * calendar's own wallet, on a real calendar in a temporary directory): a posted transaction is taken, followed and
 * anchored with a proof that checks against the header; one nobody posted is recognised in its block; reorgs before
 * and after the depth; no transaction in time hands the commitments to the wallet; a taken one not mined in time
 * too, and the first complete anchor wins; a node that lost its mempool gets the transaction again from the bytes
 * the calendar kept.
 */
import { describe, expect, it } from 'vitest';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { Anchoring, DonationRefusedError, ExternalStrategy, WalletStamper, type AnchorStrategy } from '../../src/anchor/index.js';
import { type BitcoinRpc, getChain } from '../../src/bitcoin/index.js';
import { bytesToHex } from '../../src/ots/index.js';
import { captureLog, commit, fundedWallet, mineFresh, openCalendar, opReturnTxids, testSettings, verifyProof, type CalendarFixture } from './harness.js';
import { donation } from './donor.js';

const regtest = useRegtestNode({ extraArgs: ['-keypool=20'] });

interface Setup {
  cal: CalendarFixture;
  anchoring: Anchoring;
  external: ExternalStrategy;
  wallet: BitcoinRpc | undefined;
  lines: ReturnType<typeof captureLog>['lines'];
  now: { ms: number };
}

async function setup(o: { waitMs?: number; confirmations?: number; wallet?: boolean; cal?: CalendarFixture } = {}): Promise<Setup> {
  const cal = o.cal ?? (await openCalendar());
  const wallet = o.wallet === false ? undefined : await fundedWallet(regtest.node, [10_000_000]);
  const { log, lines } = captureLog();
  const now = { ms: Date.now() };
  const confirmations = o.confirmations ?? 2;
  let external: ExternalStrategy | undefined;
  const anchoring = new Anchoring({
    strategies: (ledgerFor) => {
      const own = wallet === undefined ? undefined : WalletStamper.open({ rpc: wallet, chain: getChain('regtest'), ledger: ledgerFor('wallet'), stateDir: cal.dataDir.stateDir, settings: testSettings({ confirmations }), log, now: () => now.ms });
      external = ExternalStrategy.open({
        rpc: regtest.node.rpc,
        chain: getChain('regtest'),
        ledger: ledgerFor('donated transactions'),
        stateDir: cal.dataDir.stateDir,
        settings: { waitMs: o.waitMs ?? 3_600_000, confirmations, maxCommitmentsPerTx: 1000, fallbackFeeRate: 2000, maxFeeRate: 500_000, feeTargetBlocks: 6, tipRefreshMs: 0 },
        log,
        now: () => now.ms,
        ...(own === undefined ? {} : { wallet: { nextCycleAt: () => own.state.nextCycleAt, owns: (txid: string) => own.owns(txid) } }),
      });
      const list: AnchorStrategy[] = own === undefined ? [external] : [external, own];
      return list;
    },
    ledger: cal.calendar,
    chain: getChain('regtest'),
    pollIntervalMs: 50,
    log,
    now: () => now.ms,
  });
  cal.calendar.setPendingStatus((n) => anchoring.pendingReason(n));
  return { cal, anchoring, external: external as ExternalStrategy, wallet, lines, now };
}

function reason(s: Setup, c: Uint8Array): string {
  const a = s.cal.calendar.answer(c);
  return a.kind === 'pending' ? a.reason : a.kind;
}

async function expectComplete(s: Setup, cs: Uint8Array[]): Promise<number> {
  const heights = new Set<number>();
  for (const c of cs) {
    const a = s.cal.calendar.answer(c);
    if (a.kind !== 'complete') throw new Error(`not anchored: ${a.kind}`);
    heights.add((await verifyProof(regtest.node, c, a.proof)).height);
  }
  expect(heights.size).toBe(1);
  return [...heights][0] as number;
}

async function anchorRecords(cal: CalendarFixture): Promise<Array<{ ranges: Array<{ start: number; end: number }> }>> {
  const out: Array<{ ranges: Array<{ start: number; end: number }> }> = [];
  for await (const { record } of cal.journal.scan(0)) if (record.type === 'anchor') out.push({ ranges: [...record.anchor.ranges] });
  return out;
}

describe('donated transactions', () => {
  it('a posted transaction is taken, followed and anchored; the proof checks against the header; the wallet pays nothing', async () => {
    const s = await setup();
    const donor = await fundedWallet(regtest.node, [10_000_000]);
    try {
      const cs = await commit(s.cal, 3);
      await s.anchoring.poll();
      const tip = s.anchoring.tip();
      expect(tip).toBeDefined();
      const offer = s.external.offer();
      expect(offer).toMatchObject({ version: 1, chain: 'regtest', tip: bytesToHex(tip as Uint8Array), commitments: 3, covered: [] });
      expect(Date.parse(offer.selfPayAt ?? '')).toBe(Date.parse(offer.since ?? '') + 3_600_000);
      expect(offer.feeRateSatPerVb).toBe(2);
      expect(offer.minFeeRateSatPerVb).toBe(1);
      expect(reason(s, cs[0] as Uint8Array)).toBe('Pending confirmation in Bitcoin blockchain; waiting for a donated transaction, tip advertised 0 min ago');

      const d = await donation(donor, tip as Uint8Array);
      await expect(s.external.submit(d.raw)).resolves.toEqual({ accepted: true, txid: d.txid, tip: bytesToHex(tip as Uint8Array), commitments: 3 });
      expect(await regtest.node.rpc.getMempoolEntry(d.txid)).not.toBeNull();
      expect(s.anchoring.tip()).toBeUndefined();
      expect(s.external.offer()).toMatchObject({ tip: null, covered: [{ tip: bytesToHex(tip as Uint8Array), txid: d.txid, confirmations: 0 }] });
      expect(reason(s, cs[2] as Uint8Array)).toBe(`Pending confirmation in Bitcoin blockchain; in donated transaction ${d.txid}`);
      // the same transaction again, and another one for the same tip
      await expect(s.external.submit(d.raw)).rejects.toMatchObject({ refusal: 'already-accepted' });
      const other = await donation(donor, tip as Uint8Array, { utxo: (await donor.listUnspent(1)).find((u) => u.txid !== d.utxo.txid || u.vout !== d.utxo.vout) ?? d.utxo });
      await expect(s.external.submit(other.raw)).rejects.toMatchObject({ refusal: 'tip-covered' });

      await regtest.node.mine(1);
      await s.anchoring.poll();
      expect(reason(s, cs[0] as Uint8Array)).toBe(`Timestamped by donated transaction ${d.txid}; 1 of 2 confirmations`);
      await regtest.node.mine(1);
      await s.anchoring.poll();
      await expectComplete(s, cs);
      expect(await opReturnTxids(s.wallet as BitcoinRpc)).toEqual([]);
      const [event] = s.anchoring.report().recent;
      expect(event).toMatchObject({ by: 'donated transactions', paidBy: 'external', txid: d.txid, feeNotPaidSats: d.fee, commitments: 3 });
      expect(s.external.status()).toMatchObject({ donationsTaken: 1, donationsRefused: 2, anchorsFromDonations: 1, feesNotPaidSats: d.fee, donatedTxsWaiting: 0 });
      expect(s.anchoring.report().summary['feesNotPaidSats']).toBe(d.fee);
      // a tip whose commitments are anchored is no longer wanted
      await expect(s.external.submit((await donation(donor, tip as Uint8Array)).raw)).rejects.toMatchObject({ refusal: 'tip-expired' });
    } finally {
      await s.anchoring.stop();
      await s.cal.close();
    }
  });

  it('a transaction nobody posted is recognised when its block is processed, under the same rules', async () => {
    const s = await setup({ wallet: false });
    const donor = await fundedWallet(regtest.node, [10_000_000]);
    try {
      const cs = await commit(s.cal, 2);
      await s.anchoring.poll();
      const d = await donation(donor, s.anchoring.tip() as Uint8Array);
      await donor.sendRawTransaction(d.raw);
      await regtest.node.mine(1);
      await s.anchoring.poll();
      expect(s.external.state.donations).toMatchObject([{ txid: d.txid, source: 'block', fee: d.fee, releasedAt: null }]);
      expect(reason(s, cs[0] as Uint8Array)).toBe(`Timestamped by donated transaction ${d.txid}; 1 of 2 confirmations`);
      await regtest.node.mine(1);
      await s.anchoring.poll();
      await expectComplete(s, cs);
    } finally {
      await s.anchoring.stop();
      await s.cal.close();
    }
  });

  it('reorgs: before the depth it is followed again and re-mined; after it the anchor is revoked and made again', async () => {
    const s = await setup({ wallet: false, confirmations: 2 });
    const donor = await fundedWallet(regtest.node, [10_000_000]);
    try {
      const cs = await commit(s.cal, 2);
      await s.anchoring.poll();
      const d = await donation(donor, s.anchoring.tip() as Uint8Array);
      await s.external.submit(d.raw);
      const [b1] = await regtest.node.mine(1);
      await s.anchoring.poll();
      await regtest.node.rpc.invalidateBlock(b1 as string);
      await s.anchoring.poll();
      expect(s.external.state.waiting[0]?.mined).toBeNull();
      expect(reason(s, cs[0] as Uint8Array)).toBe(`Pending confirmation in Bitcoin blockchain; in donated transaction ${d.txid}`);
      await mineFresh(regtest.node, 2);
      await s.anchoring.poll();
      const first = await expectComplete(s, cs);

      // deeper than the depth: revoked, pending again, followed again, anchored again in the new branch
      await regtest.node.rpc.invalidateBlock((await regtest.node.rpc.getBlockHash(first)) as string);
      await s.anchoring.poll();
      expect(s.cal.calendar.answer(cs[0] as Uint8Array).kind).toBe('pending');
      expect(reason(s, cs[0] as Uint8Array)).toBe(`Pending confirmation in Bitcoin blockchain; in donated transaction ${d.txid}`);
      await mineFresh(regtest.node, 2);
      await s.anchoring.poll();
      await expectComplete(s, cs);
      let revocations = 0;
      for await (const { record } of s.cal.journal.scan(0)) if (record.type === 'revocation') revocations++;
      expect(revocations).toBe(1);
      expect(await anchorRecords(s.cal)).toHaveLength(2);
    } finally {
      await s.anchoring.stop();
      await s.cal.close();
    }
  });

  it('no transaction within the wait: the wallet pays; a late one for that tip is refused as expired', async () => {
    const s = await setup({ waitMs: 5_000 });
    const donor = await fundedWallet(regtest.node, [10_000_000]);
    try {
      const cs = await commit(s.cal, 2);
      await s.anchoring.poll();
      const tip = s.anchoring.tip() as Uint8Array;
      await s.anchoring.poll();
      expect(await opReturnTxids(s.wallet as BitcoinRpc)).toEqual([]);
      s.now.ms += 5_000;
      await s.anchoring.poll();
      expect(s.external.tip()).toBeUndefined();
      expect(await opReturnTxids(s.wallet as BitcoinRpc)).toHaveLength(1);
      const late = await donation(donor, tip);
      const refused = await s.external.submit(late.raw).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(DonationRefusedError);
      expect(refused).toMatchObject({ refusal: 'tip-expired', reason: expect.stringMatching(/no transaction came in time and its commitments went to another strategy$/) as string });
      await regtest.node.mine(2);
      await s.anchoring.poll();
      await expectComplete(s, cs);
      expect(s.anchoring.report().recent[0]).toMatchObject({ paidBy: 'wallet', feeNotPaidSats: 0 });
    } finally {
      await s.anchoring.stop();
      await s.cal.close();
    }
  });

  it('a taken transaction not mined within the wait: the wallet pays too, and the first complete anchor wins', async () => {
    const s = await setup({ waitMs: 5_000 });
    const donor = await fundedWallet(regtest.node, [10_000_000]);
    try {
      const cs = await commit(s.cal, 2);
      await s.anchoring.poll();
      const d = await donation(donor, s.anchoring.tip() as Uint8Array);
      await s.external.submit(d.raw);
      s.now.ms += 5_000;
      await s.anchoring.poll();
      expect(s.external.problems()).toContain('a donated transaction was not mined in time; its commitments went to the next strategy');
      expect(await opReturnTxids(s.wallet as BitcoinRpc)).toHaveLength(1);
      await regtest.node.mine(2);
      await s.anchoring.poll();
      await expectComplete(s, cs);
      // one anchor record, the donor's (the donated transaction is followed first); the wallet's finds it
      expect(await anchorRecords(s.cal)).toHaveLength(1);
      expect(s.anchoring.report().recent).toMatchObject([{ paidBy: 'external', txid: d.txid }]);
    } finally {
      await s.anchoring.stop();
      await s.cal.close();
    }
  });

  it('a node that lost its mempool gets the taken transaction again from the bytes kept', async () => {
    const s = await setup({ wallet: false });
    const donor = await fundedWallet(regtest.node, [10_000_000]);
    try {
      const cs = await commit(s.cal, 1);
      await s.anchoring.poll();
      const d = await donation(donor, s.anchoring.tip() as Uint8Array);
      await s.external.submit(d.raw);
      await s.anchoring.stop();
      // a crash of the node: its mempool is gone (it is saved only at a clean stop), the chain flushed before
      await regtest.node.flush();
      await regtest.node.kill();
      await regtest.node.restart();
      expect(await regtest.node.rpc.getMempoolEntry(d.txid)).toBeNull();
      const again = await setup({ wallet: false, cal: s.cal });
      await again.anchoring.poll();
      expect(await regtest.node.rpc.getMempoolEntry(d.txid)).not.toBeNull();
      await regtest.node.mine(2);
      await again.anchoring.poll();
      await expectComplete(again, cs);
      await again.anchoring.stop();
    } finally {
      await s.cal.close();
    }
  });
});
