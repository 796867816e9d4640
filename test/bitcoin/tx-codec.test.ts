// Transaction codec without a node: Bitcoin's genesis vectors, BIP144 round trips, Core's decoding refusals, the split around the tip.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MAX_COMPACT_SIZE,
  TipNotFoundError,
  TxDecodeError,
  TxidMismatchError,
  blockHash,
  checkBlockHeader,
  BlockHashMismatchError,
  decodeTx,
  decodeTxExpecting,
  encodeTx,
  internalToDisplayHex,
  displayHexToInternal,
  opReturnScript,
  splitAroundTip,
  txVsize,
  txWeight,
  txid,
  wtxid,
  type Tx,
} from '../../src/bitcoin/index.js';
import { bytesToHex, hexToBytes, parseBlockHeader, sha256d } from '../../src/ots/index.js';

// Bitcoin's block 0: the coinbase transaction and the header, whose ids every explorer shows.
const GENESIS_COINBASE_HEX =
  '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000';
const GENESIS_COINBASE_TXID = '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b';
const GENESIS_HEADER_HEX =
  '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c';
const GENESIS_HASH = '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';

/** Plain Uint8Arrays, so decoded values compare equal to built ones. */
const randomBytes = (n: number): Uint8Array => new Uint8Array(nodeRandomBytes(n));

/** A two-input segwit-shaped transaction: one witness input, one legacy input, an OP_RETURN output. */
function sampleSegwitTx(tip: Uint8Array): Tx {
  return {
    version: 2,
    inputs: [
      { prevTxid: randomBytes(32), vout: 1, scriptSig: new Uint8Array(0), sequence: 0xfffffffd, witness: [randomBytes(71), randomBytes(33)] },
      { prevTxid: randomBytes(32), vout: 0xffffffff, scriptSig: randomBytes(107), sequence: 0xffffffff, witness: [] },
    ],
    outputs: [
      { value: 2_099_999_997_690_000, script: Uint8Array.of(0x00, 0x14, ...randomBytes(20)) },
      { value: 0, script: opReturnScript(tip) },
    ],
    lockTime: 812_345,
  };
}

describe('genesis vectors', () => {
  it('decodes the genesis coinbase, re-encodes it byte for byte and hashes it to its txid', () => {
    const raw = hexToBytes(GENESIS_COINBASE_HEX);
    const tx = decodeTx(raw);
    expect(tx.version).toBe(1);
    expect(tx.inputs).toHaveLength(1);
    expect(tx.outputs[0]?.value).toBe(50 * 100_000_000);
    expect(bytesToHex(encodeTx(tx))).toBe(GENESIS_COINBASE_HEX);
    expect(internalToDisplayHex(txid(tx))).toBe(GENESIS_COINBASE_TXID);
    // No witness: the wtxid is the txid, and weight is 4 × size.
    expect(wtxid(tx)).toEqual(txid(tx));
    expect(txWeight(tx)).toBe(4 * raw.length);
    expect(decodeTxExpecting(raw, GENESIS_COINBASE_TXID.toUpperCase())).toEqual(tx);
  });

  it('hashes the genesis header to the genesis hash; its merkle root is the coinbase txid', () => {
    const header = hexToBytes(GENESIS_HEADER_HEX);
    expect(blockHash(header)).toBe(GENESIS_HASH);
    const fields = checkBlockHeader(header, GENESIS_HASH);
    expect(internalToDisplayHex(fields.merkleRoot)).toBe(GENESIS_COINBASE_TXID);
    expect(fields.time).toBe(1231006505);
    const other = Uint8Array.from(header);
    other[79] = (header[79] ?? 0) ^ 1;
    expect(() => checkBlockHeader(other, GENESIS_HASH)).toThrow(BlockHashMismatchError);
  });

  it('refuses bytes that do not hash to the txid asked for', () => {
    const raw = hexToBytes(GENESIS_COINBASE_HEX);
    expect(() => decodeTxExpecting(raw, GENESIS_HASH)).toThrow(TxidMismatchError);
  });
});

