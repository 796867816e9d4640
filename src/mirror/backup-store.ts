/** @module Verified backup chunks on disk, as received, with an index of the commitments they prove: what a backup-protocol mirror serves from. */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurablySync } from '../durable/index.js';
import { BytesReader, BytesWriter } from '../ots/index.js';
import { ProofGraph, decodeBackupChunk, type BackupChunkSource } from '../backup/index.js';
import type { Log } from '../log/log.js';


const CHUNK_SUFFIX = '.chunk';
const ROOTS_SUFFIX = '.roots';
const NAME = /^(\d{10})\.chunk$/;
/** Parsed chunks kept in memory for answers; a chunk of 1,000 proofs is a few MB parsed. */
const GRAPH_CACHE = 8;

function chunkName(n: number): string {
  return String(n).padStart(10, '0') + CHUNK_SUFFIX;
}

function rootsName(n: number): string {
  return String(n).padStart(10, '0') + ROOTS_SUFFIX;
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

function encodeRoots(roots: readonly Uint8Array[]): Uint8Array {
  const w = new BytesWriter(roots.length * 46);
  for (const r of roots) w.writeVarbytes(r);
  return w.toBytes();
}

function decodeRoots(bytes: Uint8Array): Uint8Array[] {
  const r = new BytesReader(bytes);
  const out: Uint8Array[] = [];
  while (r.remaining() > 0) out.push(r.readVarbytes(4096, 1));
  return out;
}

/**
 * Files: `<n>.chunk` holds chunk n exactly as the upstream served it (so it can be served again), `<n>.roots`
 * the commitments it proves. Chunks are stored in order, each only after it verified; the number of chunks
 * held is the progress. Each file is written durably (temp, fsync, rename, fsync dir), so a crash leaves a
 * chunk either whole or absent. Owner of all fields: the one BackupMirror writing to it.
 */
export class BackupStore implements BackupChunkSource {
  readonly dir: string;
  #chunks = 0;
  /** commitment (latin1) → chunk number */
  readonly #roots = new Map<string, number>();
  readonly #graphs = new Map<number, ProofGraph>();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens (creating) the store; a damaged chunk file and everything after it are set aside and fetched again. */
  static open(dir: string, log: Log = () => undefined): BackupStore {
    mkdirSync(dir, { recursive: true });
    const store = new BackupStore(dir);
    const held = new Set(readdirSync(dir).map((name) => NAME.exec(name)?.[1]).filter((x): x is string => x !== undefined).map(Number));
    let n = 0;
    for (; held.has(n); n++) {
      try {
        store.#indexRoots(n, store.#rootsOf(n));
      } catch (err) {
        log('warn', 'backup store: a damaged chunk is set aside and will be fetched again', { chunk: n, error: err instanceof Error ? err.message : String(err) });
        break;
      }
    }
    store.#chunks = n;
    for (const k of [...held].filter((k) => k >= n)) {
      renameSync(join(dir, chunkName(k)), join(dir, `${chunkName(k)}.set-aside`));
      if (existsSync(join(dir, rootsName(k)))) renameSync(join(dir, rootsName(k)), join(dir, `${rootsName(k)}.set-aside`));
    }
    return store;
  }

  /** Chunks held: also the number of the next chunk to fetch. */
  get chunks(): number {
    return this.#chunks;
  }

  /** Commitments proven by the chunks held. */
  get commitments(): number {
    return this.#roots.size;
  }

  #rootsOf(n: number): Uint8Array[] {
    const path = join(this.dir, rootsName(n));
    if (existsSync(path)) return decodeRoots(readFileSync(path));
    // a crash between the two files: the chunk is whole, its roots are recomputed
    const roots = ProofGraph.fromNodes(decodeBackupChunk(readFileSync(join(this.dir, chunkName(n))))).roots();
    writeFileDurablySync(path, encodeRoots(roots));
    return roots;
  }

  #indexRoots(n: number, roots: readonly Uint8Array[]): void {
    for (const r of roots) if (!this.#roots.has(latin1(r))) this.#roots.set(latin1(r), n);
  }

  /** Stores chunk `n` (must be the next one), already verified, with the commitments it proves. Durable on return. */
  add(n: number, bytes: Uint8Array, graph: ProofGraph, roots: readonly Uint8Array[]): void {
    if (n !== this.#chunks) throw new RangeError(`"n" expected the next chunk ${this.#chunks}, got ${n}`);
    writeFileDurablySync(join(this.dir, chunkName(n)), bytes);
    writeFileDurablySync(join(this.dir, rootsName(n)), encodeRoots(roots));
    this.#chunks++;
    this.#indexRoots(n, roots);
    this.#remember(n, graph);
  }

  #remember(n: number, graph: ProofGraph): void {
    this.#graphs.delete(n);
    this.#graphs.set(n, graph);
    if (this.#graphs.size > GRAPH_CACHE) this.#graphs.delete(this.#graphs.keys().next().value as number);
  }

  #graph(n: number): ProofGraph {
    const cached = this.#graphs.get(n);
    if (cached) {
      this.#remember(n, cached);
      return cached;
    }
    const graph = ProofGraph.fromNodes(decodeBackupChunk(readFileSync(join(this.dir, chunkName(n)))));
    this.#remember(n, graph);
    return graph;
  }

  /** The serialized proof from a commitment a stored chunk proves (canonical, as the reference serializes it). */
  proof(commitment: Uint8Array): Uint8Array | undefined {
    const n = this.#roots.get(latin1(commitment));
    if (n === undefined) return undefined;
    return this.#graph(n).timestamp(commitment)?.toBytes();
  }

  /** Chunk n as received, for mirrors of this mirror. */
  backupChunk(n: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.#chunks) return undefined;
    return new Uint8Array(readFileSync(join(this.dir, chunkName(n))));
  }
}
