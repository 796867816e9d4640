// Merkle trees. The OpenTimestamps tree: python's unit vectors (ots-format.md §9), makeMerkleTree equal to
// python's make_merkle_tree (live) op for op, and merkleLevels/merklePath giving the same paths. Bitcoin's
// block tree: a real block's root, odd-level duplication, and paths that reach the root.
import { describe, expect, it } from 'vitest';
import {
  OP_SHA256,
  Timestamp,
  applyPath,
  blockMerklePath,
  blockMerkleRoot,
  bytesToHex,
  bytesToReversedHex,
  concatBytes,
  encodePath,
  hexToBytes,
  leafHashRootInto,
  siblingPathSize,
  makeMerkleTree,
  merkleLevels,
  merklePath,
  merklePathSize,
  merkleRoot,
  encodeOps,
  writeMerklePath,
  writeSiblingPath,
  opAppend,
  opPrepend,
  pendingAttestation,
  sha256,
  sha256d,
  sha256Each,
  sha256Into,
} from '../../src/ots/index.js';
import { askPython, expectOk } from '../fixtures/python/oracle.js';
import { prng } from './helpers.js';

const URI = 'http://127.0.0.1:14788';

describe('OpenTimestamps merkle tree', () => {
  it('matches python’s unit vectors (leaves bytes([i]); cat_sha256(foo, bar))', () => {
    const roots: Record<number, string> = {
      2: 'b413f47d13ee2fe6c845b2ee141af81de858df4ec549a58b7970bb96645bc8d2',
      3: 'e6aa639123d8aac95d13d365ec3779dade4b49c083a8fed97d7bfc0d89bb6a5e',
      4: '7699a4fdd6b8b6908a344f73b8f05c8e1400f7253f544602c442ff5c65504b24',
    };
    for (const [n, root] of Object.entries(roots)) {
      const leaves = Array.from({ length: Number(n) }, (_, i) => Uint8Array.of(i));
      expect(bytesToHex(makeMerkleTree(leaves.map((l) => new Timestamp(l))).msg)).toBe(root);
      expect(bytesToHex(merkleRoot(leaves))).toBe(root);
    }
    const cat = makeMerkleTree([new Timestamp(Buffer.from('foo')), new Timestamp(Buffer.from('bar'))]);
    expect(bytesToHex(cat.msg)).toBe('c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2');
  });

  it('one leaf is its own tip; no leaves is an error', () => {
    const only = new Timestamp(new Uint8Array(32).fill(3));
    expect(makeMerkleTree([only])).toBe(only);
    expect(merkleLevels([only.msg])).toEqual([[only.msg]]);
    expect(merklePath(merkleLevels([only.msg]), 0)).toEqual([]);
    expect(() => makeMerkleTree([])).toThrow(RangeError);
    expect(() => merkleLevels([])).toThrow(RangeError);
    expect(() => merklePath(merkleLevels([only.msg]), 1)).toThrow(RangeError);
  });

  it('left and right share one node, as python’s cat_sha256 links them', () => {
    const [l, r] = [new Timestamp(Uint8Array.of(1)), new Timestamp(Uint8Array.of(2))];
    makeMerkleTree([l, r]);
    expect(l.ops.get(`f0:02`)?.child).toBe(r.ops.get(`f1:01`)?.child);
  });

  it('equals python’s make_merkle_tree for random sizes, and merkleLevels/merklePath give the same paths', () => {
    const r = prng(1234);
    const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 257];
    const cases = sizes.map((n) => Array.from({ length: n }, () => r.bytes(32)));
    const answers = askPython(cases.map((leaves) => ({ op: 'merkle' as const, leaves: leaves.map(bytesToHex), uri: URI })));
    cases.forEach((leaves, c) => {
      const py = expectOk<{ tip: string; paths: string[] }>(answers[c] as never);
      const stamps = leaves.map((l) => new Timestamp(l));
      const tip = makeMerkleTree(stamps);
      tip.attest(pendingAttestation(URI));
      expect(bytesToHex(tip.msg), `n=${leaves.length}`).toBe(py.tip);
      const levels = merkleLevels(leaves);
      expect(bytesToHex(levels[levels.length - 1]?.[0] ?? new Uint8Array())).toBe(py.tip);
      expect(bytesToHex(merkleRoot(leaves))).toBe(py.tip);
      expect(levels[0]).toEqual(leaves);
      leaves.forEach((leaf, i) => {
        expect(bytesToHex(stamps[i]?.toBytes() ?? new Uint8Array()), `n=${leaves.length} i=${i}`).toBe(py.paths[i]);
        const path = merklePath(levels, i);
        expect(bytesToHex(encodePath(path, pendingAttestation(URI)))).toBe(py.paths[i]);
        expect(bytesToHex(applyPath(path, leaf))).toBe(py.tip);
      });
    });
  });

  it('the fast path (32-byte nodes) and the general path (other lengths) agree', () => {
    const r = prng(9);
    const leaves = Array.from({ length: 11 }, () => r.bytes(32));
    const mixed = [...leaves.slice(0, 10), concatBytes(leaves[10] ?? new Uint8Array(), Uint8Array.of(0))];
    const viaStamps = makeMerkleTree(mixed.map((l) => new Timestamp(l))).msg;
    expect(bytesToHex(merkleRoot(mixed))).toBe(bytesToHex(viaStamps));
  });
});

