/**
 * @module What an import will write, worked out from the reference directory alone before anything is written:
 * the anchors (commitments grouped by tip, checked against their merkle root, each with its timestamp from the
 * tip to its attestation), what is pending, and what a node says is no longer true.
 */
import { hash } from 'node:crypto';
import type { CommitRange } from '../journal/index.js';
import { AttestationError } from '../mirror/errors.js';
import type { AttestationChecker } from '../mirror/attestation-check.js';
import { decodeNodeValue } from '../backup/index.js';
import { RECURSION_LIMIT, Timestamp, bytesToHex, type AttestationKind } from '../ots/index.js';
import { ReferenceMismatchError, type ImportProblem } from './errors.js';
import type { NodeStore } from './reference-db.js';
import { MerkleRoot, leafIndexIn, levelSizes } from './tree-shape.js';
import { PENDING, walkToTips } from './tree-walk.js';
import type { Log } from '../log/log.js';

export interface PlannedAnchor {
  tip: Uint8Array;
  /** Commit numbers in leaf order (several ranges after a reorg re-add). */
  ranges: CommitRange[];
  leafCount: number;
  /** Serialized timestamp from the tip to its attestations, canonical (as the reference serves it). */
  timestamp: Uint8Array;
  /** Heights of its block attestations. */
  heights: number[];
}

/** An anchor whose attestation the node no longer confirms: its commitments are imported as pending. */
export interface StaleAnchor {
  tip: Uint8Array;
  ranges: CommitRange[];
  leafCount: number;
  heights: number[];
  reason: string;
}

export interface ImportPlan {
  entries: number;
  legacy: number;
  anchors: PlannedAnchor[];
  stale: StaleAnchor[];
  /** Commitments the database has no proof for (our stamper anchors them). */
  pending: number;
}


export interface PlanOptions {
  /** The attestation kind of the calendar's chain: an anchor needs at least one. */
  attestation: AttestationKind;
  /** With a node: every attestation is checked against its headers. */
  checker?: AttestationChecker;
  progress?: (phase: string, done: number, total: number) => void;
  log?: Log;
  /** Commitments walked together (tests use small windows). */
  window?: number;
}

/** Nodes one anchor's timestamp may have: a transaction and a block path are a few dozen. */
const MAX_ANCHOR_NODES = 10_000;
/** Tips whose parts are read together, level by level: their nodes of a level in one read. */
const TIPS_READ_TOGETHER = 256;

function sha256(b: Uint8Array): Buffer {
  return hash('sha256', b, 'buffer');
}

/** Commit numbers in leaf order as ranges of consecutive numbers. */
function toRanges(order: Int32Array): CommitRange[] {
  const out: CommitRange[] = [];
  for (const n of order) {
    const last = out.at(-1);
    if (last && last.end === n) last.end = n + 1;
    else out.push({ start: n, end: n + 1 });
  }
  return out;
}

type AnchorPart = { timestamp: Uint8Array; heights: number[] } | { problem: string };

/**
 * The proofs from `tips`, each read as GET /timestamp reads it: node by node, every op followed; all the tips' nodes
 * of a level in one `getMany`, in groups of TIPS_READ_TOGETHER tips.
 */
