// Primitive encodings, ops and attestations against the byte vectors of ots-format.md §1, §3, §5 and §6
// (each checked there against python-opentimestamps), every limit at N and N+1, and the error codes.
import { describe, expect, it } from 'vitest';
import {
  BytesReader,
  BytesWriter,
  DeserializationError,
  InvalidHexError,
  InvalidUriError,
  LengthLimitError,
  MsgValueError,
  OP_HEXLIFY,
  OP_KECCAK256,
  OP_REVERSE,
  OP_RIPEMD160,
  OP_SHA1,
  OP_SHA256,
  OpArgValueError,
  OtsError,
  TruncationError,
  TrailingGarbageError,
  UnknownOpTagError,
  type Attestation,
  type Op,
  applyOp,
  attestationsEqual,
  bitcoinAttestation,
  bytesToHex,
  compareAttestations,
  compareOps,
  decodeAttestation,
  decodeOp,
  encodeAttestation,
  encodeOp,
  ethereumAttestation,
  hexToBytes,
  isValidPendingUri,
  litecoinAttestation,
  opAppend,
  opPrepend,
  pendingAttestation,
  unknownAttestation,
} from '../../src/ots/index.js';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const enc = (f: (w: BytesWriter) => void): string => {
  const w = new BytesWriter(1);
  f(w);
  return bytesToHex(w.toBytes());
};

describe('varuint (§1)', () => {
  const vectors: Array<[number, string]> = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [255, 'ff01'],
    [300, 'ac02'],
    [1000, 'e807'],
    [1001, 'e907'],
    [3432, 'e81a'],
    [4096, '8020'],
    [8192, '8040'],
    [358391, 'f7ef15'],
    [2 ** 31, '8080808008'],
    [2 ** 32 - 1, 'ffffffff0f'],
    [Number.MAX_SAFE_INTEGER, 'ffffffffffffff0f'],
  ];
  it.each(vectors)('%d ⇔ %s', (n, hex) => {
    expect(enc((w) => w.writeVaruint(n))).toBe(hex);
    const r = new BytesReader(hexToBytes(hex));
    expect(r.readVaruint()).toBe(n);
    r.assertEof();
  });

  it('reads non-minimal forms as python does, however long the zero padding', () => {
    expect(new BytesReader(hexToBytes('8700')).readVaruint()).toBe(7);
    expect(new BytesReader(hexToBytes(`${'80'.repeat(20)}00`)).readVaruint()).toBe(0);
    expect(new BytesReader(hexToBytes(`81${'80'.repeat(12)}00`)).readVaruint()).toBe(1);
  });

  it('refuses values above 2^53-1 and truncated varuints', () => {
    expect(() => new BytesReader(hexToBytes('8080808080808010')).readVaruint()).toThrow(LengthLimitError); // 2^53
    expect(() => new BytesReader(hexToBytes(`${'80'.repeat(9)}01`)).readVaruint()).toThrow(LengthLimitError);
    expect(() => new BytesReader(hexToBytes('8080')).readVaruint()).toThrow(TruncationError);
    expect(() => new BytesWriter().writeVaruint(-1)).toThrow(RangeError);
    expect(() => new BytesWriter().writeVaruint(2 ** 53)).toThrow(RangeError);
  });
});

