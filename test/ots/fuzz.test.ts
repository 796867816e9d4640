// Mutation fuzzing of the reader over every vector: random byte changes, insertions, deletions, splices
// and truncations. Every failure must be a DeserializationError (never a RangeError/TypeError from deep
// code, never a hang); every accepted input must re-encode to bytes that decode to the same tree. A sample
// is also run through python (live) to check that both accept and reject the same inputs.
import { describe, expect, it } from 'vitest';
import {
  DeserializationError,
  DetachedTimestampFile,
  LengthLimitError,
  Timestamp,
  bytesToHex,
  hexToBytes,
} from '../../src/ots/index.js';
import { askPython } from '../fixtures/python/oracle.js';
import { DECODED, prng, readVector } from './helpers.js';

type Rng = ReturnType<typeof prng>;

/** Bytes that matter to the grammar, so mutations often hit a marker, a tag or a length. */
const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x08, 0x67, 0x7f, 0x80, 0x81, 0xf0, 0xf1, 0xf2, 0xf3, 0xff];

function mutate(src: Uint8Array, r: Rng): Uint8Array {
  const out = [...src];
  const edits = 1 + r.int(3);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = r.int(out.length);
    const value = r.next() < 0.5 ? (INTERESTING[r.int(INTERESTING.length)] as number) : r.int(256);
    switch (r.int(6)) {
      case 0:
        out[at] = value;
        break;
      case 1:
        out[at] = (out[at] as number) ^ (1 << r.int(8));
        break;
      case 2:
        out.splice(at, 0, value);
        break;
      case 3:
        out.splice(at, 1 + r.int(4));
        break;
      case 4:
        // Repeat a slice: duplicates items, forks and op branches.
        out.splice(at, 0, ...out.slice(r.int(out.length), r.int(out.length) + r.int(40)));
        break;
      default:
        out.length = at;
        break;
    }
  }
  return Uint8Array.from(out);
}

type Verdict = { ok: true; file: DetachedTimestampFile } | { ok: false; error: DeserializationError };

function decode(bytes: Uint8Array): Verdict {
  try {
    return { ok: true, file: DetachedTimestampFile.fromBytes(bytes) };
  } catch (e) {
    // Anything but a DeserializationError escapes and fails the test, with the input in the message.
    if (!(e instanceof DeserializationError)) throw new Error(`non-deserialization failure on ${bytesToHex(bytes)}`, { cause: e });
    return { ok: false, error: e };
  }
}

describe('mutation fuzzing of every vector', () => {
  const names = Object.keys(DECODED).sort();
  const r = prng(0x0f5);
  const inputs: Uint8Array[] = [];
  for (const name of names) {
    const original = readVector(name);
    for (let i = 0; i < 800; i++) inputs.push(mutate(original, r));
  }

  it('never fails with anything but a DeserializationError, and accepted inputs re-encode to an equal tree', () => {
    const started = performance.now();
    let accepted = 0;
    let slowest = 0;
    const codes = new Set<string>();
    for (const input of inputs) {
      const t0 = performance.now();
      const v = decode(input);
      slowest = Math.max(slowest, performance.now() - t0);
      if (!v.ok) {
        codes.add(v.error.code);
        expect(v.error.message.length).toBeGreaterThan(0);
        continue;
      }
      accepted++;
      const again = v.file.toBytes();
      const back = DetachedTimestampFile.fromBytes(again);
      expect(back.timestamp.equals(v.file.timestamp)).toBe(true);
      expect(bytesToHex(back.toBytes())).toBe(bytesToHex(again));
    }
    const elapsed = performance.now() - started;
    // Both outcomes occur and the failures are varied: the fuzzer reaches deep into the grammar.
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(inputs.length - 1000);
    expect(codes.size).toBeGreaterThanOrEqual(7);
    expect(slowest).toBeLessThan(500);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('accepts and rejects exactly what python accepts and rejects', () => {
    const sample = inputs.filter((_, i) => i % 4 === 0);
    const answers = askPython(sample.map((b) => ({ op: 'detached' as const, hex: bytesToHex(b) })));
    let merged = 0;
    sample.forEach((input, i) => {
      const py = answers[i];
      const ours = decode(input);
      expect(ours.ok, `${bytesToHex(input)}: python ${py?.ok ? 'accepts' : `rejects (${py?.message})`}`).toBe(py?.ok);
      if (!ours.ok || !py?.ok) return;
      const pyBytes = py.reserialized as string;
      const oursBytes = bytesToHex(ours.file.toBytes());
      if (pyBytes === oursBytes) return;
      // The one intended difference: for a repeated op python keeps the last branch, we keep all of them.
      // Python's tree is then contained in ours: merging it in changes nothing.
      merged++;
      const pyTree = DetachedTimestampFile.fromBytes(hexToBytes(pyBytes)).timestamp;
      const copy = DetachedTimestampFile.fromBytes(input).timestamp;
      copy.merge(pyTree);
      expect(copy.equals(ours.file.timestamp)).toBe(true);
      expect(pyTree.equals(ours.file.timestamp)).toBe(false);
    });
    expect(merged).toBeLessThan(sample.length / 20);
  });

  it('rejects a hostile length prefix at once, without allocating it', () => {
    // hello-world.txt.ots's first op is ripemd160, its second a prepend: give that prepend a length of 2^40.
    const hello = readVector('hello-world.txt.ots');
    const at = 31 + 1 + 1 + 32 + 1; // magic, version, file hash op, digest, ripemd160 tag
    expect(hello[at]).toBe(0xf1);
    const hostile = Uint8Array.from([...hello.subarray(0, at + 1), 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, ...hello.subarray(at + 3)]);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => DetachedTimestampFile.fromBytes(hostile)).toThrow(LengthLimitError);
    expect(() => DetachedTimestampFile.fromBytes(hostile)).toThrow('varbytes max length exceeded; 1099511627776 > 4096');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
    // Same for an attestation payload and a pending URI inside a bare timestamp.
    expect(() => Timestamp.fromBytes(hexToBytes('000588960d73d71901808080808020'), new Uint8Array(1))).toThrow(LengthLimitError);
    expect(() => Timestamp.fromBytes(hexToBytes('0083dfe30d2ef90c8e06808080808020'), new Uint8Array(1))).toThrow(LengthLimitError);
  });
});
