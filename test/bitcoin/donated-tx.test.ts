// The standardness rules for donated timestamp transactions, without a node: every rule refuses with its own code
// and reason, each bound at N and N+1, script templates as Core's Solver names them, and a block's transactions.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DONATED_TX_MAX_BYTES,
  DONATED_TX_MAX_WEIGHT,
  checkDonatedTx,
  checkSpentScript,
  decodeBlockTxs,
  encodeTx,
  opReturnScript,
  scriptTemplate,
  txWeight,
  type DonatedTxCode,
  type Tx,
} from '../../src/bitcoin/index.js';
import { hexToBytes } from '../../src/ots/index.js';

const randomBytes = (n: number): Uint8Array => new Uint8Array(nodeRandomBytes(n));
const P2WPKH = (): Uint8Array => Uint8Array.of(0x00, 0x14, ...randomBytes(20));
const P2WSH = (): Uint8Array => Uint8Array.of(0x00, 0x20, ...randomBytes(32));
const P2TR = (): Uint8Array => Uint8Array.of(0x51, 0x20, ...randomBytes(32));
const P2PKH = (): Uint8Array => Uint8Array.of(0x76, 0xa9, 0x14, ...randomBytes(20), 0x88, 0xac);
const P2SH = (): Uint8Array => Uint8Array.of(0xa9, 0x14, ...randomBytes(20), 0x87);
const P2PK = (): Uint8Array => Uint8Array.of(0x21, 0x02, ...randomBytes(32), 0xac);
const MULTISIG = (): Uint8Array => Uint8Array.of(0x51, 0x21, 0x03, ...randomBytes(32), 0x21, 0x02, ...randomBytes(32), 0x52, 0xae);

/** A transaction every rule takes: one P2WPKH spend, change, OP_RETURN <tip>. */
function good(tip = randomBytes(32)): Tx {
  return {
    version: 2,
    inputs: [{ prevTxid: randomBytes(32), vout: 1, scriptSig: new Uint8Array(0), sequence: 0xfffffffd, witness: [randomBytes(72), randomBytes(33)] }],
    outputs: [
      { value: 99_000, script: P2WPKH() },
      { value: 0, script: opReturnScript(tip) },
    ],
    lockTime: 812_345,
  };
}

function verdict(tx: Tx): { code?: DonatedTxCode; reason?: string } {
  const v = checkDonatedTx(encodeTx(tx));
  return v.ok ? {} : { code: v.code, reason: v.reason };
}

function alter(change: (tx: Tx) => void): Tx {
  const tx = good();
  change(tx);
  return tx;
}

describe('script templates', () => {
  it('names each template as Core does', () => {
    expect(scriptTemplate(P2WPKH())).toBe('p2wpkh');
    expect(scriptTemplate(P2WSH())).toBe('p2wsh');
    expect(scriptTemplate(P2TR())).toBe('p2tr');
    expect(scriptTemplate(Uint8Array.of(0x52, 0x02, 0xab, 0xcd))).toBe('witness-unknown');
    expect(scriptTemplate(Uint8Array.of(0x00, 0x15, ...randomBytes(21)))).toBe('witness-unknown');
    expect(scriptTemplate(P2PKH())).toBe('p2pkh');
    expect(scriptTemplate(P2SH())).toBe('p2sh');
    expect(scriptTemplate(P2PK())).toBe('p2pk');
    expect(scriptTemplate(Uint8Array.of(0x41, 0x04, ...randomBytes(64), 0xac))).toBe('p2pk');
    expect(scriptTemplate(MULTISIG())).toBe('multisig');
    expect(scriptTemplate(opReturnScript(randomBytes(32)))).toBe('op-return');
    expect(scriptTemplate(new Uint8Array(0))).toBe('nonstandard');
    expect(scriptTemplate(Uint8Array.of(0x51, 0x21, 0x03, ...randomBytes(32), 0x52, 0xae))).toBe('nonstandard'); // 1-of-2 with one key
    expect(scriptTemplate(Uint8Array.of(0x00, 0x14, ...randomBytes(20), 0x00))).toBe('nonstandard');
  });
});

