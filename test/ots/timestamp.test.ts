// Timestamp trees, detached files and single-branch paths: the worked byte examples of ots-format.md
// §2 and §4, python's set/merge semantics (§8), canonical writing, and trees far deeper than a file may be.
import { describe, expect, it } from 'vitest';
import {
  DetachedTimestampFile,
  EmptyTimestampError,
  MergeMismatchError,
  MsgValueError,
  OP_HEXLIFY,
  OP_RIPEMD160,
  OP_SHA1,
  OP_SHA256,
  RecursionLimitError,
  Timestamp,
  applyOp,
  applyPath,
  bitcoinAttestation,
  bytesToHex,
  encodeOps,
  encodePath,
  hexToBytes,
  litecoinAttestation,
  opAppend,
  opPrepend,
  pendingAttestation,
  unknownAttestation,
} from '../../src/ots/index.js';
import { dumpTree } from './helpers.js';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const P = (s: string): string => `83dfe30d2ef90c8e${(s.length + 1).toString(16).padStart(2, '0')}${s.length.toString(16).padStart(2, '0')}${Buffer.from(s).toString('hex')}`;
const MAGIC = '004f70656e54696d657374616d7073000050726f6f6600bf89e2e884e89294';

describe('worked examples', () => {
  it('§2 smallest complete file (upstream unit test): empty file, sha256, pending foobar', () => {
    const ts = new Timestamp(applyOp(OP_SHA256, new Uint8Array()));
    ts.attest(pendingAttestation('foobar'));
    const bytes = new DetachedTimestampFile(OP_SHA256, ts).toBytes();
    expect(bytesToHex(bytes)).toBe(`${MAGIC}0108e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85500${P('foobar')}`);
  });

  it('§2 the 117-byte file python and JS both write for "Hello World!\\n"', () => {
    const ts = new Timestamp(applyOp(OP_SHA256, b('Hello World!\n')));
    ts.add(opAppend(new Uint8Array(16))).add(OP_SHA256).attest(pendingAttestation('http://127.0.0.1:14788'));
    const bytes = new DetachedTimestampFile(OP_SHA256, ts).toBytes();
    expect(bytes).toHaveLength(117);
    expect(bytesToHex(bytes)).toBe(
      `${MAGIC}010803ba204e50d126e4674c005e04d82e84c21366780af1f43bd54a37816b6ab340f010${'00'.repeat(16)}0800${P('http://127.0.0.1:14788')}`,
    );
  });

  it('§4 worked example: attestations first, sorted, every item but the last behind ff', () => {
    const ts = new Timestamp(b('foo'));
    for (const uri of ['foobaz', 'barfoo', 'foobar']) ts.attest(pendingAttestation(uri));
    ts.add(OP_SHA256).attest(pendingAttestation('deeper'));
    expect(bytesToHex(ts.toBytes())).toBe(`ff00${P('barfoo')}ff00${P('foobar')}ff00${P('foobaz')}0800${P('deeper')}`);
  });

  it('§5 the checked mixed-attestation set, with ops sorted after them', () => {
    const ts = new Timestamp(b('x'));
    ts.add(opPrepend(b('\x01'))).attest(bitcoinAttestation(1));
    ts.add(opAppend(b('\x02'))).attest(bitcoinAttestation(1));
    for (const a of [pendingAttestation('b'), pendingAttestation('a'), bitcoinAttestation(10), bitcoinAttestation(2)]) ts.attest(a);
    ts.attest(unknownAttestation(hexToBytes('0101010101010101'), b('z')));
    ts.attest(litecoinAttestation(5));
    expect(bytesToHex(ts.toBytes())).toBe(
      'ff000101010101010101017a' +
        'ff000588960d73d719010102' +
        'ff000588960d73d71901010a' +
        'ff0006869a0d73d71b450105' +
        `ff00${P('a')}ff00${P('b')}` +
        'fff0010200' +
        '0588960d73d719010101' +
        'f1010100' +
        '0588960d73d719010101',
    );
  });
});

