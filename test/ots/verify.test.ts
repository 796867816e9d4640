// Block-header verification (ots-format.md §7): the hello-world proof against a header carrying block
// 358391's merkle root passes with that header's nTime, bad-stamp fails, and python's
// verify_against_blockheader gives the same answers for the same bytes (live).
import { describe, expect, it } from 'vitest';
import {
  DetachedTimestampFile,
  VerificationError,
  bytesToHex,
  bytesToReversedHex,
  hexToBytes,
  parseBlockHeader,
  sha256d,
  verifyBlockHeaderAttestation,
} from '../../src/ots/index.js';
import { askPython } from '../fixtures/python/oracle.js';
import { DECODED, readVector } from './helpers.js';

/** An 80-byte header: version, prev hash, merkle root (raw order), time, bits, nonce, all little-endian. */
function header(merkleRoot: Uint8Array, time: number): Uint8Array {
  const h = Buffer.alloc(80);
  h.writeInt32LE(0x20000000, 0);
  h.fill(0xab, 4, 36);
  Buffer.from(merkleRoot).copy(h, 36);
  h.writeUInt32LE(time, 68);
  h.writeUInt32LE(0x181b8330, 72);
  h.writeUInt32LE(12345, 76);
  return new Uint8Array(h);
}

function bitcoinMsg(name: string): { msg: Uint8Array; height: number } {
  const file = DetachedTimestampFile.fromBytes(readVector(name));
  const found = file.timestamp.allAttestations().find(({ attestation }) => attestation.kind === 'bitcoin');
  if (found === undefined || found.attestation.kind !== 'bitcoin') throw new Error(`${name} has no Bitcoin attestation`);
  return { msg: found.msg, height: found.attestation.height };
}

describe('verifyBlockHeaderAttestation', () => {
  // Block 358391's merkle root, as RPC shows it (display order); the header stores it reversed.
  const rootDisplay = '8a1b66ecb7cbd07d8139a7e7d7f2c41aab1f5009b8364aaf61d03ad245e47e00';
  const goodHeader = header(hexToBytes(rootDisplay).reverse(), 1432827678);

  it('accepts hello-world.txt.ots and returns the header time; rejects bad-stamp.txt.ots', () => {
    const hello = bitcoinMsg('hello-world.txt.ots');
    expect(hello.height).toBe(358391);
    expect(bytesToReversedHex(hello.msg)).toBe(DECODED['hello-world.txt.ots']?.attestations?.[0]?.merkleroot_rpc_hex);
    expect(verifyBlockHeaderAttestation(hello.msg, goodHeader)).toBe(1432827678);

    const bad = bitcoinMsg('bad-stamp.txt.ots');
    expect(bad.height).toBe(358391);
    expect(() => verifyBlockHeaderAttestation(bad.msg, goodHeader)).toThrow(VerificationError);
    expect(() => verifyBlockHeaderAttestation(bad.msg, goodHeader)).toThrow('Digest does not match merkleroot');
  });

  it('rejects a message that is not 32 bytes, and a header that is not 80 bytes', () => {
    expect(() => verifyBlockHeaderAttestation(new Uint8Array(20), goodHeader)).toThrow(
      'Expected digest with length 32 bytes; got 20 bytes',
    );
    expect(() => verifyBlockHeaderAttestation(new Uint8Array(32), goodHeader.subarray(0, 79))).toThrow(VerificationError);
  });

  it('gives python’s verdicts and messages on the same bytes', () => {
    const hello = bitcoinMsg('hello-world.txt.ots');
    const bad = bitcoinMsg('bad-stamp.txt.ots');
    const cases = [hello.msg, bad.msg, new Uint8Array(20), hello.msg.subarray(0, 31)];
    const answers = askPython(
      cases.map((msg) => ({ op: 'verify' as const, msg: bytesToHex(msg), header: bytesToHex(goodHeader), height: 358391 })),
    );
    cases.forEach((msg, i) => {
      const py = answers[i];
      let ours: number | string;
      try {
        ours = verifyBlockHeaderAttestation(msg, goodHeader);
      } catch (e) {
        expect(e).toBeInstanceOf(VerificationError);
        ours = (e as Error).message;
      }
      expect(ours).toBe(py?.ok ? py.time : py?.message);
    });
  });
});

describe('parseBlockHeader', () => {
  it('reads the genesis block header', () => {
    const genesis = hexToBytes(
      '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c',
    );
    expect(bytesToReversedHex(sha256d(genesis))).toBe('000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f');
    const h = parseBlockHeader(genesis);
    expect(h.version).toBe(1);
    expect(bytesToHex(h.prevBlock)).toBe('00'.repeat(32));
    expect(bytesToReversedHex(h.merkleRoot)).toBe('4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b');
    expect(h.time).toBe(1231006505);
    expect(h.bits).toBe(0x1d00ffff);
    expect(h.nonce).toBe(2083236893);
  });
});
