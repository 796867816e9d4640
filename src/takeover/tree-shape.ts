/**
 * @module The reference's merkle tree of n leaves (reference-server §2 "make_merkle_tree"): the leaf index a path's
 * left/right turns reach, and the root from the leaves one at a time.
 */
import { hash } from 'node:crypto';

/** Longest path the walk records: 32 turns, a tree of up to 2^32 leaves. */
export const MAX_TURNS = 32;

/** Nodes on each level of the tree over n ≥ 1 leaves, from the leaves up to the root's 1. */
export function levelSizes(n: number): number[] {
  const sizes = [n];
  while ((sizes.at(-1) as number) > 1) sizes.push(Math.ceil((sizes.at(-1) as number) / 2));
  return sizes;
}

/**
 * The leaf index that a path of `turns` merge steps reaches in the tree over `n` leaves, or -1 when no leaf
 * of that tree has this path. Bit k of `bits` is the k-th turn counted from the leaf: 0 when the node was
 * the left child (it got `append(sibling)`), 1 when it was the right one (`prepend(sibling)`).
 *
 * The tree pairs (0,1), (2,3), … on each level and carries an odd last node up unchanged, so the shape is
 * fixed by n: walking down from the root, a node with two children takes the next turn, a carried one none.
 */
export function leafIndexOf(n: number, bits: number, turns: number): number {
  if (!(n >= 1)) return -1;
  return leafIndexIn(levelSizes(n), bits, turns);
}

/** `leafIndexOf` with the tree's `levelSizes` worked out once. */
export function leafIndexIn(sizes: readonly number[], bits: number, turns: number): number {
  const n = sizes[0] as number;
  if (!(n >= 1) || turns < 0 || turns > MAX_TURNS) return -1;
  let p = 0;
  let k = turns - 1;
  for (let level = sizes.length - 2; level >= 0; level--) {
    if (2 * p + 1 < (sizes[level] as number)) {
      if (k < 0) return -1;
      p = 2 * p + ((bits >>> k) & 1);
      k--;
    } else {
      p = 2 * p;
    }
  }
  return k === -1 && p < n ? p : -1;
}

/**
 * The root of the reference's tree over leaves pushed one at a time, holding one node per level. Over n leaves, n
 * not a power of two, that tree is the full tree over the first 2^k leaves (2^k the largest power below n) joined
 * with the tree over the rest, which starts on a pair boundary at every level: so its root is the roots of the full
 * subtrees of n's binary decomposition, largest first, joined from the right.
 */
export class MerkleRoot {
  /** Roots of full subtrees, largest first, and their leaf counts. */
  readonly #nodes: Uint8Array[] = [];
  readonly #counts: number[] = [];
  readonly #pair = Buffer.allocUnsafe(64);

  #join(left: Uint8Array, right: Uint8Array): Buffer {
    this.#pair.set(left, 0);
    this.#pair.set(right, 32);
    return hash('sha256', this.#pair, 'buffer');
  }

  push(leaf: Uint8Array): void {
    let node = leaf;
    let count = 1;
    while (this.#counts.length > 0 && this.#counts.at(-1) === count) {
      node = this.#join(this.#nodes.pop() as Uint8Array, node);
      this.#counts.pop();
      count *= 2;
    }
    this.#nodes.push(node);
    this.#counts.push(count);
  }

  /** The root of the leaves pushed so far (at least one). */
  root(): Uint8Array {
    if (this.#nodes.length === 0) throw new RangeError('"leaves" expected at least one leaf, got none');
    let node = this.#nodes.at(-1) as Uint8Array;
    for (let k = this.#nodes.length - 2; k >= 0; k--) node = this.#join(this.#nodes[k] as Uint8Array, node);
    return node;
  }
}
