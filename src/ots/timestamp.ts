/** @module The timestamp tree: a message, its attestations and its op edges; tolerant reading, canonical writing, merging (ots-format.md §4, §5, §8). */
import { bytesEqual } from './bytes.js';
import {
  EmptyTimestampError,
  InvalidOpResultError,
  MergeMismatchError,
  MsgValueError,
  RecursionLimitError,
} from './errors.js';
import { type Op, MAX_MSG_LENGTH, applyOp, compareOps, decodeOpWithTag, encodeOp, opKey } from './op.js';
import {
  type Attestation,
  attestationKey,
  compareAttestations,
  decodeAttestation,
  encodeAttestation,
} from './attestation.js';
import { BytesReader, BytesWriter } from './serialize.js';
import { opRepr } from './repr.js';
import { pythonStrRepr } from './python-repr.js';

/** Byte that announces another item at the same node (a fork). */
const FORK_MARKER = 0xff;
/** Byte that announces an attestation item. */
const ATTESTATION_MARKER = 0x00;

/**
 * Python's reader starts at 256 and fails on reaching 0, so at most 255 ops nest on one path
 * (ots-format.md §4). Keeping the same limit means we accept exactly the files python accepts.
 */
export const RECURSION_LIMIT = 256;

export interface OpEdge {
  readonly op: Op;
  readonly child: Timestamp;
}

/**
 * A node of a timestamp tree. `msg` is fixed; attestations form a set (value equality) and ops a
 * map keyed by op value, so equal edges share one child.
 */
export class Timestamp {
  readonly msg: Uint8Array;
  readonly #attestations: Attestation[] = [];
  readonly #attestationKeys = new Set<string>();
  readonly #ops = new Map<string, OpEdge>();

  /** The message is copied. Longer than 4096 bytes throws MsgValueError, as python does. */
  constructor(msg: Uint8Array) {
    if (msg.length > MAX_MSG_LENGTH) {
      throw new MsgValueError(`Message exceeds Op length limit; ${msg.length} > ${MAX_MSG_LENGTH}`);
    }
    this.msg = new Uint8Array(msg);
  }

  /** In insertion order, without duplicates. */
  get attestations(): readonly Attestation[] {
    return this.#attestations;
  }

  /** Keyed by `opKey(op)`. */
  get ops(): ReadonlyMap<string, OpEdge> {
    return this.#ops;
  }

  /** The child for `op`: the existing one for an equal op, else a new child with msg `applyOp(op, msg)`. */
  add(op: Op): Timestamp {
    const key = opKey(op);
    const existing = this.#ops.get(key);
    if (existing !== undefined) return existing.child;
    const child = new Timestamp(applyOp(op, this.msg));
    this.#ops.set(key, { op, child });
    return child;
  }

  /**
   * Makes `child` the node reached through `op` (python `ops[op] = child`), so that two parents can
   * share one node, as the merkle tree does. `child.msg` must be `applyOp(op, msg)`. Anything the node
   * already had for `op` is merged into `child` rather than dropped.
   */
  setChild(op: Op, child: Timestamp): void {
    if (!bytesEqual(applyOp(op, this.msg), child.msg)) {
      throw new MergeMismatchError("Can't set a child whose message is not the op's result");
    }
    const key = opKey(op);
    const existing = this.#ops.get(key);
    if (existing !== undefined && existing.child !== child) child.merge(existing.child);
    this.#ops.set(key, { op, child });
  }

