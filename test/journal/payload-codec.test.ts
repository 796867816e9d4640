import { describe, expect, it } from 'vitest';
import {
  MAX_ANCHOR_RANGES,
  MAX_REASON_BYTES,
  MalformedRecordError,
  TrailingBytesError,
  TruncatedRecordError,
  decodeAnchor,
  decodeRevocation,
  encodeAnchor,
  encodeRevocation,
  type AnchorRecord,
  type MalformedReason,
} from '../../src/journal/index.js';
import { anchor } from './fixtures/journal-fixture.js';

function reasonOf(fn: () => unknown): MalformedReason | string {
  try {
    fn();
  } catch (err) {
    return err instanceof MalformedRecordError ? err.reason : (err as Error).constructor.name;
  }
  return 'no error';
}

/** An anchor payload built by hand: tip, count, ranges as [lo, hi] u32 pairs, timestamp length and bytes. */
function anchorPayload(count: number, ranges: Array<[number, number, number, number]>, tsLength: number, ts: Uint8Array): Buffer {
  const head = Buffer.alloc(36);
  head.writeUInt32LE(count, 32);
  const body = ranges.map(([slo, shi, elo, ehi]) => {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(slo, 0);
    b.writeUInt32LE(shi, 4);
    b.writeUInt32LE(elo, 8);
    b.writeUInt32LE(ehi, 12);
    return b;
  });
  const len = Buffer.alloc(4);
  len.writeUInt32LE(tsLength, 0);
  return Buffer.concat([head, ...body, len, ts]);
}

