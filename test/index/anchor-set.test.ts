import { describe, it, expect } from 'vitest';
import { AnchorSet, type AnchorInfo } from '../../src/index/anchor-set.js';

function anchor(seq: number, ranges: Array<[number, number]>): AnchorInfo {
  const r = ranges.map(([start, end]) => ({ start, end }));
  return { seq, offset: 0, tip: new Uint8Array(32), ranges: r, timestamp: new Uint8Array(0), leafCount: r.reduce((s, x) => s + x.end - x.start, 0), revoked: false };
}

describe('AnchorSet', () => {
  it('finds the covering anchor and the leaf position across ranges', () => {
    const s = new AnchorSet();
    const a = anchor(10, [[0, 5]]);
    const b = anchor(20, [[5, 8], [12, 15]]);
    s.add(a);
    s.add(b);
    expect(s.find(0)).toBe(a);
    expect(s.find(4)).toBe(a);
    expect(s.find(5)).toBe(b);
    expect(s.find(9)).toBeUndefined();
    expect(s.find(13)).toBe(b);
    expect(AnchorSet.leafIndex(b, 13)).toBe(4);
    expect(AnchorSet.leafIndex(b, 9)).toBe(-1);
  });

  it('makes commitments pending again on revocation, and a later anchor covers them', () => {
    const s = new AnchorSet();
    const a = anchor(10, [[0, 5]]);
    s.add(a);
    s.revoke(10);
    expect(s.find(2)).toBeUndefined();
    const c = anchor(30, [[0, 5]]);
    s.add(c);
    expect(s.find(2)).toBe(c);
  });

  it('lets the earlier anchor win an overlap, deterministically', () => {
    const s = new AnchorSet();
    const a = anchor(10, [[0, 5]]);
    const b = anchor(20, [[3, 9]]);
    s.add(a);
    s.add(b);
    expect(s.find(4)).toBe(a);
    expect(s.find(5)).toBe(b);
    expect(s.find(8)).toBe(b);
  });

  it('lists uncovered commitments oldest first, skipping exclusions, up to a limit', () => {
    const s = new AnchorSet();
    s.add(anchor(10, [[0, 5]]));
    s.add(anchor(20, [[8, 10]]));
    expect(s.uncovered(14, 100)).toEqual([{ start: 5, end: 8 }, { start: 10, end: 14 }]);
    expect(s.uncovered(14, 4)).toEqual([{ start: 5, end: 8 }, { start: 10, end: 11 }]);
    expect(s.uncovered(14, 100, [{ start: 6, end: 7 }, { start: 12, end: 20 }])).toEqual([{ start: 5, end: 6 }, { start: 7, end: 8 }, { start: 10, end: 12 }]);
    s.revoke(10);
    expect(s.uncovered(14, 100)).toEqual([{ start: 0, end: 8 }, { start: 10, end: 14 }]);
    expect(new AnchorSet().uncovered(0, 10)).toEqual([]);
  });
});