  /** Adds `a` unless an equal attestation is already here. */
  attest(a: Attestation): void {
    const key = attestationKey(a);
    if (this.#attestationKeys.has(key)) return;
    this.#attestationKeys.add(key);
    this.#attestations.push(a);
  }

  /**
   * Adds every attestation and op of `other` (same msg required), recursively: python semantics,
   * equal ops meet in one child. `other` is not modified and none of its nodes are adopted.
   */
  merge(other: Timestamp): void {
    const work: Array<[Timestamp, Timestamp]> = [[this, other]];
    for (let item = work.pop(); item !== undefined; item = work.pop()) {
      const [ours, theirs] = item;
      if (ours === theirs) continue;
      if (!bytesEqual(ours.msg, theirs.msg)) {
        throw new MergeMismatchError("Can't merge timestamps for different messages together");
      }
      for (const a of [...theirs.#attestations]) ours.attest(a);
      for (const { op, child } of [...theirs.#ops.values()]) work.push([ours.add(op), child]);
    }
  }

  /** Attestations in python's canonical order. */
  sortedAttestations(): Attestation[] {
    return [...this.#attestations].sort(compareAttestations);
  }

  /** Op edges in python's canonical order. */
  sortedOps(): OpEdge[] {
    return [...this.#ops.values()].sort((a, b) => compareOps(a.op, b.op));
  }

  /**
   * Canonical encoding (python Timestamp.serialize): sorted attestations, then sorted ops, each item
   * but the last preceded by 0xff. An empty node anywhere throws EmptyTimestampError.
   */
  encode(w: BytesWriter): void {
    const stack: Array<{ edges: OpEdge[]; next: number }> = [openNode(w, this)];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { edges: OpEdge[]; next: number };
      const edge = top.edges[top.next++];
      if (edge === undefined) {
        stack.pop();
        continue;
      }
      if (top.next < top.edges.length) w.writeUint8(FORK_MARKER);
      encodeOp(w, edge.op);
      stack.push(openNode(w, edge.child));
    }
  }

  toBytes(): Uint8Array {
    const w = new BytesWriter();
    this.encode(w);
    return w.toBytes();
  }

  /**
   * Reads a tree rooted at `msg`. Any item order is accepted and duplicates collapse. Unlike python,
   * which keeps only the last branch for a repeated op, the branches of a repeated op are merged, so no
   * attestation in the input is lost. Does not require the end of input: calendar responses may carry
   * trailing bytes, and the clients ignore them.
   */
  static decode(r: BytesReader, msg: Uint8Array): Timestamp {
    const root = new Timestamp(msg);
    decodeInto(r, root, RECURSION_LIMIT);
    return root;
  }

  /** `decode` over a whole buffer; trailing bytes are ignored, as clients do. */
  static fromBytes(bytes: Uint8Array, msg: Uint8Array): Timestamp {
    return Timestamp.decode(new BytesReader(bytes), msg);
  }

  /** Every attestation with the message it attests, depth first in canonical order. */
  allAttestations(): Array<{ msg: Uint8Array; attestation: Attestation }> {
    const out: Array<{ msg: Uint8Array; attestation: Attestation }> = [];
    const stack: Timestamp[] = [this];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      for (const attestation of node.sortedAttestations()) out.push({ msg: node.msg, attestation });
      const edges = node.sortedOps();
      for (let i = edges.length - 1; i >= 0; i--) stack.push((edges[i] as OpEdge).child);
    }
    return out;
  }

  /**
   * Every attestation with the ops that lead to it from this node: each a single branch, which `encodePath`
   * writes as a linear timestamp (how a server keeps one attestation of a proof and drops the others).
   */
  attestationPaths(): Array<{ ops: Op[]; msg: Uint8Array; attestation: Attestation }> {
    const out: Array<{ ops: Op[]; msg: Uint8Array; attestation: Attestation }> = [];
    const stack: Array<{ node: Timestamp; ops: Op[] }> = [{ node: this, ops: [] }];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const { node, ops } = item;
      for (const attestation of node.sortedAttestations()) out.push({ ops, msg: node.msg, attestation });
      const edges = node.sortedOps();
      for (let i = edges.length - 1; i >= 0; i--) {
        const e = edges[i] as OpEdge;
        stack.push({ node: e.child, ops: [...ops, e.op] });
      }
    }
    return out;
  }

  /** True when any node carries a Bitcoin attestation (python's `is_timestamp_complete`). */
  isComplete(): boolean {
    const stack: Timestamp[] = [this];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.#attestations.some((a) => a.kind === 'bitcoin')) return true;
      for (const { child } of node.#ops.values()) stack.push(child);
    }
    return false;
  }

  /** Structural equality: same msg, attestation set and ops, recursively (python `==`). */
  equals(other: Timestamp): boolean {
    const work: Array<[Timestamp, Timestamp]> = [[this, other]];
    for (let item = work.pop(); item !== undefined; item = work.pop()) {
      const [a, b] = item;
      if (a === b) continue;
      if (!bytesEqual(a.msg, b.msg)) return false;
      if (a.#attestationKeys.size !== b.#attestationKeys.size || a.#ops.size !== b.#ops.size) return false;
      for (const k of a.#attestationKeys) if (!b.#attestationKeys.has(k)) return false;
      for (const [k, edge] of a.#ops) {
        const theirs = b.#ops.get(k);
        if (theirs === undefined) return false;
        work.push([edge.child, theirs.child]);
      }
    }
    return true;
  }
}

/** Writes a node's attestation items and returns its sorted op edges, still to be written. */
function openNode(w: BytesWriter, node: Timestamp): { edges: OpEdge[]; next: number } {
  const atts = node.sortedAttestations();
  const edges = node.sortedOps();
  if (atts.length === 0 && edges.length === 0) throw new EmptyTimestampError("An empty timestamp can't be serialized");
  atts.forEach((a, i) => {
    if (edges.length > 0 || i < atts.length - 1) w.writeUint8(FORK_MARKER);
    w.writeUint8(ATTESTATION_MARKER);
    encodeAttestation(w, a);
  });
  return { edges, next: 0 };
}

function decodeInto(r: BytesReader, node: Timestamp, limit: number): void {
  if (limit === 0) throw new RecursionLimitError('Reached timestamp recursion depth limit while deserializing');
  let tag = r.readUint8();
  while (tag === FORK_MARKER) {
    decodeItem(r, node, r.readUint8(), limit);
    tag = r.readUint8();
  }
  decodeItem(r, node, tag, limit);
}

function decodeItem(r: BytesReader, node: Timestamp, tag: number, limit: number): void {
  if (tag === ATTESTATION_MARKER) {
    node.attest(decodeAttestation(r));
    return;
  }
  const op = decodeOpWithTag(r, tag);
  const existing = node.ops.get(opKey(op));
  if (existing !== undefined) {
    // A repeated op: read its branch into the child we already have (a merge; python would replace).
    decodeInto(r, existing.child, limit - 1);
    return;
  }
  let child: Timestamp;
  try {
    child = node.add(op);
  } catch (e) {
    if (!(e instanceof MsgValueError)) throw e;
    throw new InvalidOpResultError(
      `Invalid timestamp; message invalid for op ${opRepr(op)}: MsgValueError(${pythonStrRepr(e.message)})`,
      { cause: e },
    );
  }
  decodeInto(r, child, limit - 1);
}
