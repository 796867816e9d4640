/** @module Backup chunks made from the index: for every 1,000 anchored commitments, the reference's key/value dump of their proofs (reference-server §6.1), built in slices that let other work run. */
import type { CalendarIndex } from '../index/index.js';
import { Timestamp } from '../ots/index.js';
import { BACKUP_CHUNK_COMMITMENTS, encodeBackupChunk } from './format.js';
import { ProofGraph } from './proof-graph.js';

/** Whatever serves `/experimental/backup/<n>`: the bytes of chunk n, or undefined while it does not exist. */
export interface BackupChunkSource {
  backupChunk(n: number): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/** Bytes of built chunks kept in memory (a chunk is about 250 KB): they never change, so HTTP caches in front keep them too. */
export const DEFAULT_BACKUP_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Commitments merged into a chunk between two turns of the event loop. A whole chunk takes about 0.2 s of CPU,
 * nearly all of it merging proofs; a slice of 25 is a few milliseconds, so requests and ticks go on meanwhile.
 */
const SLICE_COMMITMENTS = 25;

export interface IndexBackupChunksOptions {
  /** Bytes of built chunks kept (default 32 MiB); the least recently served go first. */
  cacheBytes?: number;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Chunk n covers commit numbers [1000n, 1000n + 1000) and exists once every one of them is anchored (the
 * last partial chunk never does). Commitments are checked newest first, so a chunk that does not exist yet
 * is known after one lookup. One chunk is built at a time, in slices: clients asking for others wait in line
 * (each would otherwise hold a half-built chunk), and clients asking for the one being built share it.
 * BUG: an anchor revoked by a reorg deeper than the confirmation depth after its chunk was served leaves that
 * chunk wrong in caches; the reference has the same window.
 */
export class IndexBackupChunks implements BackupChunkSource {
  readonly #index: CalendarIndex;
  /** Least recently served first. */
  readonly #cache = new Map<number, Uint8Array>();
  #cachedBytes = 0;
  readonly #maxBytes: number;
  readonly #building = new Map<number, Promise<Uint8Array | undefined>>();
  /** The last build asked for; the next one starts after it. */
  #line: Promise<unknown> = Promise.resolve();

  constructor(index: CalendarIndex, opts: IndexBackupChunksOptions = {}) {
    const maxBytes = opts.cacheBytes ?? DEFAULT_BACKUP_CACHE_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`"cacheBytes" expected a non-negative integer, got ${maxBytes}`);
    this.#index = index;
    this.#maxBytes = maxBytes;
  }

  backupChunk(n: number): Promise<Uint8Array | undefined> {
    const cached = this.#cache.get(n);
    if (cached) {
      this.#cache.delete(n);
      this.#cache.set(n, cached);
      return Promise.resolve(cached);
    }
    const first = n * BACKUP_CHUNK_COMMITMENTS;
    if (!Number.isSafeInteger(first) || first + BACKUP_CHUNK_COMMITMENTS > this.#index.commitCount) return Promise.resolve(undefined);
    let building = this.#building.get(n);
    if (!building) {
      building = this.#line.then(() => this.#build(n));
      this.#line = building.catch(() => undefined);
      this.#building.set(n, building);
      const done = (): void => void this.#building.delete(n);
      building.then(done, done);
    }
    return building;
  }

  async #build(n: number): Promise<Uint8Array | undefined> {
    const first = n * BACKUP_CHUNK_COMMITMENTS;
    const graph = new ProofGraph();
    for (let k = first + BACKUP_CHUNK_COMMITMENTS - 1, inSlice = 0; k >= first; k--) {
      const commitment = this.#index.commitment(k);
      const found = this.#index.lookup(commitment);
      if (found.kind !== 'complete') return undefined;
      graph.add(Timestamp.fromBytes(found.proof, commitment));
      if (++inSlice === SLICE_COMMITMENTS) {
        inSlice = 0;
        await turn();
      }
    }
    const bytes = encodeBackupChunk(graph.nodes());
    this.#remember(n, bytes);
    return bytes;
  }

  #remember(n: number, bytes: Uint8Array): void {
    if (bytes.length > this.#maxBytes) return;
    this.#cache.set(n, bytes);
    this.#cachedBytes += bytes.length;
    for (const [k, v] of this.#cache) {
      if (this.#cachedBytes <= this.#maxBytes) break;
      this.#cache.delete(k);
      this.#cachedBytes -= v.length;
    }
  }
}