describe('Bitcoin block merkle tree', () => {
  it('gives block 100000’s merkle root from its four txids', () => {
    const txids = [
      '8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87',
      'fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4',
      '6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4',
      'e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d',
    ].map((h) => hexToBytes(h).reverse());
    const root = blockMerkleRoot(txids);
    expect(bytesToReversedHex(root)).toBe('f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766');
    txids.forEach((t, i) => expect(bytesToHex(applyPath(blockMerklePath(txids, i), t))).toBe(bytesToHex(root)));
  });

  it('pairs the last node of an odd level with itself', () => {
    const [a, b, c] = [1, 2, 3].map((i) => new Uint8Array(32).fill(i)) as [Uint8Array, Uint8Array, Uint8Array];
    const ab = sha256d(concatBytes(a, b));
    const cc = sha256d(concatBytes(c, c));
    const root = sha256d(concatBytes(ab, cc));
    expect(bytesToHex(blockMerkleRoot([a, b, c]))).toBe(bytesToHex(root));
    const path = blockMerklePath([a, b, c], 2);
    expect(path.map((op) => `${op.name}${op.arg ? ` ${bytesToHex(op.arg)}` : ''}`)).toEqual([
      `append ${bytesToHex(c)}`,
      'sha256',
      'sha256',
      `prepend ${bytesToHex(ab)}`,
      'sha256',
      'sha256',
    ]);
    expect(blockMerklePath([a], 0)).toEqual([]);
    expect(bytesToHex(blockMerkleRoot([a]))).toBe(bytesToHex(a));
  });

  it('every path of random blocks reaches the root, in the shape the hello-world proof has', () => {
    const r = prng(77);
    for (let n = 1; n <= 40; n++) {
      const txids = Array.from({ length: n }, () => r.bytes(32));
      const root = blockMerkleRoot(txids);
      for (let i = 0; i < n; i++) {
        const path = blockMerklePath(txids, i);
        expect(path.length % 3).toBe(0);
        for (let k = 0; k < path.length; k += 3) {
          expect([opAppend(new Uint8Array(1)).tag, opPrepend(new Uint8Array(1)).tag]).toContain(path[k]?.tag);
          expect(path[k + 1]).toBe(OP_SHA256);
          expect(path[k + 2]).toBe(OP_SHA256);
        }
        expect(bytesToHex(applyPath(path, txids[i] as Uint8Array))).toBe(bytesToHex(root));
      }
    }
    expect(() => blockMerkleRoot([new Uint8Array(31)])).toThrow(RangeError);
    expect(() => blockMerklePath([new Uint8Array(32)], 1)).toThrow(RangeError);
  });
});

