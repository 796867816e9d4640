import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import {
  COMMIT_RECORD_BYTES,
  ChecksumMismatchError,
  MAX_RECORD_PAYLOAD,
  MalformedRecordError,
  RecordDecodeError,
  TrailingBytesError,
  TruncatedRecordError,
  decodeRecord,
  decodeRecordAt,
  encodeRecord,
  type JournalRecord,
} from '../../src/journal/index.js';
import { anchor, commitment } from './fixtures/journal-fixture.js';

/** Builds a frame by hand (length, type, seq as two u32, payload, CRC), bypassing the encoder's checks. */
function frame(type: number, seqLo: number, seqHi: number, payload: Uint8Array, lengthField = payload.length): Buffer {
  const head = Buffer.alloc(13);
  head.writeUInt32LE(lengthField, 0);
  head[4] = type;
  head.writeUInt32LE(seqLo, 5);
  head.writeUInt32LE(seqHi, 9);
  const body = Buffer.concat([head, payload]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body), 0);
  return Buffer.concat([body, crc]);
}

const samples: JournalRecord[] = [
  { seq: 0, type: 'commit', commitment: commitment(1) },
  { seq: 2 ** 53 - 1, type: 'commit', commitment: commitment(2) },
  { seq: 70_000, type: 'anchor', anchor: anchor(3, [{ start: 10, end: 20 }, { start: 0, end: 5 }, { start: 2 ** 53 - 2, end: 2 ** 53 - 1 }]) },
  { seq: 5, type: 'revocation', revocation: { anchorSeq: 4, reason: 'reorg: block 00ab… replaced at depth 7 ✓' } },
  { seq: 6, type: 'revocation', revocation: { anchorSeq: 0, reason: '' } },
];

