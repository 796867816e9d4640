/** @module Node JSON kept exact (decimals stay text) and narrowed from `unknown` by small validators (style rule 6). */
import { amountToSats, feeRateToSatPerKvB } from './amount.js';
import { decodeHexField } from './hex.js';

/**
 * A JSON number that a double could not hold exactly: any number with a fraction or exponent (every
 * amount and fee rate Core prints) and integers beyond 2^53. Its source text is kept.
 */
export class JsonDecimal {
  constructor(readonly text: string) {}
}

/** A value of the wrong shape in a node answer. `path` names the field, e.g. `tx[3]`. */
export class JsonShapeError extends TypeError {
  readonly code = 'json-shape';
  constructor(
    readonly path: string,
    expected: string,
    got: unknown,
  ) {
    super(`"${path}" expected ${expected}, got ${describe(got)}`);
    this.name = 'JsonShapeError';
  }
}

function describe(v: unknown): string {
  if (v instanceof JsonDecimal) return v.text;
  if (typeof v === 'string') return v.length > 80 ? `a string of ${v.length} chars` : JSON.stringify(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
}

// Strings first so digits inside them are skipped; then any number token. Valid JSON has no other place
// where a digit can start a token.
const TOKEN_RE = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const NUL = '\u0000';
const ESCAPED_NUL = '\\u0000';

/**
 * `JSON.parse` that turns inexact numbers into {@link JsonDecimal}. Such numbers are rewritten as
 * strings marked with a leading NUL before parsing and revived afterwards; a genuine string that
 * itself starts with NUL gets a second NUL so it can never be mistaken for a number.
 */
export function parseJsonExact(text: string): unknown {
  const marked = text.replace(TOKEN_RE, (tok) => {
    if (tok.startsWith('"')) return tok.startsWith(`"${ESCAPED_NUL}`) ? `"${ESCAPED_NUL}${tok.slice(1)}` : tok;
    const exact = !/[.eE]/.test(tok) && Number.isSafeInteger(Number(tok));
    return exact ? tok : `"${ESCAPED_NUL}${tok}"`;
  });
  return JSON.parse(marked, (_key, value: unknown) => {
    if (typeof value !== 'string' || !value.startsWith(NUL)) return value;
    return value.startsWith(NUL + NUL) ? value.slice(1) : new JsonDecimal(value.slice(1));
  });
}

export function asObject(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof JsonDecimal) throw new JsonShapeError(path, 'an object', v);
  return v as Record<string, unknown>;
}

export function asArray(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new JsonShapeError(path, 'an array', v);
  return v;
}

export function asString(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new JsonShapeError(path, 'a string', v);
  return v;
}

export function asBool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new JsonShapeError(path, 'a boolean', v);
  return v;
}

/** A safe integer (negative allowed: `confirmations` is -1 for a stale block, negative for a conflicted tx). */
export function asInt(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new JsonShapeError(path, 'an integer', v);
  return v;
}

export function asUint(v: unknown, path: string): number {
  const n = asInt(v, path);
  if (n < 0) throw new JsonShapeError(path, 'a non-negative integer', v);
  return n;
}

/** Any JSON number as a double, for values that are not money (difficulty, verification progress). */
export function asNumber(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (v instanceof JsonDecimal) return Number(v.text);
  throw new JsonShapeError(path, 'a number', v);
}

/** A coin amount as integer satoshis, from the exact decimal text. */
export function asSats(v: unknown, path: string): number {
  if (v instanceof JsonDecimal) return amountToSats(v.text, path);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return amountToSats(String(v), path);
  throw new JsonShapeError(path, 'an amount', v);
}

/** A fee rate in coins/kvB as integer satoshis per kvB. */
export function asSatPerKvB(v: unknown, path: string): number {
  if (v instanceof JsonDecimal) return feeRateToSatPerKvB(v.text, path);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return feeRateToSatPerKvB(String(v), path);
  throw new JsonShapeError(path, 'a fee rate', v);
}

/** Hex of any even length (or exactly `length` bytes), decoded. */
export function asHexBytes(v: unknown, path: string, length?: number): Uint8Array {
  return decodeHexField(asString(v, path), path, length);
}

/** A 32-byte hash in display hex, checked and lower-cased (txids, block hashes). */
export function asHash(v: unknown, path: string): string {
  const s = asString(v, path);
  if (!/^[0-9a-fA-F]{64}$/.test(s)) throw new JsonShapeError(path, 'a 64-digit hex hash', v);
  return s.toLowerCase();
}

/** `undefined` when the field is absent (or null), else the validated value. */
export function optional<T>(v: unknown, path: string, check: (v: unknown, path: string) => T): T | undefined {
  return v === undefined || v === null ? undefined : check(v, path);
}

export function arrayOf<T>(v: unknown, path: string, check: (v: unknown, path: string) => T): T[] {
  return asArray(v, path).map((item, i) => check(item, `${path}[${i}]`));
}
