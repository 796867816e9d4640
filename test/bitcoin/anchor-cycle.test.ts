// A full manual anchoring cycle on a real litecoind -regtest node: build, sign, send, replace by fee (no bumpfee), mine, prove, verify — for several block shapes.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MerkleRootMismatchError,
  RpcTxRejectedError,
  TxNotInBlockError,
  buildBlockProof,
  buildTimestampTxForFeeRate,
  decodeTx,
  encodeTx,
  fetchBlockProof,
  minReplacementFee,
  satsToAmount,
  timestampTxTemplate,
  txVsize,
  txWeight,
  type BitcoinRpc,
  type FeePlan,
  type TimestampTxSpec,
  type Unspent,
} from '../../src/bitcoin/index.js';
import { applyPath, bytesToReversedHex, encodePath, parseBlockHeader, Timestamp, verifyBlockHeaderAttestation } from '../../src/ots/index.js';
import { useRegtestNode } from '../fixtures/litecoind.js';

const ltc = useRegtestNode();

interface Sent {
  txid: string;
  fee: number;
  vsize: number;
  nonWitness: Uint8Array;
}

/** The spend the calendar makes: sign a template to learn the weight, rebuild at the fee, sign, send. */
async function stamp(rpc: BitcoinRpc, spec: TimestampTxSpec, plan: Omit<FeePlan, 'signedWeight'>): Promise<Sent> {
  const template = timestampTxTemplate(spec);
  if (!template.ok) throw new Error(`template: ${template.code}`);
  const signedTemplate = await rpc.signRawTransactionWithWallet(encodeTx(template.tx));
  expect(signedTemplate.complete).toBe(true);
  const built = buildTimestampTxForFeeRate(spec, { ...plan, signedWeight: txWeight(decodeTx(signedTemplate.raw)) });
  if (!built.ok) throw new Error(`build: ${built.code}`);
  const signed = await rpc.signRawTransactionWithWallet(encodeTx(built.tx));
  expect(signed.complete).toBe(true);
  const tx = decodeTx(signed.raw);
  const txid = await rpc.sendRawTransaction(signed.raw);
  return { txid, fee: built.fee, vsize: txVsize(tx), nonWitness: encodeTx(tx, { witness: false }) };
}

/** A fresh spec on the wallet's largest confirmed coin, change to a new wallet script. */
async function freshSpec(rpc: BitcoinRpc, exclude: Set<string> = new Set()): Promise<TimestampTxSpec> {
  const coins = (await rpc.listUnspent(1)).filter((u: Unspent) => u.spendable && !exclude.has(`${u.txid}:${u.vout}`));
  const coin = coins.sort((a, b) => b.amount - a.amount)[0];
  if (coin === undefined) throw new Error('no confirmed coin');
  const change = await rpc.getAddressInfo(await rpc.getRawChangeAddress('bech32'));
  return {
    outpoint: { txid: coin.txid, vout: coin.vout },
    inputValue: coin.amount,
    changeScript: change.scriptPubKey,
    tip: new Uint8Array(randomBytes(32)),
    lockTime: await rpc.getBlockCount(),
  };
}

/** Other wallet payments, one per fee rate (sat/vB), to give the next block its shape. */
async function payOthers(rpc: BitcoinRpc, satPerVb: number[]): Promise<void> {
  for (const [i, rate] of satPerVb.entries()) {
    const address = await rpc.getNewAddress();
    await rpc.call('sendtoaddress', { address, amount: satsToAmount(1_000_000 + i), fee_rate: rate }, { idempotent: false, wallet: true });
  }
}

