/**
 * @module The reference's LevelDB, read through classic-level, which only this command loads (a dynamic import:
 * the calendar never needs the binding). Keys are proof-node messages, values their encoded ops and attestations.
 */
import { join } from 'node:path';
import { ReferenceDirError, ReferenceLockedError } from './errors.js';
import { lockHolder } from './reference-dir.js';

/** What the import reads: one pass over every entry, and values by key in batches. */
export interface NodeStore {
  /** The values of `keys`, undefined for a key the database lacks. */
  getMany(keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>>;
  /** Calls `fn` with every key and value, in key order (bytewise, LevelDB's order); `fn` must copy what it keeps. */
  forEachEntry(fn: (key: Uint8Array, value: Uint8Array) => void): Promise<void>;
  /**
   * Closes the database and opens it again, to let go of the table files read so far: LevelDB maps each open one
   * whole, and a pass over every entry leaves up to MAX_OPEN_FILES of them (128 MB) resident until they close. The
   * lock is free for that moment; an otsd started just then holds it, and this fails with ReferenceLockedError.
   */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

/** Keys per native call: large enough to amortize the call, small enough to bound the memory of one answer. */
const BATCH = 4096;
/** Entries per step of the pass, and the bytes they may hold (classic-level stops a step at either). */
const PASS_ENTRIES = 1000;
const PASS_BYTES = 256 << 10;
/**
 * LevelDB maps each table file it has open whole (2 MB each in a reference database), and every page the pass reads
 * stays resident until the file is closed: the open files bound that memory. 74 is LevelDB's least (64 tables).
 */
const MAX_OPEN_FILES = 74;

interface LevelIterator<T> {
  nextv(size: number): Promise<T[]>;
  close(): Promise<void>;
}

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
  getMany(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>>;
  iterator(options?: Record<string, unknown>): LevelIterator<[Uint8Array, Uint8Array]>;
}

type LevelCtor = new (location: string, options: Record<string, unknown>) => LevelDb;

function lockedCause(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === 'LEVEL_LOCKED' || /\block\b.*(unavailable|held)/i.test(e.message)) return true;
  }
  return false;
}

async function openLevel(ClassicLevel: LevelCtor, dbPath: string, cacheBytes: number): Promise<LevelDb> {
  const db = new ClassicLevel(dbPath, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false, errorIfExists: false, cacheSize: cacheBytes, maxOpenFiles: MAX_OPEN_FILES });
  try {
    await db.open();
  } catch (cause) {
    const lock = join(dbPath, 'LOCK');
    if (lockedCause(cause)) throw new ReferenceLockedError(lock, lockHolder(lock));
    throw new ReferenceDirError(`cannot open the LevelDB database ${dbPath}: ${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)}`, { cause });
  }
  return db;
}

/**
 * Opens the database without creating it. LevelDB takes its lock first, so a running otsd is a
 * ReferenceLockedError naming the process (from /proc/locks). LevelDB may rewrite its own log into a table
 * file on open, as every open by otsd does, and compact its tables while it is read, as under otsd: the same
 * entries in new files. Nothing else in the directory is written.
 */
export async function openReferenceDb(dbPath: string, cacheBytes = 32 << 20): Promise<NodeStore> {
  let ClassicLevel: LevelCtor;
  try {
    ({ ClassicLevel } = (await import('classic-level')) as unknown as { ClassicLevel: LevelCtor });
  } catch (cause) {
    throw new ReferenceDirError('cannot load the LevelDB binding (npm package classic-level); reinstall ots-calendar with its dependencies', { cause });
  }
  let db = await openLevel(ClassicLevel, dbPath, cacheBytes);
  return {
    async getMany(keys) {
      // in key order: neighbouring keys share LevelDB's blocks, so each block is read once per batch
      const order = Array.from(keys.keys()).sort((a, b) => Buffer.compare(keys[a] as Uint8Array, keys[b] as Uint8Array));
      const out: Array<Uint8Array | undefined> = new Array(keys.length);
      for (let i = 0; i < order.length; i += BATCH) {
        const part = order.slice(i, i + BATCH);
        const values = await db.getMany(part.map((k) => keys[k] as Uint8Array));
        part.forEach((k, j) => (out[k] = values[j]));
      }
      return out;
    },
    async forEachEntry(fn) {
      // fillCache false: the pass reads every block once, and should not push out what lookups keep
      const it = db.iterator({ fillCache: false, highWaterMarkBytes: PASS_BYTES });
      try {
        for (;;) {
          const batch = await it.nextv(PASS_ENTRIES);
          if (batch.length === 0) break;
          for (const [k, v] of batch) fn(k, v);
        }
      } finally {
        await it.close();
      }
    },
    async reopen() {
      await db.close();
      db = await openLevel(ClassicLevel, dbPath, cacheBytes);
    },
    close: () => db.close(),
  };
}