async function readFromTips(store: NodeStore, tips: readonly Uint8Array[]): Promise<Array<{ timestamp: Timestamp } | { problem: string }>> {
  const out: Array<{ timestamp: Timestamp } | { problem: string }> = tips.map((tip) => ({ timestamp: new Timestamp(tip) }));
  const nodes = new Int32Array(tips.length);
  const fail = (k: number, problem: string): void => void (out[k] = { problem });
  let level: Array<{ k: number; t: Timestamp; depth: number }> = tips.map((_, k) => ({ k, t: (out[k] as { timestamp: Timestamp }).timestamp, depth: 0 }));
  while (level.length > 0) {
    const values = await store.getMany(level.map((x) => x.t.msg));
    const next: typeof level = [];
    for (let q = 0; q < level.length; q++) {
      const { k, t, depth } = level[q] as { k: number; t: Timestamp; depth: number };
      if ('problem' in (out[k] as object)) continue;
      const tip = tips[k] as Uint8Array;
      const v = values[q];
      if (v === undefined) {
        fail(k, `the database lacks node ${bytesToHex(t.msg)} of the proof above tip ${bytesToHex(tip)}`);
        continue;
      }
      nodes[k] = (nodes[k] as number) + 1;
      if ((nodes[k] as number) > MAX_ANCHOR_NODES) {
        fail(k, `the proof above tip ${bytesToHex(tip)} has more than ${MAX_ANCHOR_NODES} nodes`);
        continue;
      }
      let decoded: ReturnType<typeof decodeNodeValue>;
      try {
        decoded = decodeNodeValue(v);
      } catch (err) {
        fail(k, `node ${bytesToHex(t.msg)} above tip ${bytesToHex(tip)} does not decode: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      if (decoded.ops.length > 0 && depth >= RECURSION_LIMIT - 1) {
        fail(k, `the proof above tip ${bytesToHex(tip)} is deeper than ${RECURSION_LIMIT - 1} ops`);
        continue;
      }
      for (const a of decoded.attestations) t.attest(a);
      for (const op of decoded.ops) {
        let child: Timestamp;
        try {
          child = t.add(op);
        } catch (err) {
          fail(k, `op ${op.name} of node ${bytesToHex(t.msg)} above tip ${bytesToHex(tip)} cannot apply: ${err instanceof Error ? err.message : String(err)}`);
          break;
        }
        next.push({ k, t: child, depth: depth + 1 });
      }
    }
    level = next;
  }
  return out;
}

/** Each anchor's timestamp from its tip, canonical, and its block heights; or why it cannot be one. */
async function readAnchorParts(store: NodeStore, tips: readonly Uint8Array[], attestation: AttestationKind): Promise<AnchorPart[]> {
  const parts: AnchorPart[] = [];
  for (let k = 0; k < tips.length; k += TIPS_READ_TOGETHER) {
    const group = tips.slice(k, k + TIPS_READ_TOGETHER);
    for (const [g, read] of (await readFromTips(store, group)).entries()) {
      if ('problem' in read) {
        parts.push(read);
        continue;
      }
      const tip = group[g] as Uint8Array;
      const atts = read.timestamp.allAttestations();
      const pendingAtt = atts.find((a) => a.attestation.kind === 'pending');
      const heights = atts.flatMap(({ attestation: x }) => ((x.kind === 'bitcoin' || x.kind === 'litecoin') && x.kind === attestation ? [x.height] : []));
      if (pendingAtt || heights.length === 0) parts.push({ problem: `the proof above tip ${bytesToHex(tip)} ${pendingAtt ? 'ends in a pending attestation' : `has no ${attestation} block attestation`}` });
      else parts.push({ timestamp: read.timestamp.toBytes(), heights });
    }
  }
  return parts;
}

/**
 * Works out the import. Throws ReferenceMismatchError with every problem found (a missing node, a tree that
 * does not match its commitments, a database holding commitments the journal lacks) — nothing is written then.
 */
export async function planImport(store: NodeStore, entry: (i: number) => Uint8Array, count: number, opts: PlanOptions): Promise<ImportPlan> {
  const log = opts.log ?? (() => undefined);
  const walk = await walkToTips(store, entry, count, {
    ...(opts.window ? { window: opts.window } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
  });
  log('info', 'the reference database is read', { entries: walk.entries, commitmentKeys: walk.commitmentKeys, readByKey: walk.readByKey });
  // the last reads: each transaction's part above its tip; then the tables they mapped are let go (reference-db.ts)
  const parts = await readAnchorParts(store, walk.tips, opts.attestation);
  await store.reopen();
  const problems: ImportProblem[] = [...walk.problems];
  const problemAt = (i: number, text: string): void => void problems.push({ commitNumber: i, commitment: bytesToHex(entry(i)), problem: text });

  // members of each tip in journal order (a counting sort)
  const T = walk.tips.length;
  const start = new Int32Array(T + 1);
  let legacy = 0;
  let pending = 0;
  for (let i = 0; i < count; i++) {
    const t = walk.tipOf[i] as number;
    if (entry(i).length !== 44) legacy++;
    if (t >= 0) start[t + 1] = (start[t + 1] as number) + 1;
    if (t === PENDING) pending++;
  }
  for (let t = 0; t < T; t++) start[t + 1] = (start[t + 1] as number) + (start[t] as number);
  const members = new Int32Array(start[T] as number);
  const fill = start.slice(0, T);
  for (let i = 0; i < count; i++) {
    const t = walk.tipOf[i] as number;
    if (t >= 0) members[(fill[t] as number)++] = i;
  }

  const grouped: Array<{ t: number; tip: Uint8Array; order: Int32Array }> = [];
  for (let t = 0; t < T; t++) {
    const mine = members.subarray(start[t] as number, start[t + 1] as number);
    const tip = walk.tips[t] as Uint8Array;
    const n = mine.length;
    const sizes = levelSizes(n);
    const order = new Int32Array(n).fill(-1);
    let fits = true;
    for (const i of mine) {
      const li = leafIndexIn(sizes, walk.bits[i] as number, walk.turns[i] as number);
      if (li < 0 || (order[li] as number) >= 0) {
        problemAt(
          i,
          li < 0
            ? `its path does not fit the merkle tree of the ${n} journal commitments whose proofs reach tip ${bytesToHex(tip)}: the journal lacks some of that tree's commitments`
            : `it takes the same leaf of tip ${bytesToHex(tip)}'s tree as commitment ${order[li]}: the journal holds one commitment twice`,
        );
        fits = false;
        break;
      }
      order[li] = i;
    }
    if (!fits) continue;
    const tree = new MerkleRoot();
    for (const i of order) tree.push(sha256(entry(i)));
    const root = tree.root();
    if (Buffer.compare(root, tip) !== 0) {
      problemAt(order[0] as number, `tip ${bytesToHex(tip)} is not the merkle root of the ${n} commitments whose proofs reach it (root ${bytesToHex(root)})`);
      continue;
    }
    grouped.push({ t, tip, order });
    opts.progress?.('checking trees', t + 1, T);
  }

  // every commitment the database proves must be in the journal: 36- and 44-byte keys are commitments
  if (walk.commitmentKeys !== walk.inDatabase) {
    problems.push({
      commitNumber: -1,
      problem: `the database holds proofs for ${walk.commitmentKeys} commitments, the journal names ${walk.inDatabase} of them: the journal is not complete, or is another calendar's`,
    });
  }

  const anchors: PlannedAnchor[] = [];
  for (const { t, tip, order } of grouped) {
    const part = parts[t] as AnchorPart;
    if ('problem' in part) {
      problemAt(order[0] as number, part.problem);
      continue;
    }
    anchors.push({ tip, ranges: toRanges(order), leafCount: order.length, timestamp: part.timestamp, heights: part.heights });
  }
  if (problems.length > 0) throw new ReferenceMismatchError(problems);
  anchors.sort((a, b) => (a.ranges[0] as CommitRange).start - (b.ranges[0] as CommitRange).start);

  const stale: StaleAnchor[] = [];
  const kept: PlannedAnchor[] = [];
  for (const a of anchors) {
    if (opts.checker) {
      try {
        await opts.checker.check(`the proof above tip ${bytesToHex(a.tip)}`, Timestamp.fromBytes(a.timestamp, a.tip));
      } catch (err) {
        if (!(err instanceof AttestationError)) throw err;
        const first = a.ranges[0] as CommitRange;
        log('warn', 'an attestation in the reference database is no longer true: its commitments are imported as pending and anchored again', {
          tip: bytesToHex(a.tip),
          heights: a.heights,
          commitments: a.leafCount,
          firstCommitment: first.start,
          ranges: a.ranges.map((r) => `${r.start}-${r.end - 1}`).join(','),
          reason: err.message,
        });
        stale.push({ tip: a.tip, ranges: a.ranges, leafCount: a.leafCount, heights: a.heights, reason: err.message });
        continue;
      }
    }
    kept.push(a);
  }
  return { entries: count, legacy, anchors: kept, stale, pending };
}
