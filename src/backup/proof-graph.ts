/** @module Proofs as a graph of nodes keyed by message (the reference's LevelDB shape): merge timestamps in, find the commitments, rebuild a proof. */
import { RECURSION_LIMIT, Timestamp, applyOp, attestationKey, bytesToHex, opKey } from '../ots/index.js';
import type { BackupNode } from './format.js';

/** The graph does not hold together: a missing child, an empty node, a chain too long, an op that cannot apply. */
export class ProofGraphError extends Error {
  readonly code = 'proof-graph';
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'ProofGraphError';
  }
}

/**
 * Nodes one rebuilt proof may have. Real proofs have tens; the bound stops a hostile graph whose branches keep
 * meeting again (each meeting doubles the tree) from exhausting memory.
 */
export const MAX_PROOF_NODES = 100_000;

interface Entry {
  node: BackupNode;
  atts: Set<string>;
  ops: Set<string>;
}

/** Owner: whoever built it; not safe to change while another caller iterates it. */
export class ProofGraph {
  readonly #entries = new Map<string, Entry>();

  static fromNodes(nodes: Iterable<BackupNode>): ProofGraph {
    const g = new ProofGraph();
    for (const n of nodes) {
      const e = g.#entry(n.msg);
      for (const a of n.attestations) g.#attest(e, a);
      for (const op of n.ops) g.#addOp(e, op);
    }
    return g;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(msg: Uint8Array): boolean {
    return this.#entries.has(bytesToHex(msg));
  }

  nodes(): BackupNode[] {
    return [...this.#entries.values()].map((e) => e.node);
  }

  #entry(msg: Uint8Array): Entry {
    const key = bytesToHex(msg);
    let e = this.#entries.get(key);
    if (!e) this.#entries.set(key, (e = { node: { msg: new Uint8Array(msg), attestations: [], ops: [] }, atts: new Set(), ops: new Set() }));
    return e;
  }

  #attest(e: Entry, a: BackupNode['attestations'][number]): void {
    const k = attestationKey(a);
    if (e.atts.has(k)) return;
    e.atts.add(k);
    e.node.attestations.push(a);
  }

  #addOp(e: Entry, op: BackupNode['ops'][number]): void {
    const k = opKey(op);
    if (e.ops.has(k)) return;
    e.ops.add(k);
    e.node.ops.push(op);
  }

  /** Adds every node of `t` (union of attestations and ops per message, as the reference's add_timestamps). */
  add(t: Timestamp): void {
    const stack: Timestamp[] = [t];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      const e = this.#entry(node.msg);
      for (const a of node.attestations) this.#attest(e, a);
      for (const { op, child } of node.ops.values()) {
        this.#addOp(e, op);
        stack.push(child);
      }
    }
  }

  /**
   * Messages no op of another node leads to: the commitments a chunk was made for. Throws ProofGraphError
   * when an op cannot apply to its node's message or leads to a message the graph lacks.
   */
  roots(): Uint8Array[] {
    const reached = new Set<string>();
    for (const e of this.#entries.values()) {
      if (e.node.attestations.length === 0 && e.node.ops.length === 0) throw new ProofGraphError(`node ${bytesToHex(e.node.msg)} has neither ops nor attestations`);
      for (const op of e.node.ops) {
        let child: Uint8Array;
        try {
          child = applyOp(op, e.node.msg);
        } catch (cause) {
          throw new ProofGraphError(`op ${op.name} of node ${bytesToHex(e.node.msg)} cannot apply: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
        }
        const key = bytesToHex(child);
        if (!this.#entries.has(key)) throw new ProofGraphError(`op ${op.name} of node ${bytesToHex(e.node.msg)} leads to ${key}, which the chunk lacks`);
        reached.add(key);
      }
    }
    return [...this.#entries.entries()].filter(([k]) => !reached.has(k)).map(([, e]) => e.node.msg);
  }

  /** The proof from `msg` as a timestamp tree; undefined when the graph has no such node. */
  timestamp(msg: Uint8Array): Timestamp | undefined {
    const rootEntry = this.#entries.get(bytesToHex(msg));
    if (!rootEntry) return undefined;
    const root = new Timestamp(msg);
    const stack: Array<{ t: Timestamp; e: Entry; depth: number }> = [{ t: root, e: rootEntry, depth: 0 }];
    let visited = 0;
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const { t, e, depth } = item;
      if (++visited > MAX_PROOF_NODES) throw new ProofGraphError(`the proof from ${bytesToHex(msg)} has more than ${MAX_PROOF_NODES} nodes`);
      // the same bound the deserializer puts on a tree (python's recursion limit), so the proof stays readable
      if (depth >= RECURSION_LIMIT - 1 && e.node.ops.length > 0) throw new ProofGraphError(`the proof from ${bytesToHex(msg)} is deeper than ${RECURSION_LIMIT - 1} ops`);
      if (e.node.attestations.length === 0 && e.node.ops.length === 0) throw new ProofGraphError(`node ${bytesToHex(e.node.msg)} has neither ops nor attestations`);
      for (const a of e.node.attestations) t.attest(a);
      for (const op of e.node.ops) {
        let child: Timestamp;
        try {
          child = t.add(op);
        } catch (cause) {
          throw new ProofGraphError(`op ${op.name} of node ${bytesToHex(e.node.msg)} cannot apply: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
        }
        const ce = this.#entries.get(bytesToHex(child.msg));
        if (!ce) throw new ProofGraphError(`op ${op.name} of node ${bytesToHex(e.node.msg)} leads to a message the graph lacks`);
        stack.push({ t: child, e: ce, depth: depth + 1 });
      }
    }
    return root;
  }
}