/** Mines one block and checks the timestamp tx's proof from the tip to the header, end to end. */
async function mineAndProve(rpc: BitcoinRpc, sent: Sent, tip: Uint8Array, expectedTxs: number): Promise<number> {
  const [blockHash] = await ltc.node.mine(1);
  if (blockHash === undefined) throw new Error('no block');
  const block = await rpc.getBlock(blockHash);
  expect(block.txids).toHaveLength(expectedTxs);
  const proof = await fetchBlockProof(rpc, { blockHash, txid: sent.txid, tip, attestation: 'bitcoin' });
  const header = await rpc.getBlockHeaderRaw(blockHash);
  const root = applyPath(proof.ops, tip);
  expect(root).toEqual(parseBlockHeader(header).merkleRoot);
  expect(bytesToReversedHex(root)).toBe(block.merkleRoot);
  expect(verifyBlockHeaderAttestation(root, header)).toBe(block.time);
  expect(proof.blockTime).toBe(block.time);
  expect(proof.attestation).toEqual({ kind: 'bitcoin', height: block.height });
  // The first four ops turn the tip into the txid, as the reference builds them.
  expect(bytesToReversedHex(applyPath(proof.ops.slice(0, 4), tip))).toBe(sent.txid);
  // The path serializes into a timestamp that decodes and ends at the same root.
  const ts = Timestamp.fromBytes(encodePath(proof.ops, proof.attestation), tip);
  expect(ts.allAttestations().map(({ msg, attestation }) => [bytesToReversedHex(msg), attestation])).toEqual([[block.merkleRoot, proof.attestation]]);
  return block.txids.indexOf(sent.txid);
}