describe('writeMerklePath', () => {
  it('writes exactly encodeOps(merklePath(...)) for every leaf of trees of 1..70 leaves, any leaf length', () => {
    const rand = prng(7);
    for (let n = 1; n <= 70; n++) {
      // leaves of 32 bytes as in calendars, and of other lengths (a varuint length over one byte at 200)
      const leaves = Array.from({ length: n }, (_, i) => rand.bytes(i % 5 === 0 ? ([1, 31, 200][n % 3] as number) : 32));
      const levels = merkleLevels(leaves);
      for (let i = 0; i < n; i++) {
        const want = encodeOps(merklePath(levels, i));
        expect(merklePathSize(levels, i)).toBe(want.length);
        const out = new Uint8Array(want.length + 4).fill(0xee);
        expect(writeMerklePath(levels, i, out, 2)).toBe(2 + want.length);
        expect(bytesToHex(out.subarray(2, 2 + want.length))).toBe(bytesToHex(want));
        expect([out[0], out[1], out[2 + want.length], out[3 + want.length]]).toEqual([0xee, 0xee, 0xee, 0xee]);
      }
    }
    expect(() => writeMerklePath(merkleLevels([new Uint8Array(32)]), 1, new Uint8Array(8), 0)).toThrow(RangeError);
  });
});

describe('hashing into buffers', () => {
  it('sha256Into and sha256Each give the digests sha256 gives, every byte value included', () => {
    const r = prng(77);
    const items = [new Uint8Array(0), Uint8Array.from({ length: 256 }, (_, i) => i), ...Array.from({ length: 40 }, (_, i) => r.bytes(i * 3))];
    const out = Buffer.alloc(32 * items.length + 5, 0xee);
    items.forEach((item, i) => sha256Into(item, out, 5 + 32 * i));
    expect(out.subarray(0, 5)).toEqual(Buffer.alloc(5, 0xee));
    const each = sha256Each(items);
    items.forEach((item, i) => {
      expect(bytesToHex(out.subarray(5 + 32 * i, 37 + 32 * i))).toBe(bytesToHex(sha256(item)));
      expect(bytesToHex(each[i] ?? new Uint8Array())).toBe(bytesToHex(sha256(item)));
    });
  });

  it('leafHashRootInto writes the root over the hashed items of a span, and only its 32 bytes', () => {
    const r = prng(6);
    const items = Array.from({ length: 40 }, (_, i) => r.bytes(i % 3 === 0 ? 44 : 36));
    for (const [first, count] of [[0, 1], [3, 2], [5, 3], [8, 8], [1, 13], [0, 40]] as const) {
      const out = new Uint8Array(40).fill(0xee);
      leafHashRootInto(items, first, count, out, 4);
      const expected = merkleRoot(items.slice(first, first + count).map((item) => sha256(item)));
      expect(bytesToHex(out.subarray(4, 36))).toBe(bytesToHex(expected));
      expect([...out.subarray(0, 4), ...out.subarray(36)]).toEqual(new Array(8).fill(0xee));
    }
    expect(() => leafHashRootInto(items, 39, 2, new Uint8Array(32), 0)).toThrow(RangeError);
    expect(() => leafHashRootInto(items, 0, 0, new Uint8Array(32), 0)).toThrow(RangeError);
  });

  it('writeSiblingPath writes from the siblings alone the bytes writeMerklePath writes from the whole levels', () => {
    const r = prng(7);
    for (const n of [1, 2, 3, 5, 8, 13, 100]) {
      const levels = merkleLevels(Array.from({ length: n }, () => r.bytes(32)));
      for (let i = 0; i < n; i++) {
        const siblings = levels.slice(0, -1).map((level, l) => level[((i >> l) ^ 1) as number]);
        const size = merklePathSize(levels, i);
        expect(siblingPathSize(siblings)).toBe(size);
        const whole = new Uint8Array(size + 3);
        const alone = new Uint8Array(size + 3);
        expect(writeMerklePath(levels, i, whole, 3)).toBe(size + 3);
        expect(writeSiblingPath(siblings, i, alone, 3)).toBe(size + 3);
        expect(bytesToHex(alone)).toBe(bytesToHex(whole));
      }
    }
    expect(() => writeSiblingPath([undefined, undefined], 4, new Uint8Array(8), 0)).toThrow(RangeError);
  });

  it('merkleRoot leaves its leaves as they were and returns a root of its own', () => {
    const r = prng(5);
    for (const n of [2, 3, 5, 8, 13, 100]) {
      const leaves = Array.from({ length: n }, () => r.bytes(32));
      const copies = leaves.map((l) => new Uint8Array(l));
      const root = merkleRoot(leaves);
      expect(leaves).toEqual(copies);
      expect(root.buffer.byteLength).toBe(32);
      expect(bytesToHex(root)).toBe(bytesToHex(merkleLevels(leaves).at(-1)?.[0] ?? new Uint8Array()));
    }
  });
});
