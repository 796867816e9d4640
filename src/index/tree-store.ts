/**
 * @module Upper levels of every anchor's merkle tree on disk (index/trees/), so that any proof is assembled
 * from a few reads instead of re-hashing the anchor's whole tree (DESIGN §2 "Index").
 *
 * The tree over an anchor's leaves (sha256 of each commitment, OpenTimestamps rule: parent = sha256(l ‖ r),
 * odd node carried up) is cut at level BLOCK_LEVEL: the levels above are stored, 32 bytes a node; the
 * 2^BLOCK_LEVEL leaves under a level-BLOCK_LEVEL node are recomputed from their commitments on demand. An
 * aligned power-of-two block has exactly the subtree the whole tree has there, carried nodes included.
 * Derived data: written without fsync; a file of the wrong size is rebuilt.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BoundedCache } from './bounded-cache.js';

/**
 * Level 2 (blocks of 4 leaves): a proof costs 4 hashes and one read of 4 commitments; the stored levels take
 * about 16 bytes a commitment. Level 3 took 8 bytes and 11 hashes, which were a fifth of a proof's cost; level 1
 * would save 3 more hashes for 16 more bytes a commitment.
 */
export const BLOCK_LEVEL = 2;
export const BLOCK_LEAVES = 1 << BLOCK_LEVEL;
const HEADER = 8;
const MAGIC = 0x4f545400 + BLOCK_LEVEL; // "OTT" and the cut level: a file cut elsewhere is rebuilt

/**
 * An anchor's stored upper levels as a merkle path from one block reads them (`writeMerklePath`): every level at
 * its full length (levels[0] = one node per block of leaves, last = [root]), holding only the siblings on that
 * block's path, each a view of the stored bytes.
 */
export type UpperPath = Uint8Array[][];

/** Node count of each level from BLOCK_LEVEL up, for `leafCount` leaves (a carried node keeps its slot). */
export function upperLevelSizes(leafCount: number): number[] {
  let n = leafCount;
  for (let k = 0; k < BLOCK_LEVEL && n > 1; k++) n = Math.ceil(n / 2);
  const sizes = [n];
  while (n > 1) sizes.push((n = Math.ceil(n / 2)));
  return sizes;
}

const TREE_NAME = /^(\d{16})\.tree$/;

/** Tree files kept open for reading the nodes of a path from a tree the cache does not hold. */
const OPEN_FILES = 256;

export class TreeStore {
  readonly #dir: string;
  /** Whole tree files as read (32 bytes a node after the header): no object per node, so the budget is their bytes. */
  readonly #cache: BoundedCache<number, Buffer>;
  /** Open tree files (checked once for their size and header), least recently used first. */
  readonly #open = new Map<number, number>();

