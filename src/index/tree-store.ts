/**
 * @module Upper levels of every anchor's merkle tree on disk (index/trees/), so that any proof is assembled
 * from a few reads instead of re-hashing the anchor's whole tree (DESIGN §2 "Index").
 *
 * The tree over an anchor's leaves (sha256 of each commitment, OpenTimestamps rule: parent = sha256(l ‖ r),
 * odd node carried up) is cut at level BLOCK_LEVEL: the levels above are stored, 32 bytes a node; the
 * 2^BLOCK_LEVEL leaves under a level-BLOCK_LEVEL node are recomputed from their commitments on demand. An
 * aligned power-of-two block has exactly the subtree the whole tree has there, carried nodes included.
 *
 * Files: every tree is appended to `trees.dat` and located by an entry in `trees.idx`, so a calendar of many
 * anchors reads any tree through one open file. Inside a tree, the stored levels are laid out in bands of
 * BAND_LEVELS levels: a band is a run of groups, each holding GROUP_NODES nodes of the band's lowest level and
 * the nodes above them within the band, so the nodes a path needs in a band are in one group and a path from
 * disk costs one read per band (three for an anchor of a few thousand leaves) instead of one per level.
 *
 *   trees.idx  16-byte entries: anchor seq (u64 BE), offset of its tree in trees.dat (u64 BE); the last wins
 *   trees.dat  per tree: magic (u32 BE), leaf count (u32 BE), anchor seq (u64 BE), CRC-32 of the bands
 *              (u32 BE), 4 zero bytes, then the bands
 *
 * Derived data: written without fsync. A tree is checked whole (header and CRC) the first time this process
 * reads it; one that fails is rebuilt (appended again), and the space of the old one is reclaimed by `reindex`.
 */
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { BoundedCache } from './bounded-cache.js';
import { readExactly, readWhole, writeExactly } from './file-reads.js';
import type { SiblingPath } from '../ots/index.js';

/**
 * Level 2 (blocks of 4 leaves): a proof costs 4 hashes and one read of 4 commitments; the stored levels take
 * about 16 bytes a commitment. Level 3 took 8 bytes and 11 hashes, which were a fifth of a proof's cost; level 1
 * would save 3 more hashes for 16 more bytes a commitment.
 */
export const BLOCK_LEVEL = 2;
export const BLOCK_LEAVES = 1 << BLOCK_LEVEL;
const HEADER = 24;
const MAGIC = 0x4f545410 + BLOCK_LEVEL; // "OTT", banded, and the cut level: a tree laid out otherwise is rebuilt

/** Levels per band and nodes of a band's lowest level per group: a group is 16 + 8 + 4 + 2 nodes, 960 bytes. */
const BAND_LEVELS = 4;
const GROUP_NODES = 1 << BAND_LEVELS;
/** First slot in a group of each level of its band. */
const SLOT_OF_LEVEL = [0, 16, 24, 28];
const GROUP_BYTES = 30 * 32;
const ENTRY = 16;
const LEGACY_TREE = /^\d{16}\.tree$/;

/**
 * One block's path through an anchor's stored upper levels (`writeSiblingPath`): the sibling on each level from
 * the blocks' level up to the one below the root, each a view of the stored bytes.
 */
export type UpperPath = SiblingPath;

/** Node count of each level from BLOCK_LEVEL up, for `leafCount` leaves (a carried node keeps its slot). */
export function upperLevelSizes(leafCount: number): number[] {
  let n = leafCount;
  for (let k = 0; k < BLOCK_LEVEL && n > 1; k++) n = Math.ceil(n / 2);
  const sizes = [n];
  while (n > 1) sizes.push((n = Math.ceil(n / 2)));
  return sizes;
}

/** Where each band starts (after the header) and the tree's whole size, for `leafCount` leaves. */
function layoutOf(leafCount: number): { sizes: number[]; bandAt: number[]; bytes: number } {
  const sizes = upperLevelSizes(leafCount);
  const bandAt: number[] = [];
  let at = HEADER;
  for (let level = 0; level < sizes.length; level += BAND_LEVELS) {
    bandAt.push(at);
    at += Math.ceil((sizes[level] as number) / GROUP_NODES) * GROUP_BYTES;
  }
  return { sizes, bandAt, bytes: at };
}

