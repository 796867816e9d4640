// Shared by the test/ots suites: the vector files, a flat dump of our trees (same format as the python
// and JS fixtures), and a seeded generator of random trees built with our API.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type Attestation,
  type Op,
  OP_HEXLIFY,
  OP_KECCAK256,
  OP_REVERSE,
  OP_RIPEMD160,
  OP_SHA1,
  OP_SHA256,
  DetachedTimestampFile,
  Timestamp,
  applyOp,
  bitcoinAttestation,
  bytesToHex,
  ethereumAttestation,
  litecoinAttestation,
  opAppend,
  opPrepend,
  pendingAttestation,
  unknownAttestation,
} from '../../src/ots/index.js';
import type { DumpRow } from '../fixtures/python/oracle.js';

/** The upstream vectors (real .ots files with the reference clients' decodings), kept in test/vectors/ (its README says where each comes from). */
export const VECTORS = fileURLToPath(new URL('../vectors/', import.meta.url));

export interface DecodedVector {
  error?: string;
  message?: string;
  size: number;
  file_hash_op?: string;
  file_hash_tag?: string;
  file_digest?: string;
  op_count?: number;
  max_path_ops?: number;
  python_reserialize_identical?: boolean;
  attestations?: Array<{
    type: string;
    tag: string;
    msg: string;
    height?: number;
    uri?: string;
    payload?: string;
    merkleroot_rpc_hex?: string;
  }>;
}

/** expected/decoded.json: python's decoding of every vector, keyed by path under vectors/. */
export const DECODED = JSON.parse(readFileSync(`${VECTORS}expected/decoded.json`, 'utf8')) as Record<string, DecodedVector>;

export function readVector(name: string): Uint8Array {
  return new Uint8Array(readFileSync(VECTORS + name));
}

export function opDumpKey(op: Op): string {
  const tag = op.tag.toString(16).padStart(2, '0');
  return op.arg === undefined ? tag : `${tag}:${bytesToHex(op.arg)}`;
}

export function attDumpString(a: Attestation, ethereumAsUnknown = false): string {
  switch (a.kind) {
    case 'pending':
      return `pending:${a.uri}`;
    case 'unknown':
      return `unknown:${bytesToHex(a.tag)}:${bytesToHex(a.payload)}`;
    case 'ethereum':
      // The JS client has no Ethereum class: it keeps the tag and the varuint payload as an unknown attestation.
      if (ethereumAsUnknown) {
        const w: number[] = [];
        let v = a.height;
        while (v > 0x7f) {
          w.push((v % 128) | 0x80);
          v = Math.floor(v / 128);
        }
        w.push(v);
        return `unknown:30fe8087b5c7ead7:${Buffer.from(w).toString('hex')}`;
      }
      return `ethereum:${a.height}`;
    default:
      return `${a.kind}:${a.height}`;
  }
}

/** Pre-order, children by ascending op key string, attestations as sorted strings: equal dumps ⇔ equal trees. */
export function dumpTree(root: Timestamp, ethereumAsUnknown = false): DumpRow[] {
  const out: DumpRow[] = [];
  const stack: Array<[Timestamp, number, string | null]> = [[root, -1, null]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, parent, key] = item;
    const index = out.length;
    out.push([parent, key, bytesToHex(node.msg), node.attestations.map((a) => attDumpString(a, ethereumAsUnknown)).sort()]);
    const children = [...node.ops.values()].map(({ op, child }) => [opDumpKey(op), child] as const);
    children.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (let i = children.length - 1; i >= 0; i--) {
      const [k, child] = children[i] as readonly [string, Timestamp];
      stack.push([child, index, k]);
    }
  }
  return out;
}

/** Seeded PRNG (mulberry32): every random test names its seed, so a failure replays exactly. */
export function prng(seed: number): { next: () => number; int: (n: number) => number; bytes: (n: number) => Uint8Array } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256));
  return { next, int, bytes };
}