describe('BIP144 segwit encoding', () => {
  it('round-trips with and without witness; txid hashes the stripped form, wtxid the full one', () => {
    const tx = sampleSegwitTx(randomBytes(32));
    const full = encodeTx(tx);
    const stripped = encodeTx(tx, { witness: false });
    expect(full[4]).toBe(0x00); // marker
    expect(full[5]).toBe(0x01); // flag
    expect(stripped[4]).toBe(2); // input count directly after the version
    expect(decodeTx(full)).toEqual(tx);
    const legacy = decodeTx(stripped);
    expect(legacy.inputs.every((i) => i.witness.length === 0)).toBe(true);
    expect(txid(tx)).toEqual(sha256d(stripped));
    expect(wtxid(tx)).toEqual(sha256d(full));
    expect(wtxid(tx)).not.toEqual(txid(tx));
    expect(txWeight(tx)).toBe(3 * stripped.length + full.length);
    expect(txVsize(tx)).toBe(Math.ceil((3 * stripped.length + full.length) / 4));
  });

  it('encodes CompactSize boundaries minimally and reads them back', () => {
    for (const len of [0, 0xfc, 0xfd, 0xffff, 0x10000]) {
      const tx = sampleSegwitTx(randomBytes(32));
      tx.outputs[0] = { value: 1, script: new Uint8Array(len) };
      const back = decodeTx(encodeTx(tx));
      expect(back.outputs[0]?.script.length).toBe(len);
    }
  });
});

describe('decoding refusals (as Core)', () => {
  const good = encodeTx(sampleSegwitTx(randomBytes(32)));

  it('every strict prefix is truncated', () => {
    for (let n = 0; n < good.length; n++) {
      let err: unknown;
      try {
        decodeTx(good.subarray(0, n));
      } catch (e) {
        err = e;
      }
      expect(err, `prefix of ${n} bytes`).toBeInstanceOf(TxDecodeError);
    }
  });

  it('refuses trailing bytes', () => {
    const longer = Uint8Array.from([...good, 0]);
    expect(() => decodeTx(longer)).toThrow(expect.objectContaining({ code: 'tx-decode', reason: 'trailing-bytes' }));
  });

  it('refuses a non-minimal CompactSize and one above MAX_SIZE', () => {
    const legacy = hexToBytes(GENESIS_COINBASE_HEX);
    // Input count 1 written as fd 01 00.
    const nonMinimal = Uint8Array.from([...legacy.subarray(0, 4), 0xfd, 0x01, 0x00, ...legacy.subarray(5)]);
    expect(() => decodeTx(nonMinimal)).toThrow(expect.objectContaining({ reason: 'non-canonical-size' }));
    const nine = Uint8Array.from([...legacy.subarray(0, 4), 0xff, 1, 0, 0, 0, 0, 0, 0, 0, ...legacy.subarray(5)]);
    expect(() => decodeTx(nine)).toThrow(expect.objectContaining({ reason: 'non-canonical-size' }));
    const huge = new Uint8Array(4 + 5 + 8);
    huge.set([0xfe, ...new Uint8Array(new Uint32Array([MAX_COMPACT_SIZE + 1]).buffer)], 4);
    expect(() => decodeTx(huge)).toThrow(expect.objectContaining({ reason: 'size-limit' }));
  });

  it('refuses a count that cannot fit before allocating for it', () => {
    const bytes = new Uint8Array(4 + 5 + 100);
    bytes.set([0xfe, 0x00, 0x00, 0x01, 0x00], 4); // 65,536 inputs in 100 bytes
    expect(() => decodeTx(bytes)).toThrow(expect.objectContaining({ reason: 'truncated' }));
  });

  it('refuses unknown flag bits and a witness flag with only empty witnesses', () => {
    const flagged = Uint8Array.from(good);
    flagged[5] = 0x03;
    expect(() => decodeTx(flagged)).toThrow(expect.objectContaining({ reason: 'unknown-flags' }));
    const eight = Uint8Array.from(good);
    eight[5] = 0x08; // Litecoin's MWEB flag: not part of the Bitcoin format, refused like any other.
    expect(() => decodeTx(eight)).toThrow(expect.objectContaining({ reason: 'unknown-flags' }));

    const tx = sampleSegwitTx(randomBytes(32));
    const stripped = encodeTx(tx, { witness: false });
    // Insert marker+flag and two empty witness stacks before nLockTime.
    const superfluous = Uint8Array.from([...stripped.subarray(0, 4), 0x00, 0x01, ...stripped.subarray(4, -4), 0x00, 0x00, ...stripped.subarray(-4)]);
    expect(() => decodeTx(superfluous)).toThrow(expect.objectContaining({ reason: 'superfluous-witness' }));
  });

  it('refuses an output value no money supply reaches', () => {
    const tx = sampleSegwitTx(randomBytes(32));
    const bytes = encodeTx(tx, { witness: false });
    const at = bytes.length - 4 - 43 - 23 - 8; // first output's value: before its script (1 + 22), the OP_RETURN output (43) and nLockTime
    expect(new DataView(bytes.buffer).getBigUint64(at, true)).toBe(BigInt(tx.outputs[0]?.value ?? 0));
    new DataView(bytes.buffer).setBigUint64(at, 2n ** 53n, true);
    expect(() => decodeTx(bytes)).toThrow(expect.objectContaining({ reason: 'value-range' }));
  });
});