describe('record frame codec', () => {
  it('round-trips every record kind', () => {
    for (const r of samples) {
      const bytes = encodeRecord(r);
      expect(decodeRecord(bytes)).toEqual(r);
      expect(decodeRecordAt(bytes, 0).length).toBe(bytes.length);
    }
  });

  it('decodes into copies by default, and into views of the bytes read when asked (a file read whole and kept)', () => {
    const bytes = Buffer.concat(samples.map((r) => encodeRecord(r)));
    let at = 0;
    for (const r of samples) {
      const copied = decodeRecordAt(bytes, at);
      const viewed = decodeRecordAt(bytes, at, false);
      expect(viewed).toEqual(copied);
      expect(copied.record).toEqual(r);
      const fields = (d: typeof copied): Uint8Array[] =>
        d.record.type === 'commit' ? [d.record.commitment] : d.record.type === 'anchor' ? [d.record.anchor.tip, d.record.anchor.timestamp] : [];
      for (const f of fields(copied)) expect(f.buffer).not.toBe(bytes.buffer);
      for (const f of fields(viewed)) expect(f.buffer).toBe(bytes.buffer);
      at += copied.length;
    }
  });

  it('lays out a commit record as length ‖ type ‖ seq ‖ commitment ‖ crc32 in 61 bytes', () => {
    const c = commitment(9);
    const bytes = Buffer.from(encodeRecord({ seq: 0x0102030405, type: 'commit', commitment: c }));
    expect(bytes.length).toBe(COMMIT_RECORD_BYTES);
    expect(COMMIT_RECORD_BYTES).toBe(61);
    expect(bytes).toEqual(frame(1, 0x02030405, 0x01, Buffer.from(c)));
  });

  it('rejects every truncation of every kind as truncated', () => {
    for (const r of samples) {
      const bytes = encodeRecord(r);
      for (let n = 0; n < bytes.length; n++) {
        expect(() => decodeRecord(bytes.subarray(0, n)), `${r.type} cut to ${n}`).toThrow(TruncatedRecordError);
      }
    }
  });

  it('detects every single-bit flip', () => {
    for (const r of samples) {
      const bytes = encodeRecord(r);
      for (let bit = 0; bit < bytes.length * 8; bit++) {
        const bad = bytes.slice();
        flip(bad, bit >> 3, 1 << (bit & 7));
        expect(() => decodeRecord(bad), `${r.type} bit ${bit}`).toThrow(RecordDecodeError);
      }
    }
  });

  it('reports a bad checksum as such', () => {
    const bytes = encodeRecord(samples[0] as JournalRecord);
    flip(bytes, 20, 0xff);
    expect(() => decodeRecord(bytes)).toThrow(ChecksumMismatchError);
    const tail = encodeRecord(samples[0] as JournalRecord);
    flip(tail, tail.length - 1, 1);
    expect(() => decodeRecord(tail)).toThrow(ChecksumMismatchError);
  });

  it('rejects unknown record types even under a valid checksum', () => {
    for (const type of [0, 4, 255]) {
      const err = catchError(() => decodeRecord(frame(type, 0, 0, Buffer.from(commitment(0)))));
      expect(err).toBeInstanceOf(MalformedRecordError);
      expect((err as MalformedRecordError).reason).toBe('type');
    }
  });

  it('rejects trailing bytes after exactly one record, but decodeRecordAt leaves them to the caller', () => {
    const bytes = Buffer.concat([encodeRecord(samples[0] as JournalRecord), Buffer.from([0])]);
    expect(() => decodeRecord(bytes)).toThrow(TrailingBytesError);
    expect(decodeRecordAt(bytes, 0).length).toBe(61);
  });

  it('rejects absurd lengths from the header alone, at the limit N+1 and beyond', () => {
    for (const n of [MAX_RECORD_PAYLOAD + 1, 0xffffffff]) {
      const header = frame(2, 0, 0, Buffer.alloc(0), n).subarray(0, 13);
      const err = catchError(() => decodeRecord(header));
      expect(err).toBeInstanceOf(MalformedRecordError);
      expect((err as MalformedRecordError).reason).toBe('length');
    }
    // exactly N passes the length check and is then merely truncated
    expect(() => decodeRecord(frame(2, 0, 0, Buffer.alloc(0), MAX_RECORD_PAYLOAD).subarray(0, 13))).toThrow(TruncatedRecordError);
  });

  it('accepts a payload of exactly MAX_RECORD_PAYLOAD bytes and refuses to encode one byte more', () => {
    const big = { seq: 1, type: 'anchor' as const, anchor: { ...anchor(1), timestamp: new Uint8Array(MAX_RECORD_PAYLOAD - 32 - 4 - 16 - 4) } };
    const back = decodeRecord(encodeRecord(big));
    // compared as buffers: a deep toEqual over a MiB of elements is slow
    expect(back.type === 'anchor' && Buffer.compare(back.anchor.timestamp, big.anchor.timestamp)).toBe(0);
    expect(back.type === 'anchor' && back.anchor.ranges).toEqual(big.anchor.ranges);
    const over = { ...big, anchor: { ...big.anchor, timestamp: new Uint8Array(MAX_RECORD_PAYLOAD - 32 - 4 - 16 - 4 + 1) } };
    expect(() => encodeRecord(over)).toThrow(RangeError);
  });

  it('rejects seqs beyond 2^53 − 1 and commit payloads that are neither 44 nor 36 (legacy) bytes', () => {
    const seq = catchError(() => decodeRecord(frame(1, 0, 2 ** 21, Buffer.from(commitment(0)))));
    expect((seq as MalformedRecordError).reason).toBe('seq');
    for (const n of [0, 35, 37, 43, 45]) {
      const err = catchError(() => decodeRecord(frame(1, 0, 0, Buffer.alloc(n))));
      expect((err as MalformedRecordError).reason).toBe('commit-length');
    }
    expect(decodeRecord(frame(1, 0xffffffff, 2 ** 21 - 1, Buffer.from(commitment(0)))).seq).toBe(2 ** 53 - 1);
  });

  it('keeps a legacy 36-byte commitment as it is: a 53-byte record that reads back unchanged', () => {
    const legacy = commitment(5).subarray(0, 36);
    const bytes = encodeRecord({ seq: 7, type: 'commit', commitment: legacy });
    expect(bytes.length).toBe(COMMIT_RECORD_BYTES - 8);
    const back = decodeRecord(bytes);
    expect(back.type === 'commit' && Buffer.from(back.commitment).toString('hex')).toBe(Buffer.from(legacy).toString('hex'));
    // a frame written by hand decodes the same way
    expect(decodeRecord(frame(1, 7, 0, Buffer.from(legacy)))).toEqual(back);
  });

  it('refuses to encode invalid seqs and commitments', () => {
    for (const seq of [-1, 2 ** 53, 1.5, Number.NaN]) {
      expect(() => encodeRecord({ seq, type: 'commit', commitment: commitment(0) })).toThrow(RangeError);
    }
    expect(() => encodeRecord({ seq: 0, type: 'commit', commitment: new Uint8Array(43) })).toThrow(RangeError);
    expect(() => encodeRecord({ seq: 0, type: 'commit', commitment: 'x' as unknown as Uint8Array })).toThrow(TypeError);
  });

  it('throws only decode errors on random input', () => {
    let state = 0x12345678;
    const rand = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    for (let i = 0; i < 5_000; i++) {
      const bytes = new Uint8Array(rand() % 120);
      for (let k = 0; k < bytes.length; k++) bytes[k] = rand() & 0xff;
      // sometimes a plausible header, so the deeper checks run too
      if (bytes.length >= 13 && i % 2 === 0) new DataView(bytes.buffer).setUint32(0, Math.max(0, bytes.length - 17), true);
      const err = catchError(() => decodeRecord(bytes));
      expect(err).toBeInstanceOf(RecordDecodeError);
    }
  });
});

function flip(bytes: Uint8Array, at: number, mask: number): void {
  bytes[at] = (bytes[at] as number) ^ mask;
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
