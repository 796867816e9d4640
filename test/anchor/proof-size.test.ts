// A proof for the deepest of 100,000 commitments in one transaction (the max-commitments-per-tx default), through a block of 16,385 transactions, fits the clients' 10,000-byte read limit.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tipOf } from '../../src/anchor/index.js';
import { buildBlockProof, buildTimestampTx, encodeTx, internalToDisplayHex, txid } from '../../src/bitcoin/index.js';
import { Timestamp, blockMerkleRoot, encodePath, verifyBlockHeaderAttestation } from '../../src/ots/index.js';
import { openCalendar } from './harness.js';

/** What python-opentimestamps and the JS client read of a GET /timestamp answer at most (reference-server §1.2). */
const CLIENT_READ_LIMIT = 10_000;
const COMMITMENTS = 100_000;
/** About the most transactions a 4 MWU block can hold; with Bitcoin's odd-node duplication every leaf is 15 levels deep. */
const BLOCK_TXS = 16_385;

describe('proof size', () => {
  it('the deepest leaf of 100,000 commitments anchored in a full block stays under 10,000 bytes', async () => {
    const cal = await openCalendar();
    const t0 = 1_700_000_000;
    for (let start = 0; start < COMMITMENTS; start += 10_000) {
      const batch = Array.from({ length: 10_000 }, (_, i) => {
        const c = new Uint8Array(44);
        new DataView(c.buffer).setUint32(0, t0 + start + i, false);
        c.set(randomBytes(40), 4);
        return { type: 'commit' as const, commitment: c };
      });
      await cal.journal.append(batch);
    }
    expect(cal.index.commitCount).toBe(COMMITMENTS);

    const ranges = [{ start: 0, end: COMMITMENTS }];
    const tip = tipOf(cal.calendar, ranges);
    const changeScript = new Uint8Array([0x00, 0x14, ...randomBytes(20)]);
    const built = buildTimestampTx({ outpoint: { txid: internalToDisplayHex(randomBytes(32)), vout: 1 }, inputValue: 5_000_000, changeScript, tip, lockTime: 900_000 }, 300);
    if (!built.ok) throw new Error(built.code);
    const ours = txid(built.tx);
    const txids = Array.from({ length: BLOCK_TXS }, (_, i) => (i === BLOCK_TXS - 1 ? ours : randomBytes(32)));
    const header = new Uint8Array(80);
    header.set(blockMerkleRoot(txids), 36);
    const proof = buildBlockProof({
      txids: txids.map((t) => internalToDisplayHex(t)),
      header,
      index: BLOCK_TXS - 1,
      nonWitnessTx: encodeTx(built.tx, { witness: false }),
      tip,
      height: 900_001,
      attestation: 'bitcoin',
    });
    await cal.calendar.appendAnchor({ tip, ranges, timestamp: encodePath(proof.ops, proof.attestation) });

    const sizes: number[] = [];
    for (const n of [0, 1, 65_535, 65_536, COMMITMENTS - 1]) {
      const commitment = cal.index.commitment(n);
      const answer = cal.calendar.answer(commitment);
      if (answer.kind !== 'complete') throw new Error(`commitment ${n} not complete`);
      const [att, ...more] = Timestamp.fromBytes(answer.proof, commitment).allAttestations();
      expect(more).toEqual([]);
      expect(att?.attestation).toEqual({ kind: 'bitcoin', height: 900_001 });
      verifyBlockHeaderAttestation(att?.msg as Uint8Array, header);
      sizes.push(answer.proof.length);
    }
    // Leaf 0 is on a full 17-level path (2^16 < 100,000 ≤ 2^17): no leaf has a longer proof.
    const deepest = sizes[0] as number;
    expect(Math.max(...sizes)).toBe(deepest);
    expect(deepest).toBeLessThan(CLIENT_READ_LIMIT);
    // sha256 + 17 × (append/prepend 32 + sha256) + the tx and block path + the attestation: about 1.3 KB.
    expect(deepest).toBeGreaterThan(1 + 17 * 35 + 15 * 36);
    expect(deepest).toBeLessThan(1_500);
    await cal.close();
  });
});