describe('anchor payload', () => {
  it('round-trips, keeping ranges in leaf order', () => {
    const a: AnchorRecord = anchor(1, [{ start: 100, end: 105 }, { start: 7, end: 8 }, { start: 2 ** 40, end: 2 ** 40 + 3 }]);
    const bytes = encodeAnchor(a);
    expect(bytes.length).toBe(32 + 4 + 3 * 16 + 4 + a.timestamp.length);
    expect(decodeAnchor(bytes)).toEqual(a);
  });

  it('returns copies that do not alias the input', () => {
    const bytes = Buffer.from(encodeAnchor(anchor(2)));
    const a = decodeAnchor(bytes);
    bytes.fill(0);
    expect(a).toEqual(anchor(2));
  });

  it('rejects every truncation and trailing bytes', () => {
    const bytes = encodeAnchor(anchor(3));
    for (let n = 0; n < bytes.length; n++) expect(() => decodeAnchor(bytes.subarray(0, n))).toThrow(TruncatedRecordError);
    expect(() => decodeAnchor(Buffer.concat([bytes, Buffer.from([1])]))).toThrow(TrailingBytesError);
  });

  it('rejects range counts of 0, N+1 and absurd values before reading ranges', () => {
    const ts = Buffer.from([1]);
    expect(reasonOf(() => decodeAnchor(anchorPayload(0, [], 1, ts)))).toBe('anchor-ranges');
    expect(reasonOf(() => decodeAnchor(anchorPayload(MAX_ANCHOR_RANGES + 1, [], 1, ts)))).toBe('anchor-ranges');
    expect(reasonOf(() => decodeAnchor(anchorPayload(0xffffffff, [], 1, ts)))).toBe('anchor-ranges');
    // a plausible count with too few bytes is truncation, found before any range is read
    expect(reasonOf(() => decodeAnchor(anchorPayload(MAX_ANCHOR_RANGES, [[0, 0, 1, 0]], 1, ts)))).toBe('TruncatedRecordError');
  });

  it('rejects empty, reversed, overlapping and oversized ranges', () => {
    const ts = Buffer.from([1]);
    expect(reasonOf(() => decodeAnchor(anchorPayload(1, [[5, 0, 5, 0]], 1, ts)))).toBe('anchor-range');
    expect(reasonOf(() => decodeAnchor(anchorPayload(1, [[6, 0, 5, 0]], 1, ts)))).toBe('anchor-range');
    expect(reasonOf(() => decodeAnchor(anchorPayload(2, [[10, 0, 20, 0], [0, 0, 11, 0]], 1, ts)))).toBe('anchor-range');
    expect(reasonOf(() => decodeAnchor(anchorPayload(1, [[0, 0, 0, 2 ** 21]], 1, ts)))).toBe('anchor-range');
    // adjacent ranges do not overlap
    expect(decodeAnchor(anchorPayload(2, [[10, 0, 20, 0], [0, 0, 10, 0]], 1, ts)).ranges).toEqual([{ start: 10, end: 20 }, { start: 0, end: 10 }]);
  });

  it('rejects an empty timestamp and a timestamp length past the payload', () => {
    expect(reasonOf(() => decodeAnchor(anchorPayload(1, [[0, 0, 1, 0]], 0, Buffer.alloc(0))))).toBe('anchor-timestamp');
    expect(reasonOf(() => decodeAnchor(anchorPayload(1, [[0, 0, 1, 0]], 0xffffffff, Buffer.from([1]))))).toBe('TruncatedRecordError');
  });

  it('refuses to encode invalid anchors', () => {
    const ok = anchor(4);
    expect(() => encodeAnchor({ ...ok, tip: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => encodeAnchor({ ...ok, ranges: [] })).toThrow(RangeError);
    expect(() => encodeAnchor({ ...ok, ranges: [{ start: 3, end: 3 }] })).toThrow(RangeError);
    expect(() => encodeAnchor({ ...ok, ranges: [{ start: 0, end: 4 }, { start: 3, end: 9 }] })).toThrow(RangeError);
    expect(() => encodeAnchor({ ...ok, ranges: [{ start: -1, end: 3 }] })).toThrow(RangeError);
    expect(() => encodeAnchor({ ...ok, ranges: [{ start: 0.5, end: 3 }] })).toThrow(RangeError);
    expect(() => encodeAnchor({ ...ok, ranges: [{ start: 0, end: 2 ** 53 }] })).toThrow(RangeError);
    expect(() => encodeAnchor({ ...ok, timestamp: new Uint8Array(0) })).toThrow(RangeError);
    const many = Array.from({ length: MAX_ANCHOR_RANGES + 1 }, (_, i) => ({ start: 2 * i, end: 2 * i + 1 }));
    expect(() => encodeAnchor({ ...ok, ranges: many })).toThrow(RangeError);
    expect(decodeAnchor(encodeAnchor({ ...ok, ranges: many.slice(0, MAX_ANCHOR_RANGES) })).ranges.length).toBe(MAX_ANCHOR_RANGES);
  });
});

describe('revocation payload', () => {
  it('round-trips reasons, including non-ASCII, a leading BOM and the empty string', () => {
    for (const reason of ['', 'reorg', 'réorg — 深さ 7 🔗', '\uFEFFbom kept', 'x'.repeat(MAX_REASON_BYTES)]) {
      const r = { anchorSeq: 2 ** 53 - 1, reason };
      expect(decodeRevocation(encodeRevocation(r))).toEqual(r);
    }
  });

  it('rejects truncations, trailing bytes and over-long reasons', () => {
    const bytes = encodeRevocation({ anchorSeq: 3, reason: 'deep reorg' });
    for (let n = 0; n < bytes.length; n++) expect(() => decodeRevocation(bytes.subarray(0, n))).toThrow(TruncatedRecordError);
    expect(() => decodeRevocation(Buffer.concat([bytes, Buffer.from([0x41])]))).toThrow(TrailingBytesError);
    const long = Buffer.alloc(10 + MAX_REASON_BYTES + 1, 0x41);
    long.writeUInt16LE(MAX_REASON_BYTES + 1, 8);
    long.writeUInt32LE(0, 0);
    long.writeUInt32LE(0, 4);
    expect(reasonOf(() => decodeRevocation(long))).toBe('revocation-reason');
    expect(() => encodeRevocation({ anchorSeq: 0, reason: 'é'.repeat(MAX_REASON_BYTES / 2 + 1) })).toThrow(RangeError);
  });

  it('rejects invalid UTF-8 and an anchor seq beyond 2^53', () => {
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const bytes = Buffer.alloc(10 + bad.length);
      bytes.writeUInt16LE(bad.length, 8);
      Buffer.from(bad).copy(bytes, 10);
      expect(reasonOf(() => decodeRevocation(bytes))).toBe('revocation-reason');
    }
    const seq = Buffer.alloc(10);
    seq.writeUInt32LE(2 ** 21, 4);
    expect(reasonOf(() => decodeRevocation(seq))).toBe('revocation-anchor');
  });

  it('refuses to encode strings that would not read back the same', () => {
    expect(() => encodeRevocation({ anchorSeq: 0, reason: 'lone \uD800 surrogate' })).toThrow(RangeError);
    expect(() => encodeRevocation({ anchorSeq: -1, reason: '' })).toThrow(RangeError);
  });
});