/** Byte position, in a tree, of node `i` of stored level `level`. */
function nodeAt(bandAt: readonly number[], level: number, i: number): number {
  const band = Math.floor(level / BAND_LEVELS);
  const j = level - band * BAND_LEVELS;
  const group = i >> (BAND_LEVELS - j);
  const inGroup = i - (group << (BAND_LEVELS - j));
  return (bandAt[band] as number) + group * GROUP_BYTES + ((SLOT_OF_LEVEL[j] as number) + inGroup) * 32;
}

export class TreeStore {
  readonly #dat: number;
  readonly #idx: number;
  #datBytes: number;
  #idxBytes: number;
  /** Where each anchor's tree starts in trees.dat. */
  readonly #at = new Map<number, number>();
  /** Trees checked whole (header and CRC) by this process: their bands are then read as they are. */
  readonly #checked = new Set<number>();
  /** Anchors whose tree was in a file of an earlier layout, removed on open: stored, as far as opening goes. */
  readonly #legacy = new Set<number>();
  /** Whole trees as read (their bytes, header included): no object per node, so the budget is their bytes. */
  readonly #cache: BoundedCache<number, Buffer>;

  constructor(dir: string, cacheBytes: number) {
    mkdirSync(dir, { recursive: true });
    // one file per tree, as earlier versions stored them: replaced by trees.dat. Their anchors were checked when
    // the files were written, so they count as stored (not checked again on open) and are rebuilt when first read.
    for (const name of readdirSync(dir)) {
      if (!LEGACY_TREE.test(name)) continue;
      this.#legacy.add(Number(name.slice(0, 16)));
      rmSync(join(dir, name), { force: true });
    }
    this.#dat = openSync(join(dir, 'trees.dat'), constants.O_RDWR | constants.O_CREAT, 0o644);
    this.#idx = openSync(join(dir, 'trees.idx'), constants.O_RDWR | constants.O_CREAT, 0o644);
    this.#datBytes = fstatSync(this.#dat).size;
    const idx = readWhole(this.#idx);
    this.#idxBytes = idx.length - (idx.length % ENTRY);
    if (this.#idxBytes !== idx.length) ftruncateSync(this.#idx, this.#idxBytes);
    for (let at = 0; at < this.#idxBytes; at += ENTRY) {
      const seq = idx.readUInt32BE(at) * 0x1_0000_0000 + idx.readUInt32BE(at + 4);
      const offset = idx.readUInt32BE(at + 8) * 0x1_0000_0000 + idx.readUInt32BE(at + 12);
      // an entry for a tree whose bytes did not all reach the file (a crash): as if it were not there
      if (offset + HEADER <= this.#datBytes) this.#at.set(seq, offset);
    }
    this.#cache = new BoundedCache(cacheBytes, (b) => b.length + 64);
  }

  /** Stores the levels from BLOCK_LEVEL up of a full `merkleLevels` result, as the tree of anchor `seq`. */
  write(seq: number, levels: readonly (readonly Uint8Array[])[]): void {
    const leafCount = levels[0]?.length ?? 0;
    const upper = levels.slice(Math.min(BLOCK_LEVEL, levels.length - 1));
    const { bandAt, bytes } = layoutOf(leafCount);
    const buf = Buffer.alloc(bytes);
    upper.forEach((level, l) => level.forEach((node, i) => buf.set(node, nodeAt(bandAt, l, i))));
    buf.writeUInt32BE(MAGIC, 0);
    buf.writeUInt32BE(leafCount, 4);
    buf.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 8);
    buf.writeUInt32BE(seq % 0x1_0000_0000, 12);
    buf.writeUInt32BE(crc32(buf.subarray(HEADER)), 16);
    const offset = this.#datBytes;
    writeExactly(this.#dat, buf, offset, 'trees.dat');
    this.#datBytes += buf.length;
    const entry = Buffer.alloc(ENTRY);
    entry.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 0);
    entry.writeUInt32BE(seq % 0x1_0000_0000, 4);
    entry.writeUInt32BE(Math.floor(offset / 0x1_0000_0000), 8);
    entry.writeUInt32BE(offset % 0x1_0000_0000, 12);
    writeExactly(this.#idx, entry, this.#idxBytes, 'trees.idx');
    this.#idxBytes += ENTRY;
    this.#at.set(seq, offset);
    this.#checked.add(seq);
    this.#cache.set(seq, buf);
  }

  /** Whether a tree for `leafCount` leaves is stored for the anchor (it is checked whole when first read). */
  has(seq: number, leafCount: number): boolean {
    const offset = this.#at.get(seq);
    return offset !== undefined && offset + layoutOf(leafCount).bytes <= this.#datBytes;
  }

  /** The anchors with a stored tree (opening the index: from trees.idx as read, no file per anchor). */
  storedSeqs(): Set<number> {
    return new Set([...this.#at.keys(), ...this.#legacy]);
  }

  /**
   * The stored tree's nodes on block `block`'s path, or undefined when it is missing or damaged (the caller
   * rebuilds it). From the cache when it holds the tree; else the whole tree is read (and checked, the first time)
   * into it while it has room, and once it is full (a calendar of many anchors) only the path's group in each band.
   */
  path(seq: number, leafCount: number, block: number): UpperPath | undefined {
    const layout = layoutOf(leafCount);
    let buf = this.#cache.get(seq);
    if (buf === undefined && (!this.#checked.has(seq) || this.#cache.total + layout.bytes <= this.#cache.capacity)) {
      buf = this.#readChecked(seq, leafCount, layout.bytes);
      if (buf === undefined) return undefined;
    }
    if (buf !== undefined && buf.readUInt32BE(4) !== leafCount) return undefined;
    const offset = this.#at.get(seq);
    if (offset === undefined) return undefined;
    // the groups read for this path, by band (a tree not in the cache only)
    let groups: Map<number, Buffer> | undefined;
    const path = new Array<Uint8Array | undefined>(layout.sizes.length - 1);
    for (let l = 0; l + 1 < layout.sizes.length; l++) {
      const n = layout.sizes[l] as number;
      const sibling = (block >> l) ^ 1;
      if (sibling < n) {
        const at = nodeAt(layout.bandAt, l, sibling);
        if (buf !== undefined) {
          path[l] = buf.subarray(at, at + 32);
        } else {
          const band = Math.floor(l / BAND_LEVELS);
          groups ??= new Map<number, Buffer>();
          let group = groups.get(band);
          const groupAt = at - ((at - (layout.bandAt[band] as number)) % GROUP_BYTES);
          if (group === undefined) groups.set(band, (group = this.#read(offset + groupAt, GROUP_BYTES)));
          path[l] = group.subarray(at - groupAt, at - groupAt + 32);
        }
      }
    }
    return path;
  }

  /** Reads and checks a whole tree; keeps it in the cache while the cache has room. Undefined when it is missing or damaged. */
  #readChecked(seq: number, leafCount: number, bytes: number): Buffer | undefined {
    const offset = this.#at.get(seq);
    if (offset === undefined || offset + bytes > this.#datBytes) return undefined;
    const buf = this.#read(offset, bytes);
    const fine =
      buf.readUInt32BE(0) === MAGIC &&
      buf.readUInt32BE(4) === leafCount &&
      buf.readUInt32BE(8) * 0x1_0000_0000 + buf.readUInt32BE(12) === seq &&
      buf.readUInt32BE(16) === crc32(buf.subarray(HEADER));
    if (!fine) return undefined;
    this.#checked.add(seq);
    if (this.#cache.total + bytes <= this.#cache.capacity) this.#cache.set(seq, buf);
    return buf;
  }

  #read(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    readExactly(this.#dat, buf, length, position, 'trees.dat');
    return buf;
  }

  close(): void {
    closeSync(this.#dat);
    closeSync(this.#idx);
  }

  /** Removes every stored tree. */
  clear(): void {
    ftruncateSync(this.#dat, 0);
    ftruncateSync(this.#idx, 0);
    this.#datBytes = 0;
    this.#idxBytes = 0;
    this.#at.clear();
    this.#checked.clear();
    this.#legacy.clear();
    this.#cache.clear();
  }
}
