// The mirror's window of recent commitments: what goes in comes out, across the ring's wrap, legacy lengths kept,
// a gap starts it anew, and what it no longer holds is undefined (then read from the index).
import { describe, expect, it } from 'vitest';
import { RecentCommitments } from '../../src/mirror/recent-commitments.js';

const commitment = (n: number, length = 44): Uint8Array => Uint8Array.from({ length }, (_, i) => (n * 7 + i) & 0xff);

describe('RecentCommitments', () => {
  it('gives back copies of what it holds, across the wrap of its ring, with each one’s length', () => {
    const recent = new RecentCommitments(10);
    const all = Array.from({ length: 25 }, (_, n) => commitment(n, n % 6 === 0 ? 36 : 44));
    recent.append(100, all.slice(0, 7));
    recent.append(107, all.slice(7, 25));
    expect(recent.get(115, 10)).toEqual(all.slice(15, 25));
    expect(recent.get(118, 3)).toEqual(all.slice(18, 21));
    expect(recent.get(114, 2)).toBeUndefined();
    expect(recent.get(120, 6)).toBeUndefined();
    const got = recent.get(124, 1)?.[0];
    got?.fill(0);
    expect(recent.get(124, 1)).toEqual([all[24]]);
  });

  it('starts anew after a gap, and refuses what is not a commitment', () => {
    const recent = new RecentCommitments(8);
    recent.append(0, [commitment(0), commitment(1)]);
    recent.append(5, [commitment(5)]);
    expect(recent.get(0, 1)).toBeUndefined();
    expect(recent.get(5, 1)).toEqual([commitment(5)]);
    expect(recent.get(5, 0)).toEqual([]);
    expect(() => recent.append(6, [new Uint8Array(45)])).toThrow(RangeError);
    expect(() => new RecentCommitments(0)).toThrow(RangeError);
  });
});
