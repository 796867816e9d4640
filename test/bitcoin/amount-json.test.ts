// Money without floating point: decimal amounts to satoshis and back, and node JSON parsed with its decimals kept exact.
import { describe, expect, it } from 'vitest';
import { AmountError, JsonDecimal, amountToSats, feeForVsize, feeRateToSatPerKvB, parseJsonExact, satsToAmount } from '../../src/bitcoin/index.js';

describe('amountToSats / satsToAmount', () => {
  it('converts the forms Core prints', () => {
    expect(amountToSats('50.00000000')).toBe(5_000_000_000);
    expect(amountToSats('0.00000001')).toBe(1);
    expect(amountToSats('0.00003060')).toBe(3060);
    expect(amountToSats('-0.00003060')).toBe(-3060);
    expect(amountToSats('-0.00000000')).toBe(0);
    expect(amountToSats('7')).toBe(700_000_000);
    expect(amountToSats('1.5')).toBe(150_000_000);
    expect(amountToSats('1.123456780')).toBe(112_345_678);
  });

  it('stays exact where a double does not: near Litecoin\'s 84M-coin supply', () => {
    const text = '34788999.49999955';
    expect(amountToSats(text)).toBe(3_478_899_949_999_955);
    // The float route a naive client takes lands one satoshi off.
    expect(Math.round(Number(text) * 1e8)).toBe(3_478_899_949_999_956);
    expect(satsToAmount(3_478_899_949_999_955)).toBe(text);
    expect(amountToSats('83999999.99999999')).toBe(8_399_999_999_999_999);
  });

  it('refuses sub-satoshi precision, exponents, junk and amounts beyond 2^53 sat', () => {
    for (const bad of ['1.123456789', '1e-8', '0x10', '', '.5', '1.', ' 1', '+1', '100000000000.00000000']) {
      expect(() => amountToSats(bad), bad).toThrow(AmountError);
    }
  });

  it('round-trips every satoshi value it formats', () => {
    for (const sats of [0, 1, 99, 100_000_000, 123_456_789_012, -42, 2_100_000_000_000_000, Number.MAX_SAFE_INTEGER]) {
      expect(amountToSats(satsToAmount(sats))).toBe(sats);
    }
    expect(satsToAmount(12_345)).toBe('0.00012345');
    expect(() => satsToAmount(0.5)).toThrow(AmountError);
  });

  it('reads fee rates as integer sat/kvB and rounds fees up', () => {
    expect(feeRateToSatPerKvB('0.00001000')).toBe(1000);
    expect(feeRateToSatPerKvB('0.00010000')).toBe(10_000);
    expect(feeForVsize(153, 1000)).toBe(153);
    expect(feeForVsize(153, 1234)).toBe(189); // 188.802 rounded up
    expect(feeForVsize(0, 5000)).toBe(0);
    expect(() => feeForVsize(153.5, 1000)).toThrow(RangeError);
  });
});

describe('parseJsonExact', () => {
  it('keeps every fractional or exponent number as decimal text, integers as numbers', () => {
    const v = parseJsonExact('{"result":{"amount":50.00000000,"blocks":101,"neg":-0.1,"exp":4.6e-10,"list":[1,2.50]},"error":null,"id":1}') as {
      result: { amount: JsonDecimal; blocks: number; neg: JsonDecimal; exp: JsonDecimal; list: [number, JsonDecimal] };
    };
    expect(v.result.amount).toBeInstanceOf(JsonDecimal);
    expect(v.result.amount.text).toBe('50.00000000');
    expect(v.result.blocks).toBe(101);
    expect(v.result.neg.text).toBe('-0.1');
    expect(v.result.exp.text).toBe('4.6e-10');
    expect(v.result.list[0]).toBe(1);
    expect(v.result.list[1].text).toBe('2.50');
  });

  it('keeps integers above 2^53 exact too', () => {
    const v = parseJsonExact('[9007199254740993, 9007199254740991]') as [JsonDecimal, number];
    expect(v[0]).toBeInstanceOf(JsonDecimal);
    expect(v[0].text).toBe('9007199254740993');
    expect(v[1]).toBe(9007199254740991);
  });

  it('leaves digits inside strings alone, escaped quotes included, and cannot be fooled by a NUL-led string', () => {
    const v = parseJsonExact('{"a":"1.5","b":"say \\"2.5\\"","c":"\\u00001.5","d":"\\u0000\\u0000x"}') as Record<string, unknown>;
    expect(v.a).toBe('1.5');
    expect(v.b).toBe('say "2.5"');
    expect(v.c).toBe('\u00001.5');
    expect(v.d).toBe('\u0000\u0000x');
  });

  it('still rejects what is not JSON', () => {
    expect(() => parseJsonExact('{"a":1.5')).toThrow(SyntaxError);
    expect(() => parseJsonExact('<html>')).toThrow(SyntaxError);
  });
});
