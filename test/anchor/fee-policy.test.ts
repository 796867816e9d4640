// The fee policy's rules, one table each: first fee, BIP125 replacement floor, increment, estimate, caps, raise after a refusal.
import { describe, expect, it } from 'vitest';
import { type FeeSettings, type NodeFeeFacts, feeCap, firstFee, raiseAfterRejection, rateOf, replacementFee, replacementFloor } from '../../src/anchor/index.js';

const S: FeeSettings = { fallbackRate: 1000, increment: 1000, maxRate: 500_000, maxFee: 100_000, rejectionFactor: 1.25 };
const NODE: NodeFeeFacts = { estimate: undefined, relayFee: 1000, incrementalFee: 1000 };

describe('fee policy', () => {
  it('caps at the lower of the per-cycle fee and the rate times the size', () => {
    expect(feeCap(S, 153)).toBe(76_500);
    expect(feeCap({ ...S, maxFee: 1_000 }, 153)).toBe(1_000);
    expect(feeCap({ ...S, maxRate: 1_500 }, 153)).toBe(229); // 229.5 rounded down: never above the rate
    expect(rateOf(153, 153)).toBe(1000);
    expect(rateOf(154, 153)).toBe(1007);
    expect(() => rateOf(1, 0)).toThrow(RangeError);
  });

  it.each([
    ['no estimate: the fallback rate', S, NODE, { ok: true, fee: 153, capped: false }],
    ['the estimate when the node has one', S, { ...NODE, estimate: 12_345 }, { ok: true, fee: 1889, capped: false }],
    ['never below the relay minimum', { ...S, fallbackRate: 200 }, NODE, { ok: true, fee: 153, capped: false }],
    ['an estimate above the cap pays the cap', { ...S, maxFee: 1000 }, { ...NODE, estimate: 50_000 }, { ok: true, fee: 1000, capped: true }],
    ['a relay minimum above the cap: nothing can be sent', { ...S, maxFee: 100 }, NODE, { ok: false, code: 'fee-cap', needed: 153, cap: 100 }],
  ] as const)('first fee: %s', (_name, settings, facts, want) => {
    expect(firstFee(settings, facts, 153)).toEqual(want);
  });

  it('replacement floor is BIP125 rules 3 and 4: old fee plus incremental relay fee for the new size', () => {
    expect(replacementFloor(NODE, 153, 300)).toBe(453);
    expect(replacementFloor({ ...NODE, incrementalFee: 5000 }, 153, 300)).toBe(1065);
  });

  it.each([
    ['previous rate plus the increment', S, NODE, { fee: 306, vsize: 153 }, { ok: true, fee: 459, capped: false }],
    ['the floor when the increment is smaller', { ...S, increment: 100 }, NODE, { fee: 306, vsize: 153 }, { ok: true, fee: 459, capped: false }],
    ['a higher estimate wins', S, { ...NODE, estimate: 20_000 }, { fee: 306, vsize: 153 }, { ok: true, fee: 3060, capped: false }],
    ['a larger node increment raises the floor', S, { ...NODE, incrementalFee: 10_000 }, { fee: 306, vsize: 153 }, { ok: true, fee: 1836, capped: false }],
    ['target above the cap, floor below: pays the cap', { ...S, maxFee: 700, increment: 3000 }, NODE, { fee: 306, vsize: 153 }, { ok: true, fee: 700, capped: true }],
    ['floor above the cap: impossible, the previous version stays', { ...S, maxFee: 700 }, NODE, { fee: 700, vsize: 153 }, { ok: false, code: 'fee-cap', needed: 853, cap: 700 }],
  ] as const)('replacement: %s', (_name, settings, facts, previous, want) => {
    expect(replacementFee(settings, facts, 153, previous)).toEqual(want);
  });

  it.each([
    ['times the factor, rounded up', 1000, S, { ok: true, fee: 1250, capped: false }],
    ['at least one satoshi more', 2, S, { ok: true, fee: 3, capped: false }],
    ['up to the cap exactly', 900, { ...S, maxFee: 1000 }, { ok: true, fee: 1000, capped: true }],
    ['not beyond it', 1000, { ...S, maxFee: 1000 }, { ok: false, code: 'fee-cap', needed: 1001, cap: 1000 }],
  ] as const)('after a refusal: %s', (_name, refused, settings, want) => {
    expect(raiseAfterRejection(settings, 153, refused)).toEqual(want);
  });

  it('over many random inputs: never above the cap, never below the relay or BIP125 floor', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      const s: FeeSettings = { fallbackRate: 1 + rnd(50_000), increment: rnd(20_000), maxRate: 1 + rnd(1_000_000), maxFee: 1 + rnd(200_000), rejectionFactor: 1.25 };
      const facts: NodeFeeFacts = { estimate: rnd(2) === 0 ? undefined : rnd(100_000), relayFee: rnd(5000), incrementalFee: rnd(5000) };
      const vsize = 100 + rnd(300);
      const cap = feeCap(s, vsize);
      const first = firstFee(s, facts, vsize);
      if (first.ok) {
        expect(first.fee).toBeLessThanOrEqual(cap);
        expect(first.fee * 1000).toBeGreaterThanOrEqual(facts.relayFee * vsize);
      } else expect(first.needed).toBeGreaterThan(cap);
      const previous = { fee: rnd(cap + 1), vsize };
      const next = replacementFee(s, facts, vsize, previous);
      if (next.ok) {
        expect(next.fee).toBeLessThanOrEqual(cap);
        expect(next.fee).toBeGreaterThanOrEqual(replacementFloor(facts, vsize, previous.fee));
      } else expect(replacementFloor(facts, vsize, previous.fee)).toBeGreaterThan(cap);
    }
  });
});