describe('checkDonatedTx', () => {
  it('takes a native segwit spend with change and one OP_RETURN of the tip, and reads its tip, spend and size', () => {
    const tip = randomBytes(32);
    const tx = good(tip);
    const v = checkDonatedTx(encodeTx(tx));
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.tip).toEqual(tip);
    expect(v.opReturnIndex).toBe(1);
    expect(v.outputsValue).toBe(99_000);
    expect(v.weight).toBe(txWeight(tx));
    expect(v.vsize).toBe(Math.ceil(txWeight(tx) / 4));
    expect(v.spends.vout).toBe(1);
    // also with the OP_RETURN alone, first, version 1, the other sequences, lock time 0, a P2WSH or P2TR output
    for (const t of [
      alter((x) => (x.outputs = [x.outputs[1] as Tx['outputs'][number]])),
      alter((x) => x.outputs.reverse()),
      alter((x) => (x.version = 1)),
      alter((x) => ((x.inputs[0] as Tx['inputs'][number]).sequence = 0xffffffff)),
      alter((x) => ((x.inputs[0] as Tx['inputs'][number]).sequence = 0xfffffffe)),
      alter((x) => (x.lockTime = 0)),
      alter((x) => ((x.outputs[0] as Tx['outputs'][number]).script = P2WSH())),
      alter((x) => ((x.outputs[0] as Tx['outputs'][number]).script = P2TR())),
    ]) {
      expect(verdict(t)).toEqual({});
    }
  });

  const cases: Array<[string, Tx | Uint8Array, DonatedTxCode, RegExp]> = [
    ['garbage', randomBytes(60), 'not-a-transaction', /^the bytes do not decode as a transaction \(/],
    ['trailing bytes', Uint8Array.from([...encodeTx(good()), 0]), 'not-a-transaction', /\(trailing-bytes: 1 bytes after nLockTime\)$/],
    ['version 3', alter((x) => (x.version = 3)), 'version', /^version 3; only versions 1 and 2 are taken$/],
    ['version 0', alter((x) => (x.version = 0)), 'version', /^version 0;/],
    ['two inputs', alter((x) => x.inputs.push({ ...(x.inputs[0] as Tx['inputs'][number]), vout: 2 })), 'input-count', /^2 inputs; exactly one/],
    [
      'a P2PKH spend',
      alter((x) => Object.assign(x.inputs[0] as object, { scriptSig: Uint8Array.of(0x47, ...randomBytes(71), 0x21, ...randomBytes(33)), witness: [] })),
      'legacy-input',
      /^the input is a legacy spend \(a 106-byte scriptSig, no witness\)/,
    ],
    ['a P2SH-wrapped segwit spend', alter((x) => ((x.inputs[0] as Tx['inputs'][number]).scriptSig = Uint8Array.of(0x16, ...P2WPKH()))), 'wrapped-segwit-input', /^the input is a P2SH-wrapped segwit spend/],
    ['data in the scriptSig', alter((x) => ((x.inputs[0] as Tx['inputs'][number]).scriptSig = Uint8Array.of(0x04, 0xde, 0xad, 0xbe, 0xef))), 'script-sig-data', /^the input's scriptSig holds 5 bytes;/],
    ['no witness', alter((x) => ((x.inputs[0] as Tx['inputs'][number]).witness = [])), 'no-witness', /^the input has an empty scriptSig and no witness;/],
    ['a sequence of its choosing', alter((x) => ((x.inputs[0] as Tx['inputs'][number]).sequence = 0x41424344)), 'sequence', /^nSequence 0x41424344;/],
    ['a lock time that is a time', alter((x) => (x.lockTime = 1_700_000_000)), 'lock-time', /^nLockTime 1700000000 is a time;/],
    ['no OP_RETURN', alter((x) => x.outputs.pop()), 'no-op-return', /^no OP_RETURN output;/],
    ['two OP_RETURN outputs', alter((x) => x.outputs.push({ value: 0, script: opReturnScript(randomBytes(32)) })), 'op-return-count', /^2 OP_RETURN outputs \(outputs 1, 2\); exactly one is taken$/],
    ['an OP_RETURN with value', alter((x) => ((x.outputs[1] as Tx['outputs'][number]).value = 1)), 'op-return-value', /^the OP_RETURN output carries 1 sats; it must carry 0$/],
    ['an OP_RETURN of 33 bytes', alter((x) => ((x.outputs[1] as Tx['outputs'][number]).script = Uint8Array.of(0x6a, 0x21, ...randomBytes(33)))), 'op-return-length', /^the OP_RETURN pushes 33 bytes; exactly 32/],
    ['an OP_RETURN of two pushes', alter((x) => ((x.outputs[1] as Tx['outputs'][number]).script = Uint8Array.of(0x6a, 0x20, ...randomBytes(32), 0x01, 0x00))), 'op-return-script', /holds 2 pushes \(32, 1 bytes\)/],
    ['an OP_RETURN of 32 bytes by OP_PUSHDATA1', alter((x) => ((x.outputs[1] as Tx['outputs'][number]).script = Uint8Array.of(0x6a, 0x4c, 0x20, ...randomBytes(32)))), 'op-return-script', /with OP_PUSHDATA; only the direct push/],
    ['an OP_RETURN with an opcode', alter((x) => ((x.outputs[1] as Tx['outputs'][number]).script = Uint8Array.of(0x6a, 0x20, ...randomBytes(32), 0xac))), 'op-return-script', /holds opcode 0xac at byte 34/],
    ['an OP_RETURN that pushes nothing', alter((x) => ((x.outputs[1] as Tx['outputs'][number]).script = Uint8Array.of(0x6a))), 'op-return-script', /pushes nothing/],
    ['an OP_RETURN whose push runs past its end', alter((x) => ((x.outputs[1] as Tx['outputs'][number]).script = Uint8Array.of(0x6a, 0x20, 1, 2))), 'op-return-script', /runs past the end/],
    ['an extra output', alter((x) => x.outputs.push({ value: 5000, script: P2WPKH() })), 'output-count', /^3 outputs; the OP_RETURN and at most one other are taken$/],
    ['a bare multisig output', alter((x) => ((x.outputs[0] as Tx['outputs'][number]).script = MULTISIG())), 'output-script', /^output 0 is bare multisig;/],
    ['a P2PK output', alter((x) => ((x.outputs[0] as Tx['outputs'][number]).script = P2PK())), 'output-script', /^output 0 is P2PK;/],
    ['a P2SH output', alter((x) => ((x.outputs[0] as Tx['outputs'][number]).script = P2SH())), 'output-script', /^output 0 is P2SH;/],
    ['a P2PKH output', alter((x) => ((x.outputs[0] as Tx['outputs'][number]).script = P2PKH())), 'output-script', /^output 0 is P2PKH;/],
    ['a non-standard output', alter((x) => ((x.outputs[0] as Tx['outputs'][number]).script = Uint8Array.of(0x4c, 0x40, ...randomBytes(64)))), 'output-script', /^output 0 is a non-standard script;/],
    ['an unassigned witness version', alter((x) => ((x.outputs[0] as Tx['outputs'][number]).script = Uint8Array.of(0x53, 0x20, ...randomBytes(32)))), 'output-script', /unassigned version/],
    ['a huge witness', alter((x) => ((x.inputs[0] as Tx['inputs'][number]).witness = [randomBytes(72), randomBytes(33), randomBytes(500)])), 'too-heavy', /^the transaction weighs \d+ weight units \(its witness is \d+ bytes\); at most 1000/],
  ];
  for (const [what, tx, code, reason] of cases) {
    it(`refuses ${what} (${code})`, () => {
      const raw = tx instanceof Uint8Array ? tx : encodeTx(tx);
      const v = checkDonatedTx(raw);
      expect(v.ok).toBe(false);
      if (v.ok) return;
      expect(v.code).toBe(code);
      expect(v.reason).toMatch(reason);
    });
  }

  it('bounds the size at N and N+1 bytes, and the weight at N and N+1 weight units', () => {
    const sized = (bytes: number): Uint8Array => {
      const tx = good();
      const raw = encodeTx(tx);
      (tx.inputs[0] as Tx['inputs'][number]).witness.push(randomBytes(bytes - raw.length - 3));
      return encodeTx(tx);
    };
    expect(sized(DONATED_TX_MAX_BYTES)).toHaveLength(DONATED_TX_MAX_BYTES);
    expect(checkDonatedTx(sized(DONATED_TX_MAX_BYTES + 1))).toMatchObject({ ok: false, code: 'too-large', reason: `the transaction is ${DONATED_TX_MAX_BYTES + 1} bytes; at most ${DONATED_TX_MAX_BYTES} are taken` });
    expect(checkDonatedTx(sized(DONATED_TX_MAX_BYTES))).toMatchObject({ ok: false, code: 'too-heavy' });
    const weighing = (weight: number): Tx => {
      const tx = good();
      const witness = (tx.inputs[0] as Tx['inputs'][number]).witness;
      // one more item of the size that makes `weight` (its length prefix grows at 253 bytes)
      const base = txWeight(tx);
      for (let n = weight - base; n > 0; n--) {
        witness.push(randomBytes(n));
        if (txWeight(tx) === weight) return tx;
        witness.pop();
      }
      throw new Error(`no witness item makes ${weight} weight units`);
    };
    expect(txWeight(weighing(DONATED_TX_MAX_WEIGHT))).toBe(DONATED_TX_MAX_WEIGHT);
    expect(checkDonatedTx(encodeTx(weighing(DONATED_TX_MAX_WEIGHT))).ok).toBe(true);
    expect(txWeight(weighing(DONATED_TX_MAX_WEIGHT + 1))).toBe(DONATED_TX_MAX_WEIGHT + 1);
    expect(checkDonatedTx(encodeTx(weighing(DONATED_TX_MAX_WEIGHT + 1)))).toMatchObject({ ok: false, code: 'too-heavy' });
  });

  it('checks the spent output: native segwit only', () => {
    for (const s of [P2WPKH(), P2WSH(), P2TR()]) expect(checkSpentScript(s)).toEqual({ ok: true });
    expect(checkSpentScript(P2PKH())).toEqual({ ok: false, code: 'input-not-segwit', reason: 'the input spends P2PKH output; only native segwit outputs (P2WPKH, P2WSH, P2TR) may be spent' });
    expect(checkSpentScript(P2SH())).toMatchObject({ code: 'input-not-segwit' });
  });
});

describe('decodeBlockTxs', () => {
  it("reads Bitcoin's genesis block: one transaction, the coinbase", () => {
    const header =
      '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c';
    const coinbase =
      '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000';
    const txs = decodeBlockTxs(hexToBytes(`${header}01${coinbase}`));
    expect(txs).toHaveLength(1);
    expect(encodeTx(txs[0] as Tx)).toEqual(hexToBytes(coinbase));
    const two = decodeBlockTxs(hexToBytes(`${header}02${coinbase}${Buffer.from(encodeTx(good())).toString('hex')}`));
    expect(two).toHaveLength(2);
    expect(() => decodeBlockTxs(hexToBytes(`${header}01${coinbase}00`))).toThrow(/trailing-bytes/);
    expect(() => decodeBlockTxs(hexToBytes(header.slice(0, 100)))).toThrow(/has no header/);
  });
});
