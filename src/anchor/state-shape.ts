/** @module Strict decoding of the strategies' JSON state files: a field of the wrong shape is an error naming its path, never a default. */
import { hexToBytes } from '../ots/index.js';

/** A state file's field is not what it must be; the state codecs turn it into a StamperStateError naming the file. */
export class StateShapeError extends Error {}

export function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new StateShapeError(`${path} is not an object`);
  return v as Record<string, unknown>;
}

export function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new StateShapeError(`${path} is not an array`);
  return v;
}

export function uint(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new StateShapeError(`${path} is not a non-negative integer`);
  return v;
}

/** A block or transaction hash: 64 lower-case hex digits. */
export function hash(v: unknown, path: string): string {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new StateShapeError(`${path} is not a 64-digit hash`);
  return v;
}

/** Bytes as lower-case hex; exactly `length` of them when given; none only when `length` is 0 or not given. */
export function hexBytes(v: unknown, path: string, length?: number): Uint8Array {
  if (typeof v !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(v) || (length !== undefined && v.length !== length * 2)) throw new StateShapeError(`${path} is not hex${length === undefined ? '' : ` of ${length} bytes`}`);
  return hexToBytes(v);
}
