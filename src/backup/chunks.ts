/** @module Backup chunks made from the index: for every 1,000 anchored commitments, the reference's key/value dump of their proofs (reference-server §6.1). */
import type { CalendarIndex } from '../index/index.js';
import { Timestamp } from '../ots/index.js';
import { BACKUP_CHUNK_COMMITMENTS, encodeBackupChunk } from './format.js';
import { ProofGraph } from './proof-graph.js';

/** Whatever serves `/experimental/backup/<n>`: the bytes of chunk n, or undefined while it does not exist. */
export interface BackupChunkSource {
  backupChunk(n: number): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/** Built chunks kept in memory; they never change, so HTTP caches in front keep them too. */
const DEFAULT_CACHE_CHUNKS = 16;

/**
 * Chunk n covers commit numbers [1000n, 1000n + 1000) and exists once every one of them is anchored (the
 * last partial chunk never does). Commitments are checked newest first, so a chunk that does not exist yet
 * is known after one lookup. BUG: an anchor revoked by a reorg deeper than the confirmation depth after its
 * chunk was served leaves that chunk wrong in caches; the reference has the same window.
 */
export class IndexBackupChunks implements BackupChunkSource {
  readonly #index: CalendarIndex;
  readonly #cache = new Map<number, Uint8Array>();
  readonly #max: number;

  constructor(index: CalendarIndex, cacheChunks = DEFAULT_CACHE_CHUNKS) {
    this.#index = index;
    this.#max = cacheChunks;
  }

  backupChunk(n: number): Uint8Array | undefined {
    const cached = this.#cache.get(n);
    if (cached) return cached;
    const first = n * BACKUP_CHUNK_COMMITMENTS;
    if (!Number.isSafeInteger(first) || first + BACKUP_CHUNK_COMMITMENTS > this.#index.commitCount) return undefined;
    const proofs: Array<{ commitment: Uint8Array; proof: Uint8Array }> = [];
    for (let k = first + BACKUP_CHUNK_COMMITMENTS - 1; k >= first; k--) {
      const commitment = this.#index.commitment(k);
      const found = this.#index.lookup(commitment);
      if (found.kind !== 'complete') return undefined;
      proofs.push({ commitment, proof: found.proof });
    }
    const graph = new ProofGraph();
    for (const { commitment, proof } of proofs) graph.add(Timestamp.fromBytes(proof, commitment));
    const bytes = encodeBackupChunk(graph.nodes());
    this.#cache.set(n, bytes);
    if (this.#cache.size > this.#max) this.#cache.delete(this.#cache.keys().next().value as number);
    return bytes;
  }
}
