/** The leaf index from a path's turns, and the root from the leaves one at a time, against our merkle code (every leaf of every tree up to 300 leaves, and some larger trees). */
import { describe, it, expect } from 'vitest';
import { TAG_PREPEND, merkleLevels, merklePath, merkleRoot, sha256 } from '../../src/ots/index.js';
import { MerkleRoot, leafIndexOf } from '../../src/takeover/tree-shape.js';

describe('the shape of the reference tree', () => {
  it('finds every leaf of the reference tree from its turns, and none for a path longer than the tree', () => {
    for (let n = 1; n <= 300; n++) {
      const levels = merkleLevels(Array.from({ length: n }, (_, i) => sha256(new Uint8Array([i & 0xff, i >> 8]))));
      for (let i = 0; i < n; i++) {
        // the merkle steps: append or prepend, each followed by a sha256
        const turns = merklePath(levels, i).filter((op) => op.arg !== undefined);
        const bits = turns.reduce((b, op, k) => b | ((op.tag === TAG_PREPEND ? 1 : 0) << k), 0);
        expect(leafIndexOf(n, bits, turns.length)).toBe(i);
      }
      // a path longer than the tree is deep leads to no leaf
      expect(leafIndexOf(n, 0, Math.ceil(Math.log2(n)) + 1)).toBe(-1);
    }
    expect(leafIndexOf(1, 0, 0)).toBe(0);
    expect(leafIndexOf(0, 0, 0)).toBe(-1);
    expect(leafIndexOf(3, 1, 1)).toBe(2);
    // leaf 2 of three is carried up once: a path with two turns to it does not exist
    expect(leafIndexOf(3, 3, 2)).toBe(-1);
  });

  it('gives the root of the reference tree from the leaves one at a time, as our merkle code does from all of them', () => {
    const leaves = Array.from({ length: 1100 }, (_, i) => sha256(new Uint8Array([i & 0xff, i >> 8, 7])));
    for (const n of [...Array.from({ length: 300 }, (_, i) => i + 1), 511, 512, 513, 767, 1023, 1024, 1025, 1100]) {
      const r = new MerkleRoot();
      for (const leaf of leaves.slice(0, n)) r.push(leaf);
      expect(Buffer.from(r.root()).toString('hex'), `n = ${n}`).toBe(Buffer.from(merkleRoot(leaves.slice(0, n))).toString('hex'));
    }
    expect(() => new MerkleRoot().root()).toThrow(RangeError);
  });
});