describe('set and merge semantics (§8)', () => {
  it('add() returns the existing child for an equal op; attest() ignores an equal attestation', () => {
    const ts = new Timestamp(b('m'));
    const c1 = ts.add(opAppend(b('a')));
    const c2 = ts.add(opAppend(b('a')));
    expect(c2).toBe(c1);
    expect(ts.ops.size).toBe(1);
    ts.attest(pendingAttestation('u'));
    ts.attest(pendingAttestation('u'));
    ts.attest(unknownAttestation(new Uint8Array(8), b('p')));
    ts.attest(unknownAttestation(new Uint8Array(8), b('p')));
    expect(ts.attestations).toHaveLength(2);
  });

  it('merge() unions attestations and meets equal ops in one child, leaving the other tree untouched', () => {
    const a = new Timestamp(b('m'));
    a.add(OP_SHA256).attest(pendingAttestation('one'));
    a.attest(bitcoinAttestation(1));
    const other = new Timestamp(b('m'));
    other.add(OP_SHA256).attest(pendingAttestation('two'));
    other.add(OP_SHA256).attest(pendingAttestation('one'));
    other.add(OP_SHA1).attest(bitcoinAttestation(2));
    other.attest(bitcoinAttestation(1));
    const before = bytesToHex(other.toBytes());

    a.merge(other);
    expect(dumpTree(a)).toEqual([
      [-1, null, '6d', ['bitcoin:1']],
      [0, '02', bytesToHex(applyOp(OP_SHA1, b('m'))), ['bitcoin:2']],
      [0, '08', bytesToHex(applyOp(OP_SHA256, b('m'))), ['pending:one', 'pending:two']],
    ]);
    expect(bytesToHex(other.toBytes())).toBe(before);
    // Merging again changes nothing; merging a tree into itself is a no-op.
    const once = bytesToHex(a.toBytes());
    a.merge(other);
    a.merge(a);
    expect(bytesToHex(a.toBytes())).toBe(once);
    // The merged child is ours, not other's.
    expect(a.ops.get('2')?.child).not.toBe(other.ops.get('2')?.child);
  });

  it('merge() refuses different messages', () => {
    expect(() => new Timestamp(b('a')).merge(new Timestamp(b('b')))).toThrow(MergeMismatchError);
  });

  it('setChild() shares a node between parents and checks its message', () => {
    const left = new Timestamp(b('L'));
    const right = new Timestamp(b('R'));
    const joined = right.add(opPrepend(b('L')));
    left.setChild(opAppend(b('R')), joined);
    expect(left.add(opAppend(b('R')))).toBe(joined);
    expect(() => left.setChild(OP_SHA256, joined)).toThrow(MergeMismatchError);
    // Anything already under the op is kept, merged into the new child.
    const t = new Timestamp(b('L'));
    t.add(opAppend(b('R'))).attest(pendingAttestation('kept'));
    const fresh = new Timestamp(b('LR'));
    fresh.attest(pendingAttestation('new'));
    t.setChild(opAppend(b('R')), fresh);
    expect(fresh.attestations.map((a) => (a.kind === 'pending' ? a.uri : ''))).toEqual(['new', 'kept']);
  });

  it('equals() compares structure, not identity or insertion order', () => {
    const build = (order: number[]): Timestamp => {
      const t = new Timestamp(b('m'));
      const steps = [
        (): void => t.attest(pendingAttestation('p')),
        (): void => t.add(OP_SHA256).attest(bitcoinAttestation(3)),
        (): void => t.add(opAppend(b('x'))).add(OP_RIPEMD160).attest(pendingAttestation('q')),
      ];
      for (const i of order) steps[i]?.();
      return t;
    };
    expect(build([0, 1, 2]).equals(build([2, 1, 0]))).toBe(true);
    expect(build([0, 1, 2]).equals(build([0, 1]))).toBe(false);
    const c = build([0, 1, 2]);
    c.add(OP_SHA256).attest(bitcoinAttestation(4));
    expect(c.equals(build([0, 1, 2]))).toBe(false);
    expect(new Timestamp(b('a')).equals(new Timestamp(b('b')))).toBe(false);
  });

  it('isComplete() means a Bitcoin attestation anywhere; allAttestations() lists each with its message', () => {
    const t = new Timestamp(b('m'));
    const leaf = t.add(OP_SHA256).add(opAppend(b('z')));
    leaf.attest(pendingAttestation('p'));
    t.add(OP_SHA1).attest(litecoinAttestation(9));
    expect(t.isComplete()).toBe(false);
    leaf.add(OP_SHA256).attest(bitcoinAttestation(7));
    expect(t.isComplete()).toBe(true);
    expect(t.allAttestations().map(({ msg, attestation }) => [bytesToHex(msg), attestation.kind])).toEqual([
      [bytesToHex(applyOp(OP_SHA1, b('m'))), 'litecoin'],
      [bytesToHex(leaf.msg), 'pending'],
      [bytesToHex(applyOp(OP_SHA256, leaf.msg)), 'bitcoin'],
    ]);
  });
});

