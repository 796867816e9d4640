// The hand-made edge cases of ots-format.md §12 (plus the limit pairs of §3 and §6): each input is run
// through python-opentimestamps live and through our reader; both must accept or reject alike, with the
// same message, and our result must be the one the spec states.
import { describe, expect, it } from 'vitest';
import {
  BytesReader,
  DetachedTimestampFile,
  HEADER_MAGIC,
  InvalidAttestationError,
  InvalidOpResultError,
  LengthLimitError,
  RecursionLimitError,
  Timestamp,
  TrailingGarbageError,
  TruncationError,
  UnknownOpTagError,
  bytesToHex,
  decodeAttestation,
  type DeserializationError,
} from '../../src/ots/index.js';
import { type DumpRow, type OracleRequest, askPython } from '../fixtures/python/oracle.js';
import { attDumpString, dumpTree } from './helpers.js';

const P = '83dfe30d2ef90c8e0706666f6f626172'; // PendingAttestation('foobar')
const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const X = hex('x');

type Kind = 'timestamp' | 'attestation' | 'detached';
interface Row {
  name: string;
  kind: Kind;
  input: string;
  msg?: string;
  /** Undefined: accepted. Otherwise our error class and python's exception class. */
  error?: [new (...args: never[]) => DeserializationError, string];
  check?: (ours: unknown) => void;
}