describe('varbytes and raw reads', () => {
  it('checks bounds with python messages', () => {
    expect(() => new BytesReader(hexToBytes('0300')).readVarbytes(2)).toThrow('varbytes max length exceeded; 3 > 2');
    expect(() => new BytesReader(hexToBytes('00')).readVarbytes(2, 1)).toThrow('varbytes min length not met; 0 < 1');
    expect(() => new BytesReader(hexToBytes('03aabb')).readVarbytes(3)).toThrow('Tried to read 3 bytes but got only 2 bytes');
    expect(bytesToHex(new BytesReader(hexToBytes('02aabb')).readVarbytes(2, 2))).toBe('aabb');
  });

  it('fails on a hostile length before allocating anything', () => {
    // 2^40 as a varbytes length, and as a raw read: both must fail fast on the bound or the remaining length.
    const huge = hexToBytes('808080808020');
    expect(() => new BytesReader(huge).readVarbytes(Number.MAX_SAFE_INTEGER)).toThrow(TruncationError);
    expect(() => new BytesReader(huge).readVarbytes(4096)).toThrow(LengthLimitError);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => new BytesReader(new Uint8Array(4)).readBytes(2 ** 40)).toThrow(TruncationError);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('copies what it reads, so later changes to the input do not leak into decoded values', () => {
    const input = hexToBytes('f00201020000');
    const op = decodeOp(new BytesReader(input));
    input[2] = 0xff;
    expect(bytesToHex(op.arg ?? new Uint8Array())).toBe('0102');
  });

  it('grows the writer and reports its position', () => {
    const w = new BytesWriter(1);
    for (let i = 0; i < 1000; i++) w.writeUint8(i & 0xff);
    expect(w.length).toBe(1000);
    expect(w.toBytes()[999]).toBe(999 & 0xff);
    const r = new BytesReader(w.toBytes());
    r.readBytes(10);
    expect(r.pos).toBe(10);
    expect(r.remaining()).toBe(990);
    expect(() => r.assertEof()).toThrow(TrailingGarbageError);
  });
});

describe('ops (§3)', () => {
  it('computes the spec vectors', () => {
    expect(bytesToHex(applyOp(OP_SHA256, new Uint8Array()))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(bytesToHex(applyOp(OP_RIPEMD160, new Uint8Array()))).toBe('9c1185a5c5e9fc54612808977ee8f548b2258d31');
    expect(bytesToHex(applyOp(OP_SHA1, new Uint8Array()))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(bytesToHex(applyOp(OP_KECCAK256, new Uint8Array()))).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    expect(bytesToHex(applyOp(OP_KECCAK256, hexToBytes('80')))).toBe('56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
    expect(Buffer.from(applyOp(OP_HEXLIFY, hexToBytes('deadbeef'))).toString('latin1')).toBe('deadbeef');
    expect(Buffer.from(applyOp(opAppend(b('suffix')), b('msg'))).toString('latin1')).toBe('msgsuffix');
    expect(Buffer.from(applyOp(opPrepend(b('pre')), b('msg'))).toString('latin1')).toBe('premsg');
    expect(Buffer.from(applyOp(OP_REVERSE, b('abc'))).toString('latin1')).toBe('cba');
  });

  it('enforces message and result limits at N and N+1', () => {
    const one = opAppend(Uint8Array.of(0));
    expect(applyOp(one, new Uint8Array(4095))).toHaveLength(4096);
    expect(() => applyOp(one, new Uint8Array(4096))).toThrow('Result too long; 4097 > 4096');
    expect(applyOp(OP_SHA256, new Uint8Array(4096))).toHaveLength(32);
    expect(() => applyOp(OP_SHA256, new Uint8Array(4097))).toThrow('Message too long; 4097 > 4096');
    expect(applyOp(OP_HEXLIFY, new Uint8Array(2048))).toHaveLength(4096);
    expect(() => applyOp(OP_HEXLIFY, new Uint8Array(2049))).toThrow('Message too long; 2049 > 2048');
    expect(() => applyOp(OP_REVERSE, new Uint8Array())).toThrow(MsgValueError);
    expect(() => applyOp(OP_HEXLIFY, new Uint8Array())).toThrow(MsgValueError);
  });

  it('validates arguments like python BinaryOp', () => {
    expect(() => opAppend(new Uint8Array())).toThrow(OpArgValueError);
    expect(opPrepend(new Uint8Array(4096)).arg).toHaveLength(4096);
    expect(() => opPrepend(new Uint8Array(4097))).toThrow('prepend arg too long: 4097 > 4096');
    const arg = Uint8Array.of(1, 2);
    const op = opAppend(arg);
    arg[0] = 9;
    expect(op.arg?.[0]).toBe(1);
    expect(Object.isFrozen(op)).toBe(true);
  });

  it('orders like python: tag first, then argument bytes with a shorter prefix first', () => {
    const ops: Op[] = [
      OP_HEXLIFY,
      opPrepend(Uint8Array.of(1)),
      opAppend(Uint8Array.of(2)),
      OP_REVERSE,
      opAppend(Uint8Array.of(1, 0)),
      OP_KECCAK256,
      opAppend(Uint8Array.of(1)),
      OP_SHA256,
      OP_RIPEMD160,
      OP_SHA1,
    ];
    const names = [...ops].sort(compareOps).map((op) => `${op.name}${op.arg ? ` ${bytesToHex(op.arg)}` : ''}`);
    expect(names).toEqual([
      'sha1',
      'ripemd160',
      'sha256',
      'keccak256',
      'append 01',
      'append 0100',
      'append 02',
      'prepend 01',
      'reverse',
      'hexlify',
    ]);
  });

  it('encodes and decodes every op', () => {
    const all: Array<[Op, string]> = [
      [OP_SHA1, '02'],
      [OP_RIPEMD160, '03'],
      [OP_SHA256, '08'],
      [OP_KECCAK256, '67'],
      [opAppend(hexToBytes('aabb')), 'f002aabb'],
      [opPrepend(new Uint8Array(200)), `f1c801${'00'.repeat(200)}`],
      [OP_REVERSE, 'f2'],
      [OP_HEXLIFY, 'f3'],
    ];
    for (const [op, hex] of all) {
      expect(enc((w) => encodeOp(w, op))).toBe(hex);
      expect(compareOps(decodeOp(new BytesReader(hexToBytes(hex))), op)).toBe(0);
    }
    expect(() => decodeOp(new BytesReader(hexToBytes('04')))).toThrow(UnknownOpTagError);
    expect(() => decodeOp(new BytesReader(hexToBytes('04')))).toThrow('Unknown operation tag 0x4');
    expect(() => encodeOp(new BytesWriter(), { tag: 0x04, name: 'bogus' })).toThrow(TypeError);
    expect(() => encodeOp(new BytesWriter(), { tag: 0xf0, name: 'append' })).toThrow(TypeError);
  });
});

describe('attestations (§5, §6)', () => {
  const vectors: Array<[Attestation, string]> = [
    [pendingAttestation('foobar'), '83dfe30d2ef90c8e0706666f6f626172'],
    [
      pendingAttestation('https://alice.btc.calendar.opentimestamps.org'),
      `83dfe30d2ef90c8e2e2d${Buffer.from('https://alice.btc.calendar.opentimestamps.org').toString('hex')}`,
    ],
    [bitcoinAttestation(0), '0588960d73d719010100'],
    [bitcoinAttestation(358391), '0588960d73d7190103f7ef15'],
    [litecoinAttestation(5), '06869a0d73d71b450105'],
    [ethereumAttestation(0), '30fe8087b5c7ead70100'],
    [unknownAttestation(hexToBytes('0102030405060708'), b('Hello World!')), '01020304050607080c48656c6c6f20576f726c6421'],
  ];
  it.each(vectors.map(([a, hex]) => [a.kind, a, hex] as const))('%s encodes as the spec says and decodes back', (_k, a, hex) => {
    expect(enc((w) => encodeAttestation(w, a))).toBe(hex);
    const r = new BytesReader(hexToBytes(hex));
    expect(attestationsEqual(decodeAttestation(r), a)).toBe(true);
    r.assertEof();
  });

  it('sorts the checked mixed set in python order', () => {
    const set = [
      pendingAttestation('b'),
      pendingAttestation('a'),
      bitcoinAttestation(10),
      bitcoinAttestation(2),
      unknownAttestation(hexToBytes('0101010101010101'), b('z')),
      litecoinAttestation(5),
      ethereumAttestation(1),
    ].sort(compareAttestations);
    expect(set.map((a) => (a.kind === 'pending' ? `p:${a.uri}` : a.kind === 'unknown' ? 'u' : `${a.kind}:${a.height}`))).toEqual([
      'u',
      'bitcoin:2',
      'bitcoin:10',
      'litecoin:5',
      'ethereum:1',
      'p:a',
      'p:b',
    ]);
    expect(compareAttestations(unknownAttestation(new Uint8Array(8), b('b')), unknownAttestation(new Uint8Array(8), b('a')))).toBe(1);
    expect(compareAttestations(unknownAttestation(new Uint8Array(8), b('z')), unknownAttestation(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1), b('a')))).toBe(-1);
  });

  it('applies the URI rules on construction', () => {
    expect(isValidPendingUri('http://127.0.0.1:14788')).toBe(true);
    expect(isValidPendingUri('')).toBe(true);
    expect(isValidPendingUri('x'.repeat(1000))).toBe(true);
    expect(isValidPendingUri('x'.repeat(1001))).toBe(false);
    for (const c of '?=%@[]#+ é') expect(isValidPendingUri(`http://a${c}`), c).toBe(false);
    expect(() => pendingAttestation('http://a/?q')).toThrow(InvalidUriError);
    expect(() => pendingAttestation('http://a/?q')).toThrow("URI contains invalid character b'?'");
    expect(() => bitcoinAttestation(-1)).toThrow(RangeError);
    expect(() => bitcoinAttestation(1.5)).toThrow(RangeError);
    expect(() => unknownAttestation(new Uint8Array(7), new Uint8Array())).toThrow(RangeError);
    expect(() => unknownAttestation(new Uint8Array(8), new Uint8Array(8193))).toThrow(RangeError);
    // A hand-built pending attestation that skipped the constructor is still refused when written.
    expect(() => encodeAttestation(new BytesWriter(), { kind: 'pending', uri: 'a b' })).toThrow(InvalidUriError);
  });
});

describe('errors', () => {
  it('carry stable codes and a DeserializationError base for every reading failure', () => {
    const e = new TruncationError('x');
    expect(e).toBeInstanceOf(DeserializationError);
    expect(e).toBeInstanceOf(OtsError);
    expect(e.code).toBe('truncated');
    expect(e.name).toBe('TruncationError');
    expect(new DeserializationError('x').code).toBe('deserialization');
    expect(new LengthLimitError('x')).toBeInstanceOf(DeserializationError);
    expect(new UnknownOpTagError('x').code).toBe('unknown-op-tag');
    expect(() => hexToBytes('abc')).toThrow(InvalidHexError);
    expect(() => hexToBytes('zz')).toThrow(InvalidHexError);
    expect(bytesToHex(hexToBytes('ABcd'))).toBe('abcd');
  });
});