describe('display order', () => {
  it('reverses between display hex and internal order', () => {
    const internal = randomBytes(32);
    const display = internalToDisplayHex(internal);
    expect(display).toBe(bytesToHex(Uint8Array.from(internal).reverse()));
    expect(displayHexToInternal(display)).toEqual(new Uint8Array(internal));
    expect(() => displayHexToInternal('zz'.repeat(32))).toThrow(expect.objectContaining({ code: 'bad-hex' }));
    expect(() => displayHexToInternal('00'.repeat(31))).toThrow(expect.objectContaining({ code: 'bad-hex' }));
  });
});

describe('OP_RETURN tip and the split around it', () => {
  it('builds OP_RETURN PUSH32 <tip> and refuses other lengths', () => {
    const tip = randomBytes(32);
    expect(bytesToHex(opReturnScript(tip))).toBe(`6a20${bytesToHex(tip)}`);
    expect(() => opReturnScript(randomBytes(31))).toThrow(RangeError);
  });

  it('splits so that sha256d(prefix ‖ tip ‖ suffix) is the txid', () => {
    const tip = randomBytes(32);
    const tx = sampleSegwitTx(tip);
    const stripped = encodeTx(tx, { witness: false });
    const { prefix, suffix } = splitAroundTip(stripped, tip);
    expect(suffix).toEqual(stripped.subarray(-4)); // only nLockTime follows the last output's data
    expect(Uint8Array.from([...prefix, ...tip, ...suffix])).toEqual(stripped);
    expect(sha256d(Uint8Array.from([...prefix, ...tip, ...suffix]))).toEqual(txid(tx));
  });

  it('takes the first occurrence, as the reference', () => {
    const tip = randomBytes(32);
    const tx = sampleSegwitTx(tip);
    tx.outputs.unshift({ value: 0, script: opReturnScript(tip) });
    const stripped = encodeTx(tx, { witness: false });
    const { prefix } = splitAroundTip(stripped, tip);
    const second = Buffer.from(stripped).indexOf(Buffer.from(tip), prefix.length + 1);
    expect(second).toBeGreaterThan(prefix.length);
    expect(prefix.length).toBe(Buffer.from(stripped).indexOf(Buffer.from(tip)));
  });

  it('raises TipNotFoundError when the tip is absent', () => {
    const stripped = encodeTx(sampleSegwitTx(randomBytes(32)), { witness: false });
    expect(() => splitAroundTip(stripped, randomBytes(32))).toThrow(TipNotFoundError);
  });

  it('parses a header with the OpenTimestamps library the same way', () => {
    const header = hexToBytes(GENESIS_HEADER_HEX);
    expect(checkBlockHeader(header, GENESIS_HASH)).toEqual(parseBlockHeader(header));
  });
});
