/** @module Exact conversion between the node's decimal coin amounts and integer satoshis, without floating point. */

/** Satoshis per coin (Bitcoin and Litecoin alike). */
export const COIN = 100_000_000;
const DECIMALS = 8;
const AMOUNT_RE = /^(-?)(\d+)(?:\.(\d+))?$/;

/** A decimal amount that is not a whole number of satoshis, or too large to be money. */
export class AmountError extends RangeError {
  readonly code = 'bad-amount';
  constructor(name: string, detail: string) {
    super(`"${name}" expected a coin amount, got ${detail}`);
    this.name = 'AmountError';
  }
}

/**
 * Converts decimal text such as "50.00000000" (how Core prints every amount) to satoshis by string
 * arithmetic. A double cannot do this: above 2^25 coins (Litecoin's supply reaches 84M) adjacent
 * satoshi amounts share one double. More than 8 decimals is refused unless the extra digits are zeros.
 */
export function amountToSats(text: string, name = 'amount'): number {
  const m = AMOUNT_RE.exec(text);
  if (!m) throw new AmountError(name, JSON.stringify(text));
  const [, sign, whole = '', frac = ''] = m;
  if (frac.length > DECIMALS && !/^0+$/.test(frac.slice(DECIMALS))) throw new AmountError(name, `${text} (finer than one satoshi)`);
  const digits = (whole + frac.slice(0, DECIMALS).padEnd(DECIMALS, '0')).replace(/^0+(?=\d)/, '');
  const sats = Number(digits);
  if (!Number.isSafeInteger(sats)) throw new AmountError(name, `${text} (beyond any money supply)`);
  return sign === '-' && sats !== 0 ? -sats : sats;
}

/** Satoshis as the decimal text Core accepts for an amount ("0.00012345"); exact for every safe integer. */
export function satsToAmount(sats: number): string {
  if (!Number.isSafeInteger(sats)) throw new AmountError('sats', String(sats));
  const abs = Math.abs(sats);
  const whole = Math.floor(abs / COIN);
  const frac = String(abs % COIN).padStart(DECIMALS, '0');
  return `${sats < 0 ? '-' : ''}${whole}.${frac}`;
}

/**
 * Fee rates. Core reports them in coins per 1000 virtual bytes with 8 decimals, which is exactly an
 * integer number of satoshis per kvB, so the whole fee pipeline stays in integers.
 */
export function feeRateToSatPerKvB(text: string, name = 'feerate'): number {
  return amountToSats(text, name);
}

/** The fee for `vsize` virtual bytes at `satPerKvB`, rounded up so the rate paid is never below the rate asked. */
export function feeForVsize(vsize: number, satPerKvB: number): number {
  if (!Number.isSafeInteger(vsize) || vsize < 0) throw new RangeError(`"vsize" expected a non-negative integer, got ${vsize}`);
  if (!Number.isSafeInteger(satPerKvB) || satPerKvB < 0) throw new RangeError(`"satPerKvB" expected a non-negative integer, got ${satPerKvB}`);
  return Math.ceil((vsize * satPerKvB) / 1000);
}
