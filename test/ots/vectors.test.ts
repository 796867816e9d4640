// Upstream .ots vectors (test/vectors): decode as python decodes them (expected/decoded.json), re-encode
// byte for byte as python re-encodes them (asked live), reject the invalid ones with python's error and
// message, and print `ots info` exactly (expected/py-info).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BadMagicError,
  DeserializationError,
  DetachedTimestampFile,
  InvalidOpResultError,
  TrailingGarbageError,
  TruncationError,
  UnknownOpTagError,
  UnsupportedMajorVersionError,
  attestationTag,
  bytesEqual,
  bytesToHex,
  bytesToReversedHex,
  type Timestamp,
} from '../../src/ots/index.js';
import { formatInfo } from '../../src/cli/info.js';
import { askPython, expectOk } from '../fixtures/python/oracle.js';
import { DECODED, VECTORS, readVector } from './helpers.js';

const names = Object.keys(DECODED).sort();
const valid = names.filter((n) => DECODED[n]?.error === undefined);
const invalid = names.filter((n) => DECODED[n]?.error !== undefined);

function countOps(root: Timestamp): { ops: number; longest: number } {
  let ops = 0;
  let longest = 0;
  const stack: Array<[Timestamp, number]> = [[root, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    longest = Math.max(longest, depth);
    for (const { child } of node.ops.values()) {
      ops++;
      stack.push([child, depth + 1]);
    }
  }
  return { ops, longest };
}

describe('valid vectors decode as python decodes them', () => {
  it('covers every vector listed in decoded.json', () => {
    expect(valid.length).toBe(19);
    expect(invalid).toEqual([
      'invalid/bad-major-version.ots',
      'invalid/exceeds-max-msg-length.ots',
      'invalid/invalid-file-digest-type.ots',
    ]);
  });

  it.each(valid)('%s', (name) => {
    const exp = DECODED[name];
    if (exp === undefined) throw new Error(name);
    const bytes = readVector(name);
    expect(bytes.length).toBe(exp.size);
    const file = DetachedTimestampFile.fromBytes(bytes);
    expect(file.fileHashOp.name).toBe(exp.file_hash_op);
    expect(file.fileHashOp.tag.toString(16).padStart(2, '0')).toBe(exp.file_hash_tag);
    expect(bytesToHex(file.fileDigest)).toBe(exp.file_digest);
    const counts = countOps(file.timestamp);
    expect(counts.ops).toBe(exp.op_count);
    expect(counts.longest).toBe(exp.max_path_ops);

    const ours = file.timestamp.allAttestations().map(({ msg, attestation: a }) => ({
      type: a.kind,
      tag: bytesToHex(attestationTag(a)),
      msg: bytesToHex(msg),
      ...(a.kind === 'pending' ? { uri: a.uri } : {}),
      ...(a.kind === 'unknown' ? { payload: bytesToHex(a.payload) } : {}),
      ...(a.kind === 'bitcoin' || a.kind === 'litecoin' || a.kind === 'ethereum' ? { height: a.height } : {}),
      ...(a.kind === 'bitcoin' ? { merkleroot_rpc_hex: bytesToReversedHex(msg) } : {}),
    }));
    const key = (x: { tag: string; msg: string }): string => `${x.tag}|${x.msg}|${JSON.stringify(x)}`;
    const sortByKey = <T extends { tag: string; msg: string }>(xs: T[]): T[] => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    expect(sortByKey(ours)).toEqual(sortByKey(exp.attestations ?? []));
  });

  it('re-encodes every vector exactly as python re-encodes it, and equal to the original where python says so', () => {
    const answers = askPython(valid.map((n) => ({ op: 'detached' as const, hex: bytesToHex(readVector(n)) })));
    valid.forEach((name, i) => {
      const original = readVector(name);
      const ours = DetachedTimestampFile.fromBytes(original).toBytes();
      const python = expectOk<{ reserialized: string }>(answers[i] as never);
      expect(bytesToHex(ours), name).toBe(python.reserialized);
      expect(bytesEqual(ours, original), name).toBe(DECODED[name]?.python_reserialize_identical);
    });
    // Only the JS-written file has a non-canonical op order.
    expect(valid.filter((n) => DECODED[n]?.python_reserialize_identical === false)).toEqual(['ripemd160/README.md.ots']);
  });

  it('decodes its own encoding to an equal tree', () => {
    for (const name of valid) {
      const file = DetachedTimestampFile.fromBytes(readVector(name));
      const again = DetachedTimestampFile.fromBytes(file.toBytes());
      expect(again.timestamp.equals(file.timestamp), name).toBe(true);
      expect(again.fileHashOp).toBe(file.fileHashOp);
    }
  });
});

describe('invalid vectors are rejected like python rejects them', () => {
  const classes: Record<string, new (...args: never[]) => DeserializationError> = {
    'invalid/bad-major-version.ots': UnsupportedMajorVersionError,
    'invalid/exceeds-max-msg-length.ots': InvalidOpResultError,
    'invalid/invalid-file-digest-type.ots': UnknownOpTagError,
  };
  it.each(invalid)('%s', (name) => {
    const bytes = readVector(name);
    let caught: unknown;
    try {
      DetachedTimestampFile.fromBytes(bytes);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DeserializationError);
    expect(caught).toBeInstanceOf(classes[name]);
    expect((caught as Error).message).toBe(DECODED[name]?.message);
  });
});

describe('detached file framing', () => {
  const hello = readVector('hello-world.txt.ots');

  it('rejects a trailing byte, a truncation at every length and a damaged magic', () => {
    expect(() => DetachedTimestampFile.fromBytes(Uint8Array.from([...hello, 0]))).toThrow(TrailingGarbageError);
    for (let n = 31; n < hello.length; n++) {
      expect(() => DetachedTimestampFile.fromBytes(hello.subarray(0, n))).toThrow(TruncationError);
    }
    for (let n = 0; n < 31; n++) expect(() => DetachedTimestampFile.fromBytes(hello.subarray(0, n))).toThrow(BadMagicError);
    const bad = Uint8Array.from(hello);
    bad[5] = 0x55; // "T" becomes "U"
    expect(() => DetachedTimestampFile.fromBytes(bad)).toThrow(BadMagicError);
    expect(() => DetachedTimestampFile.fromBytes(bad)).toThrow(
      'Expected magic bytes 0x004f70656e54696d657374616d7073000050726f6f6600bf89e2e884e89294, but got 0x004f70656e55696d',
    );
  });

  it('rejects the version 255 a uint8 reader sees and a version too large for a number', () => {
    const v = (tail: number[]): Uint8Array => Uint8Array.from([...hello.subarray(0, 31), ...tail, ...hello.subarray(32)]);
    expect(() => DetachedTimestampFile.fromBytes(v([0xff, 0x01]))).toThrow('Version 255 detached timestamp files are not supported');
    expect(() => DetachedTimestampFile.fromBytes(v([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toThrow(
      UnsupportedMajorVersionError,
    );
    // A non-minimal 1 (`81 00`) is version 1 to python's varuint reader as well.
    expect(DetachedTimestampFile.fromBytes(v([0x81, 0x00])).timestamp.isComplete()).toBe(true);
  });
});

describe('formatInfo prints exactly what `ots info` prints', () => {
  const dir = `${VECTORS}expected/py-info/`;
  const files = readdirSync(dir).sort();
  it('has an expected output for every valid vector', () => {
    expect(files.map((f) => f.replace(/\.txt$/, '').replace('_', '/')).sort()).toEqual(valid);
  });
  it.each(files)('%s', (f) => {
    const name = f.replace(/\.txt$/, '').replace('_', '/');
    const expected = readFileSync(dir + f, 'utf8');
    expect(formatInfo(DetachedTimestampFile.fromBytes(readVector(name)))).toBe(expected);
  });
});