const rows: Row[] = [
  {
    name: '00 P: one pending attestation',
    kind: 'timestamp',
    input: `00${P}`,
    msg: X,
    check: (t) => expect((t as Timestamp).attestations).toEqual([{ kind: 'pending', uri: 'foobar' }]),
  },
  {
    name: 'ff00 P 00 P: the duplicate collapses and re-encodes as 00 P',
    kind: 'timestamp',
    input: `ff00${P}00${P}`,
    msg: X,
    check: (t) => expect(bytesToHex((t as Timestamp).toBytes())).toBe(`00${P}`),
  },
  { name: 'f0 00: zero-length append argument', kind: 'timestamp', input: `f00000${P}`, msg: X, error: [LengthLimitError, 'DeserializationError'] },
  {
    name: 'f0 8120 a×4097: argument over 4096 bytes',
    kind: 'timestamp',
    input: `f08120${'61'.repeat(4097)}00${P}`,
    msg: X,
    error: [LengthLimitError, 'DeserializationError'],
  },
  { name: 'f0 01 00 on 4095 bytes: result of 4096 is fine', kind: 'timestamp', input: `f0010000${P}`, msg: '78'.repeat(4095) },
  {
    name: 'f0 01 00 on 4096 bytes: result of 4097 is refused',
    kind: 'timestamp',
    input: `f0010000${P}`,
    msg: '78'.repeat(4096),
    error: [InvalidOpResultError, 'DeserializationError'],
  },
  { name: 'f3 on 2048 bytes: hexlify accepted', kind: 'timestamp', input: `f300${P}`, msg: '78'.repeat(2048) },
  {
    name: 'f3 on 2049 bytes: hexlify message too long',
    kind: 'timestamp',
    input: `f300${P}`,
    msg: '78'.repeat(2049),
    error: [InvalidOpResultError, 'DeserializationError'],
  },
  {
    name: 'f3 on the empty message: nothing to hexlify',
    kind: 'timestamp',
    input: `f300${P}`,
    msg: '',
    error: [InvalidOpResultError, 'DeserializationError'],
  },
  {
    name: 'f2 on abc: reverse gives cba',
    kind: 'timestamp',
    input: `f200${P}`,
    msg: hex('abc'),
    check: (t) => expect(bytesToHex([...(t as Timestamp).ops.values()][0]?.child.msg ?? new Uint8Array())).toBe(hex('cba')),
  },
  {
    name: 'f2 on the empty message: nothing to reverse',
    kind: 'timestamp',
    input: `f200${P}`,
    msg: '',
    error: [InvalidOpResultError, 'DeserializationError'],
  },
  {
    name: '02 on the empty message: sha1 child',
    kind: 'timestamp',
    input: `0200${P}`,
    msg: '',
    check: (t) =>
      expect(bytesToHex([...(t as Timestamp).ops.values()][0]?.child.msg ?? new Uint8Array())).toBe(
        'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      ),
  },
  { name: '09: unknown op tag', kind: 'timestamp', input: `0900${P}`, msg: X, error: [UnknownOpTagError, 'DeserializationError'] },
  { name: '08×255: the deepest path python reads', kind: 'timestamp', input: `${'08'.repeat(255)}00${P}`, msg: '' },
  {
    name: '08×256: one op too deep',
    kind: 'timestamp',
    input: `${'08'.repeat(256)}00${P}`,
    msg: '',
    error: [RecursionLimitError, 'RecursionLimitError'],
  },
  { name: 'ff ff 00 P truncated after a fork marker', kind: 'timestamp', input: `ff00${P}ff`, msg: X, error: [TruncationError, 'TruncationError'] },
  { name: 'empty input', kind: 'timestamp', input: '', msg: X, error: [TruncationError, 'TruncationError'] },
  {
    name: 'pending URI a?=b: invalid character',
    kind: 'attestation',
    input: '83dfe30d2ef90c8e0504613f3d62',
    error: [InvalidAttestationError, 'DeserializationError'],
  },
  {
    name: 'pending URI with a byte above 0x7f',
    kind: 'attestation',
    input: '83dfe30d2ef90c8e03026180',
    error: [InvalidAttestationError, 'DeserializationError'],
  },
  {
    name: 'pending URI empty: accepted',
    kind: 'attestation',
    input: '83dfe30d2ef90c8e0100',
    check: (a) => expect(a).toEqual({ kind: 'pending', uri: '' }),
  },
  { name: 'pending URI of 1000 bytes: accepted', kind: 'attestation', input: `83dfe30d2ef90c8eea07e807${'78'.repeat(1000)}` },
  {
    name: 'pending URI of 1001 bytes: refused',
    kind: 'attestation',
    input: `83dfe30d2ef90c8eeb07e907${'78'.repeat(1001)}`,
    error: [LengthLimitError, 'DeserializationError'],
  },
  {
    name: 'pending payload with bytes after the URI',
    kind: 'attestation',
    input: `83dfe30d2ef90c8e0806${hex('foobar')}00`,
    error: [TrailingGarbageError, 'TrailingGarbageError'],
  },
  { name: 'bitcoin without a height: truncated', kind: 'attestation', input: '0588960d73d7190100', error: [TruncationError, 'TruncationError'] },
  {
    name: 'bitcoin height followed by garbage',
    kind: 'attestation',
    input: '0588960d73d7190102 00ff'.replace(' ', ''),
    error: [TrailingGarbageError, 'TrailingGarbageError'],
  },
  {
    name: 'bitcoin height in non-minimal form (87 00 = 7): accepted',
    kind: 'attestation',
    input: '0588960d73d71901028700',
    check: (a) => expect(a).toEqual({ kind: 'bitcoin', height: 7 }),
  },
  {
    name: 'litecoin height 5',
    kind: 'attestation',
    input: '06869a0d73d71b450105',
    check: (a) => expect(a).toEqual({ kind: 'litecoin', height: 5 }),
  },
  { name: 'unknown payload of 8192 bytes: accepted', kind: 'attestation', input: `41424344454647488040${'78'.repeat(8192)}` },
  {
    name: 'unknown payload of 8193 bytes: refused',
    kind: 'attestation',
    input: `41424344454647488140${'78'.repeat(8193)}`,
    error: [LengthLimitError, 'DeserializationError'],
  },
  {
    name: 'pending payload of 8193 bytes: refused',
    kind: 'attestation',
    input: `83dfe30d2ef90c8e8140${'78'.repeat(8193)}`,
    error: [LengthLimitError, 'DeserializationError'],
  },
  {
    name: 'keccak256 as the file hash op: accepted',
    kind: 'detached',
    input: `${bytesToHex(HEADER_MAGIC)}0167${'11'.repeat(32)}00${P}`,
    check: (f) => expect((f as DetachedTimestampFile).fileHashOp.name).toBe('keccak256'),
  },
  {
    name: 'append as the file hash op: refused',
    kind: 'detached',
    input: `${bytesToHex(HEADER_MAGIC)}01f0010000${P}`,
    error: [UnknownOpTagError, 'DeserializationError'],
  },
];

function decodeOurs(row: Row): unknown {
  const bytes = Buffer.from(row.input, 'hex');
  if (row.kind === 'timestamp') return Timestamp.fromBytes(bytes, Buffer.from(row.msg ?? '', 'hex'));
  if (row.kind === 'attestation') return decodeAttestation(new BytesReader(bytes));
  return DetachedTimestampFile.fromBytes(bytes);
}

function request(row: Row): OracleRequest {
  if (row.kind === 'timestamp') return { op: 'timestamp', hex: row.input, msg: row.msg ?? '' };
  return { op: row.kind, hex: row.input };
}

describe('ots-format.md §12 edge cases: same verdict and message as python', () => {
  const python = askPython(rows.map(request));

  it.each(rows.map((row, i) => [row.name, row, i] as const))('%s', (_name, row, i) => {
    const py = python[i];
    if (py === undefined) throw new Error('no python answer');
    let ours: unknown;
    let error: unknown;
    try {
      ours = decodeOurs(row);
    } catch (e) {
      error = e;
    }
    if (row.error === undefined) {
      expect(error).toBeUndefined();
      expect(py.ok, py.ok ? '' : py.message).toBe(true);
      if (row.kind === 'attestation' && py.ok) {
        expect(attDumpString(ours as never)).toBe(py.att);
      }
      row.check?.(ours);
    } else {
      expect(error).toBeInstanceOf(row.error[0]);
      expect(py.ok).toBe(false);
      if (!py.ok) {
        expect(py.error).toBe(row.error[1]);
        expect((error as Error).message).toBe(py.message);
      }
    }
  });

  it('a repeated op at one node: python keeps the last branch, we merge both (no attestation is lost)', () => {
    const input = `ff0800${P}0800${'83dfe30d2ef90c8e0706'}${hex('barfoo')}`;
    const [py] = askPython([{ op: 'timestamp', hex: input, msg: X }]);
    if (py === undefined || !py.ok) throw new Error('python rejected the input');
    const pyDump = py.dump as DumpRow[];
    expect(pyDump[1]?.[3]).toEqual(['pending:barfoo']);

    const ours = Timestamp.fromBytes(Buffer.from(input, 'hex'), Buffer.from(X, 'hex'));
    const dump = dumpTree(ours);
    expect(dump).toHaveLength(2);
    expect(dump[1]?.[3]).toEqual(['pending:barfoo', 'pending:foobar']);
    // Same tree shape and messages as python's; only the dropped branch differs.
    expect(dump.map((r) => r.slice(0, 3))).toEqual(pyDump.map((r) => r.slice(0, 3)));
  });

  it('a bare timestamp ignores bytes after the tree, as both clients do, and python stops at the same offset', () => {
    const input = `00${P}deadbeef`;
    const [py] = askPython([{ op: 'timestamp', hex: input, msg: X }]);
    const r = new BytesReader(Buffer.from(input, 'hex'));
    Timestamp.decode(r, Buffer.from(X, 'hex'));
    expect(py?.ok).toBe(true);
    expect(r.pos).toBe(py?.ok ? py.pos : -1);
    expect(r.remaining()).toBe(4);
  });
});