export interface RandomTreeOptions {
  /** Only what the JS client 0.4.9 handles: no keccak256 or hexlify, no Ethereum, heights < 2^31, one unknown per node. */
  jsSafe?: boolean;
}

const URI_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._/:';

/**
 * Random detached files built with our API: every op and attestation kind, forks (including several
 * attestations at a node with ops), arguments of 128+ bytes (2-byte lengths), and every tenth file a
 * path of exactly 255 ops, the deepest python reads.
 */
export function randomFiles(seed: number, count: number, options: RandomTreeOptions = {}): DetachedTimestampFile[] {
  const r = prng(seed);
  const js = options.jsSafe === true;
  const ops: Array<(msg: Uint8Array) => Op | undefined> = [
    () => OP_SHA1,
    () => OP_RIPEMD160,
    () => OP_SHA256,
    () => (js ? undefined : OP_KECCAK256),
    (m) => (m.length > 0 ? OP_REVERSE : undefined),
    (m) => (!js && m.length > 0 && m.length <= 300 ? OP_HEXLIFY : undefined),
    (m) => {
      const arg = r.bytes(r.next() < 0.1 ? 128 + r.int(500) : 1 + r.int(40));
      return m.length + arg.length <= 4096 ? (r.next() < 0.5 ? opAppend(arg) : opPrepend(arg)) : undefined;
    },
  ];
  const makeOp = (msg: Uint8Array): Op => {
    for (;;) {
      const op = (ops[r.int(ops.length)] as (m: Uint8Array) => Op | undefined)(msg);
      if (op !== undefined) return op;
    }
  };
  const heightLimit = js ? 2 ** 31 : 2 ** 40;
  const makeAttestation = (): Attestation => {
    switch (r.int(js ? 4 : 5)) {
      case 0:
        return pendingAttestation(Array.from({ length: r.int(60) }, () => URI_CHARS[r.int(URI_CHARS.length)]).join(''));
      case 1:
        return bitcoinAttestation(r.int(heightLimit));
      case 2:
        return litecoinAttestation(r.int(2 ** 31));
      case 3:
        return unknownAttestation(r.bytes(8), r.bytes([0, 5, 200][r.int(3)] ?? 0));
      default:
        return ethereumAttestation(r.int(2 ** 31));
    }
  };
  const attest = (node: Timestamp): void => {
    const a = makeAttestation();
    if (js && a.kind === 'unknown' && node.attestations.some((b) => b.kind === 'unknown')) return;
    node.attest(a);
  };

  const files: DetachedTimestampFile[] = [];
  for (let f = 0; f < count; f++) {
    const hashOp = [OP_SHA1, OP_RIPEMD160, OP_SHA256, ...(js ? [] : [OP_KECCAK256])][r.int(js ? 3 : 4)] as Op;
    const root = new Timestamp(applyOp(hashOp, r.bytes(8)));
    if (f % 10 === 9) {
      let node = root;
      for (let i = 0; i < 255; i++) node = node.add(r.next() < 0.5 ? OP_SHA256 : opAppend(Uint8Array.of(1)));
      attest(node);
    } else {
      const work: Array<[Timestamp, number, number]> = [[root, 1 + r.int(60), 0]];
      for (let item = work.pop(); item !== undefined; item = work.pop()) {
        const [node, budget, depth] = item;
        if (budget <= 0 || depth >= 255 || r.next() < 0.08) {
          while (node.attestations.length === 0) attest(node);
          if (r.next() < 0.2) attest(node);
          continue;
        }
        if (r.next() < 0.1) attest(node);
        const forks = r.next() < 0.15 ? 2 + r.int(2) : 1;
        for (let i = 0; i < forks; i++) work.push([node.add(makeOp(node.msg)), Math.floor((budget - 1) / forks), depth + 1]);
      }
    }
    files.push(new DetachedTimestampFile(hashOp, root));
  }
  return files;
}