  constructor(dir: string, cacheBytes: number) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
    this.#cache = new BoundedCache(cacheBytes, (b) => b.length + 64);
  }

  #path(seq: number): string {
    return join(this.#dir, `${String(seq).padStart(16, '0')}.tree`);
  }

  /** Stores the levels from BLOCK_LEVEL up of a full `merkleLevels` result. */
  write(seq: number, levels: readonly (readonly Uint8Array[])[]): void {
    const leafCount = levels[0]?.length ?? 0;
    const upper = levels.slice(Math.min(BLOCK_LEVEL, levels.length - 1));
    const nodes = upper.reduce((s, l) => s + l.length, 0);
    const buf = Buffer.alloc(HEADER + nodes * 32);
    buf.writeUInt32BE(MAGIC, 0);
    buf.writeUInt32BE(leafCount, 4);
    let at = HEADER;
    for (const level of upper) {
      for (const node of level) {
        buf.set(node, at);
        at += 32;
      }
    }
    const tmp = `${this.#path(seq)}.tmp`;
    writeFileSync(tmp, buf);
    renameSync(tmp, this.#path(seq));
    this.#closeFile(seq);
    this.#cache.set(seq, buf);
  }

  /** Whether the tree file is there with the size `leafCount` leaves need (its header is checked when it is read). */
  has(seq: number, leafCount: number): boolean {
    if (this.#cache.get(seq) !== undefined) return true;
    try {
      return statSync(this.#path(seq)).size === fileSize(leafCount);
    } catch {
      return false;
    }
  }

  /**
   * The anchors with a tree file, from one directory listing (opening the index: one listing instead of a stat per
   * anchor). A file of the wrong size is found when it is read, and rebuilt then.
   */
  storedSeqs(): Set<number> {
    const seqs = new Set<number>();
    for (const name of readdirSync(this.#dir)) {
      const m = TREE_NAME.exec(name);
      if (m?.[1] !== undefined) seqs.add(Number(m[1]));
    }
    return seqs;
  }

  /**
   * The stored tree's nodes on block `block`'s path, or undefined when the file is missing or damaged (the caller
   * rebuilds it). From the cache when it holds the tree; else the whole file is read into it while it has room,
   * and once it is full (a calendar of many anchors) only the path's nodes are read, one 32-byte read a level.
   */
  path(seq: number, leafCount: number, block: number): UpperPath | undefined {
    const sizes = upperLevelSizes(leafCount);
    let buf = this.#cache.get(seq);
    if (buf !== undefined && buf.readUInt32BE(4) !== leafCount) return undefined;
    if (buf === undefined && this.#cache.total + fileSize(leafCount) <= this.#cache.capacity) {
      buf = this.#readWhole(seq, leafCount);
      if (buf === undefined) return undefined;
    }
    const fd = buf === undefined ? this.#fileOf(seq, leafCount) : undefined;
    if (buf === undefined && fd === undefined) return undefined;
    const levels: UpperPath = [];
    let at = HEADER;
    for (const [l, n] of sizes.entries()) {
      const level = new Array<Uint8Array>(n);
      const sibling = (block >> l) ^ 1;
      if (n > 1 && sibling < n) {
        const from = at + sibling * 32;
        level[sibling] = buf !== undefined ? buf.subarray(from, from + 32) : readNode(fd as number, from);
      }
      levels.push(level);
      at += n * 32;
    }
    return levels;
  }

  #readWhole(seq: number, leafCount: number): Buffer | undefined {
    let buf: Buffer;
    try {
      buf = readFileSync(this.#path(seq));
    } catch {
      return undefined;
    }
    if (buf.length !== fileSize(leafCount) || buf.readUInt32BE(0) !== MAGIC || buf.readUInt32BE(4) !== leafCount) return undefined;
    this.#cache.set(seq, buf);
    return buf;
  }

  /** The open tree file of `seq`, checked for its size and header when opened; undefined when missing or damaged. */
  #fileOf(seq: number, leafCount: number): number | undefined {
    let fd = this.#open.get(seq);
    if (fd !== undefined) {
      this.#open.delete(seq);
      this.#open.set(seq, fd);
      return fd;
    }
    try {
      fd = openSync(this.#path(seq), 'r');
    } catch {
      return undefined;
    }
    const header = Buffer.alloc(HEADER);
    if (fstatSync(fd).size !== fileSize(leafCount) || readSync(fd, header, 0, HEADER, 0) !== HEADER || header.readUInt32BE(0) !== MAGIC || header.readUInt32BE(4) !== leafCount) {
      closeSync(fd);
      return undefined;
    }
    this.#open.set(seq, fd);
    if (this.#open.size > OPEN_FILES) {
      const [oldest, old] = this.#open.entries().next().value as [number, number];
      this.#open.delete(oldest);
      closeSync(old);
    }
    return fd;
  }

  #closeFile(seq: number): void {
    const fd = this.#open.get(seq);
    if (fd === undefined) return;
    this.#open.delete(seq);
    closeSync(fd);
  }

  /** Closes the tree files kept open. */
  close(): void {
    for (const fd of this.#open.values()) closeSync(fd);
    this.#open.clear();
  }

  remove(seq: number): void {
    this.#closeFile(seq);
    this.#cache.delete(seq);
    rmSync(this.#path(seq), { force: true });
  }

  clear(): void {
    this.close();
    this.#cache.clear();
    rmSync(this.#dir, { recursive: true, force: true });
    mkdirSync(this.#dir, { recursive: true });
  }
}

/** The 32-byte node at `position` of an open tree file (its size was checked when it was opened). */
function readNode(fd: number, position: number): Uint8Array {
  const node = Buffer.allocUnsafe(32);
  if (readSync(fd, node, 0, 32, position) !== 32) throw new RangeError(`a tree file ends before byte ${position + 32}`);
  return node;
}

/** Bytes of the tree file of an anchor of `leafCount` leaves. */
function fileSize(leafCount: number): number {
  return HEADER + upperLevelSizes(leafCount).reduce((s, n) => s + n, 0) * 32;
}
