/**
 * A journal taken over from the reference server holds 36-byte commitments from before MACs beside 44-byte
 * ones: the index finds both, anchors them with sha256 of the bytes as they are, and serves their proofs.
 */
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Journal } from '../../src/journal/index.js';
import { CalendarIndex, removeIndexFiles } from '../../src/index/calendar-index.js';
import { OP_SHA256, Timestamp, bitcoinAttestation, encodePath, merkleRoot, opAppend, opPrepend, sha256 } from '../../src/ots/index.js';
import { tempDir } from '../fixtures/calendar-process.js';

function commitmentAt(time: number, legacy: boolean): Uint8Array {
  const c = new Uint8Array(legacy ? 36 : 44);
  new DataView(c.buffer).setUint32(0, time, false);
  c.set(randomBytes(c.length - 4), 4);
  return c;
}

describe('legacy 36-byte commitments', () => {
  it('are indexed, anchored and answered as they are, also after a rebuild', async () => {
    const dir = tempDir('otsc-legacy-');
    const journal = await Journal.open({ dir: `${dir}/journal`, log: () => undefined, segmentRecords: 8 });
    let index = await CalendarIndex.open({ dir: `${dir}/index`, journal });
    const commitments = Array.from({ length: 20 }, (_, i) => commitmentAt(1_460_000_000 + i, i < 12));
    for (const c of commitments) await journal.append([{ type: 'commit', commitment: c }]);
    const tip = merkleRoot(commitments.slice(4, 16).map((c) => sha256(c)));
    const timestamp = encodePath([opPrepend(randomBytes(60)), opAppend(randomBytes(4)), OP_SHA256, OP_SHA256], bitcoinAttestation(400_000));
    index.checkAnchor({ tip, ranges: [{ start: 4, end: 16 }] });
    await journal.append([{ type: 'anchor', anchor: { tip, ranges: [{ start: 4, end: 16 }], timestamp } }]);

    const check = (ix: CalendarIndex): void => {
      commitments.forEach((c, n) => {
        expect(ix.commitNumberOf(c)).toBe(n);
        const key = Buffer.from(c).toString('hex');
        const wasCached = ix.cachedProof(key);
        const found = ix.lookup(c);
        if (n < 4 || n >= 16) {
          expect(found).toEqual({ kind: 'pending', commitNumber: n });
          expect(ix.cachedProof(key)).toBeUndefined();
          return;
        }
        expect(found.kind).toBe('complete');
        if (found.kind !== 'complete') return;
        // once assembled, the proof is found by its lower-case hex alone (and the same bytes when it was already)
        expect(ix.cachedProof(key)).toBe(found.proof);
        if (wasCached) expect(wasCached).toBe(found.proof);
        expect(ix.cachedProof(key.toUpperCase())).toBeUndefined();
        // the proof starts from the 36 (or 44) bytes themselves and reaches the tip, then the attestation
        const t = Timestamp.fromBytes(found.proof, c);
        expect([...t.allAttestations()].map((a) => a.attestation)).toEqual([bitcoinAttestation(400_000)]);
      });
      // a legacy commitment padded with 8 zero bytes is another commitment, unknown here
      const padded = new Uint8Array(44);
      padded.set(commitments[0] as Uint8Array);
      expect(ix.lookup(padded)).toEqual({ kind: 'unknown' });
    };
    check(index);
    index.close();
    removeIndexFiles(`${dir}/index`);
    index = await CalendarIndex.open({ dir: `${dir}/index`, journal });
    check(index);
    index.close();
    await journal.close();
  });
});
