// The timestamp transaction builder without a node: shape, fee from signed weight, typed refusals, BIP125 replacement minimum.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SEQUENCE_RBF,
  buildTimestampTx,
  buildTimestampTxForFeeRate,
  displayHexToInternal,
  dustThreshold,
  encodeTx,
  minReplacementFee,
  opReturnScript,
  timestampTxFee,
  timestampTxTemplate,
  type TimestampTxSpec,
} from '../../src/bitcoin/index.js';
import { bytesToHex } from '../../src/ots/index.js';

const P2WPKH = Uint8Array.of(0x00, 0x14, ...randomBytes(20));
const P2PKH = Uint8Array.of(0x76, 0xa9, 0x14, ...randomBytes(20), 0x88, 0xac);
const P2TR = Uint8Array.of(0x51, 0x20, ...randomBytes(32));

function spec(inputValue: number, changeScript = P2WPKH): TimestampTxSpec {
  return { outpoint: { txid: randomBytes(32).toString('hex'), vout: 3 }, inputValue, changeScript, tip: new Uint8Array(randomBytes(32)), lockTime: 812_000 };
}

describe('buildTimestampTx', () => {
  it('has one BIP125-signalling input, change then OP_RETURN <tip>, version 2, nLockTime = height', () => {
    const s = spec(100_000);
    const r = buildTimestampTx(s, 1_530);
    if (!r.ok) throw new Error(`unexpected ${r.code}`);
    expect(r.change).toBe(98_470);
    expect(r.fee).toBe(1_530);
    const { tx } = r;
    expect(tx.version).toBe(2);
    expect(tx.lockTime).toBe(812_000);
    expect(tx.inputs).toHaveLength(1);
    expect(tx.inputs[0]?.sequence).toBe(SEQUENCE_RBF);
    expect(tx.inputs[0]?.prevTxid).toEqual(displayHexToInternal(s.outpoint.txid));
    expect(tx.inputs[0]?.vout).toBe(3);
    expect(tx.outputs.map((o) => [o.value, bytesToHex(o.script)])).toEqual([
      [98_470, bytesToHex(P2WPKH)],
      [0, bytesToHex(opReturnScript(s.tip))],
    ]);
    // Unsigned P2WPKH spend: 10 + 41 + 31 + 43 bytes = 125, the reference's typical non-witness size.
    expect(encodeTx(tx, { witness: false }).length).toBe(125);
  });

  it('returns typed refusals instead of throwing', () => {
    expect(buildTimestampTx(spec(1_000), 1_001)).toEqual({ ok: false, code: 'insufficient-funds', fee: 1_001, inputValue: 1_000 });
    expect(buildTimestampTx(spec(1_000), 800)).toEqual({ ok: false, code: 'dust-change', fee: 800, change: 200, dustThreshold: 294 });
    expect(buildTimestampTx(spec(1_000), 706).ok).toBe(true); // change 294 = threshold: not dust
    expect(buildTimestampTx(spec(1_000, P2PKH), 500)).toMatchObject({ ok: false, code: 'dust-change', dustThreshold: 546 });
  });

  it('refuses caller mistakes loudly', () => {
    expect(() => buildTimestampTx(spec(1_000), -1)).toThrow(RangeError);
    expect(() => buildTimestampTx({ ...spec(1_000), lockTime: 500_000_000 }, 1)).toThrow(RangeError);
    expect(() => buildTimestampTx({ ...spec(1_000), tip: new Uint8Array(31) }, 1)).toThrow(RangeError);
  });
});

describe('dustThreshold (Core policy.cpp at 3 sat/vB)', () => {
  it('is 294 for P2WPKH, 330 for P2TR, 546 for P2PKH, 0 for OP_RETURN', () => {
    expect(dustThreshold(P2WPKH)).toBe(294);
    expect(dustThreshold(P2TR)).toBe(330);
    expect(dustThreshold(P2PKH)).toBe(546);
    expect(dustThreshold(opReturnScript(new Uint8Array(32)))).toBe(0);
    expect(dustThreshold(P2WPKH, 1000)).toBe(98);
  });
});

describe('fee from the signed weight', () => {
  it('pays the target rate on the signed vsize plus the signature margin', () => {
    // 610 WU (a 72-byte signature) + 2 margin → 153 vB.
    expect(timestampTxFee({ signedWeight: 610, feeRate: 1000 })).toBe(153);
    expect(timestampTxFee({ signedWeight: 611, feeRate: 1000 })).toBe(154);
    expect(timestampTxFee({ signedWeight: 610, feeRate: 20_000 })).toBe(3_060);
    expect(timestampTxFee({ signedWeight: 610, feeRate: 1000, minFee: 400 })).toBe(400);
  });

  it('builds the version for a fee rate, or says the fee is above the cap', () => {
    const s = spec(50_000);
    const r = buildTimestampTxForFeeRate(s, { signedWeight: 610, feeRate: 10_000 });
    expect(r).toMatchObject({ ok: true, fee: 1_530, change: 48_470 });
    expect(buildTimestampTxForFeeRate(s, { signedWeight: 610, feeRate: 10_000, maxFee: 1_000 })).toEqual({ ok: false, code: 'fee-above-cap', fee: 1_530, maxFee: 1_000 });
    expect(buildTimestampTxForFeeRate(s, { signedWeight: 610, feeRate: 400_000 })).toMatchObject({ ok: false, code: 'insufficient-funds' });
  });

  it('signs a zero-fee template whose change is the whole input', () => {
    const r = timestampTxTemplate(spec(700));
    expect(r).toMatchObject({ ok: true, fee: 0, change: 700 });
  });

  it('requires a replacement to add the incremental relay fee for its own size (BIP125 rule 4)', () => {
    expect(minReplacementFee(1_530, 153)).toBe(1_683);
    expect(minReplacementFee(1_530, 153, 5_000)).toBe(2_295);
  });
});