describe('manual anchoring cycle', () => {
  it('sends, refuses a too-cheap replacement with -26, accepts a proper one, mines it and proves it', async () => {
    const rpc = ltc.node.rpc;
    const spec = await freshSpec(rpc);
    const first = await stamp(rpc, spec, { feeRate: 2_000 });
    const entry = await rpc.getMempoolEntry(first.txid);
    expect(entry?.fee).toBe(first.fee);
    expect(entry?.vsize).toBe(first.vsize);
    expect(entry?.bip125Replaceable).toBe(true);
    expect((first.fee * 1000) / first.vsize).toBeGreaterThanOrEqual(2_000);

    // Same input, new tip, same absolute fee: BIP125 wants more, the node says -26.
    const tip2 = new Uint8Array(randomBytes(32));
    const cheap = stamp(rpc, { ...spec, tip: tip2 }, { feeRate: 2_000 });
    const rejected = await cheap.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(rejected).toBeInstanceOf(RpcTxRejectedError);
    expect((rejected as RpcTxRejectedError).rpcCode).toBe(-26);
    expect((rejected as RpcTxRejectedError).code).toBe('rpc-tx-rejected');
    expect((rejected as RpcTxRejectedError).rpcMessage).toMatch(/insufficient fee/);
    expect(await rpc.getRawMempool()).toContain(first.txid);

    // A replacement paying the old fee plus the incremental relay fee for its size is accepted.
    const tip3 = new Uint8Array(randomBytes(32));
    const second = await stamp(rpc, { ...spec, tip: tip3 }, { feeRate: 2_000, minFee: minReplacementFee(first.fee, first.vsize) });
    expect(second.fee).toBeGreaterThan(first.fee);
    const mempool = await rpc.getRawMempool();
    expect(mempool).toContain(second.txid);
    expect(mempool).not.toContain(first.txid);
    expect(await rpc.getMempoolEntry(first.txid)).toBeNull();
    expect((await rpc.getTransaction(first.txid)).walletConflicts).toContain(second.txid);

    await mineAndProve(rpc, second, tip3, 2);
    expect((await rpc.getTransaction(second.txid)).confirmations).toBe(1);

    // A one-block re-org: the block leaves the active chain, the tx returns to the mempool; then back.
    const hash = await rpc.getBestBlockHash();
    const height = await rpc.getBlockCount();
    await rpc.invalidateBlock(hash);
    expect(await rpc.getBlockCount()).toBe(height - 1);
    expect(await rpc.getBlockHash(height)).toBeNull();
    expect((await rpc.getBlockHeader(hash)).confirmations).toBe(-1);
    expect(await rpc.getRawMempool()).toContain(second.txid);
    await rpc.reconsiderBlock(hash);
    expect(await rpc.getBestBlockHash()).toBe(hash);
    expect(await rpc.getRawMempool()).not.toContain(second.txid);
  });

  it('builds the same unsigned bytes as Core\'s createrawtransaction', async () => {
    const rpc = ltc.node.rpc;
    const spec = await freshSpec(rpc);
    const address = await rpc.getRawChangeAddress('bech32');
    const changeScript = (await rpc.getAddressInfo(address)).scriptPubKey;
    const ours = buildTimestampTxForFeeRate({ ...spec, changeScript }, { signedWeight: 610, feeRate: 4_000 });
    if (!ours.ok) throw new Error(ours.code);
    const core = await rpc.createRawTransaction(
      [{ txid: spec.outpoint.txid, vout: spec.outpoint.vout, sequence: 0xfffffffd }],
      [{ address, sats: ours.change }, { data: spec.tip }],
      spec.lockTime,
    );
    expect(Buffer.from(encodeTx(ours.tx)).toString('hex')).toBe(Buffer.from(core).toString('hex'));
  });

  it('proves the tx in blocks of 3, 4, 5 and 6 transactions, at odd and even positions', async () => {
    const rpc = ltc.node.rpc;
    // [fee rates of the other payments (sat/vB), ours (sat/kvB), our expected position]: the miner
    // orders by fee rate. The wallet will not pay below Litecoin's 10 sat/vB -mintxfee; a raw tx may
    // go down to the 1 sat/vB relay minimum.
    const shapes: [number[], number, number][] = [
      [[10], 2_000, 2], // 3 txs: ours last, the odd node paired with itself
      [[20, 20], 50_000, 1], // 4 txs: ours right after the coinbase
      [[20, 20], 2_000, 3], // 4 txs: ours last
      [[30, 30, 11], 15_000, 3], // 5 txs: between the others
      [[30, 11, 11, 11], 15_000, 2], // 6 txs
    ];
    for (const [otherRates, ourRate, position] of shapes) {
      const spec = await freshSpec(rpc);
      // The other payments go first, with our coin locked, so that none of them spends our change and
      // becomes its descendant: then only the fee rates order the block.
      const coin = [{ txid: spec.outpoint.txid, vout: spec.outpoint.vout }];
      await rpc.call('lockunspent', [false, coin], { idempotent: true, wallet: true });
      await payOthers(rpc, otherRates);
      await rpc.call('lockunspent', [true, coin], { idempotent: true, wallet: true });
      const sent = await stamp(rpc, spec, { feeRate: ourRate });
      expect(await mineAndProve(rpc, sent, spec.tip, otherRates.length + 2)).toBe(position);
    }
  });

  it('re-checks the node: shuffled txids or a wrong position are refused', async () => {
    const rpc = ltc.node.rpc;
    const spec = await freshSpec(rpc);
    const sent = await stamp(rpc, spec, { feeRate: 3_000 });
    await payOthers(rpc, [10, 10]);
    const [hash] = await ltc.node.mine(1);
    if (hash === undefined) throw new Error('no block');
    const block = await rpc.getBlock(hash);
    const header = await rpc.getBlockHeaderRaw(hash);
    const index = block.txids.indexOf(sent.txid);
    const base = { txids: block.txids, header, index, nonWitnessTx: sent.nonWitness, tip: spec.tip, height: block.height, attestation: 'litecoin' as const };
    const ok = buildBlockProof(base);
    expect(ok.attestation).toEqual({ kind: 'litecoin', height: block.height });
    const swapped = [...block.txids].reverse();
    expect(() => buildBlockProof({ ...base, txids: swapped })).toThrow(MerkleRootMismatchError);
    expect(() => buildBlockProof({ ...base, index: index === 1 ? 2 : 1 })).toThrow(TxNotInBlockError);
    expect(() => buildBlockProof({ ...base, index: 99 })).toThrow(TxNotInBlockError);
  });
});