describe('writing and limits', () => {
  it('refuses to write an empty node anywhere in the tree', () => {
    expect(() => new Timestamp(b('m')).toBytes()).toThrow(EmptyTimestampError);
    const t = new Timestamp(b('m'));
    t.add(OP_SHA256);
    expect(() => t.toBytes()).toThrow(EmptyTimestampError);
  });

  it('copies the message and refuses one over 4096 bytes', () => {
    const msg = b('abc');
    const t = new Timestamp(msg);
    msg[0] = 0;
    expect(bytesToHex(t.msg)).toBe('616263');
    expect(new Timestamp(new Uint8Array(4096)).msg).toHaveLength(4096);
    expect(() => new Timestamp(new Uint8Array(4097))).toThrow(MsgValueError);
  });

  it('handles a 20,000-op chain without recursion (writing, equality, merge), and reading it stops at the limit', () => {
    const make = (): Timestamp => {
      const root = new Timestamp(new Uint8Array(32));
      let node = root;
      for (let i = 0; i < 20_000; i++) node = node.add(OP_SHA256);
      node.attest(bitcoinAttestation(1));
      return root;
    };
    const a = make();
    const bytes = a.toBytes();
    expect(bytes).toHaveLength(20_000 + 1 + 10); // ops, 00, tag + length + height
    expect(a.equals(make())).toBe(true);
    const c = make();
    c.merge(a);
    expect(c.equals(a)).toBe(true);
    expect(a.allAttestations()).toHaveLength(1);
    expect(() => Timestamp.fromBytes(bytes, new Uint8Array(32))).toThrow(RecursionLimitError);
  });

  it('checks the detached file invariants', () => {
    expect(() => new DetachedTimestampFile(OP_SHA256, new Timestamp(new Uint8Array(20)))).toThrow(RangeError);
    expect(() => new DetachedTimestampFile(OP_HEXLIFY, new Timestamp(new Uint8Array(32)))).toThrow(TypeError);
    const t = new Timestamp(new Uint8Array(20));
    t.attest(bitcoinAttestation(0));
    expect(new DetachedTimestampFile(OP_RIPEMD160, t).fileDigest).toBe(t.msg);
  });
});

describe('single-branch paths', () => {
  const ops = [opAppend(new Uint8Array(16).fill(7)), OP_SHA256, opPrepend(hexToBytes('5f000000')), opAppend(new Uint8Array(8).fill(1))];
  const att = pendingAttestation('http://127.0.0.1:14788');

  it('encodePath writes what Timestamp.encode writes for the same path, and applyPath reaches its message', () => {
    const root = new Timestamp(hexToBytes('11'.repeat(32)));
    let node = root;
    for (const op of ops) node = node.add(op);
    node.attest(att);
    expect(bytesToHex(encodePath(ops, att))).toBe(bytesToHex(root.toBytes()));
    expect(bytesToHex(applyPath(ops, root.msg))).toBe(bytesToHex(node.msg));
    expect(Timestamp.fromBytes(encodePath(ops, att), root.msg).equals(root)).toBe(true);
  });

  it('pieces concatenate: encodeOps(a) ‖ encodePath(b) = encodePath(a ‖ b)', () => {
    const head = encodeOps(ops.slice(0, 2));
    const tail = encodePath(ops.slice(2), att);
    expect(bytesToHex(Buffer.concat([head, tail]))).toBe(bytesToHex(encodePath(ops, att)));
    expect(bytesToHex(encodePath([], bitcoinAttestation(5)))).toBe('000588960d73d719010105');
    expect(() => applyPath([opAppend(new Uint8Array(4096))], b('x'))).toThrow(MsgValueError);
  });

  it('attestationPaths gives each attestation with the ops that lead to it, each encodable as one branch', () => {
    const root = new Timestamp(hexToBytes('22'.repeat(32)));
    const fork = root.add(ops[0] as (typeof ops)[number]);
    const a = fork.add(opAppend(b('a')));
    const c = fork.add(opPrepend(b('c')));
    a.attest(att);
    c.attest(bitcoinAttestation(7));
    const paths = root.attestationPaths();
    expect(paths.map((p) => p.attestation.kind).sort()).toEqual(['bitcoin', 'pending']);
    for (const p of paths) {
      expect(bytesToHex(applyPath(p.ops, root.msg))).toBe(bytesToHex(p.msg));
      const one = Timestamp.fromBytes(encodePath(p.ops, p.attestation), root.msg);
      expect(one.allAttestations()).toEqual([{ msg: p.msg, attestation: p.attestation }]);
    }
  });
});
