/**
 * @module The file operations that change what is on disk, as two injectable seams (asynchronous for the journal's write path, synchronous for small state files), so tests can count fsyncs, hold them, or fail any step (style rule 13).
 *
 * Reads do not go through these seams: they never change what is durable.
 */
import * as fs from 'node:fs';

/** Asynchronous file operations: node:fs callbacks on the libuv thread pool, so an fsync never blocks the event loop. */
export interface FileIo {
  open(path: string, flags: string, mode?: number): Promise<number>;
  /** Writes at `position`; resolves with the bytes written, which may be fewer than asked. */
  write(fd: number, data: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

/** The real thing. */
export const nodeIo: FileIo = {
  open: (path, flags, mode = 0o644) => new Promise((res, rej) => fs.open(path, flags, mode, (err, fd) => (err ? rej(err) : res(fd)))),
  write: (fd, data, offset, length, position) => new Promise((res, rej) => fs.write(fd, data, offset, length, position, (err, n) => (err ? rej(err) : res(n)))),
  fdatasync: (fd) => new Promise((res, rej) => fs.fdatasync(fd, (err) => (err ? rej(err) : res()))),
  fsync: (fd) => new Promise((res, rej) => fs.fsync(fd, (err) => (err ? rej(err) : res()))),
  ftruncate: (fd, length) => new Promise((res, rej) => fs.ftruncate(fd, length, (err) => (err ? rej(err) : res()))),
  close: (fd) => new Promise((res, rej) => fs.close(fd, (err) => (err ? rej(err) : res()))),
  rename: (from, to) => new Promise((res, rej) => fs.rename(from, to, (err) => (err ? rej(err) : res()))),
  unlink: (path) => new Promise((res, rej) => fs.unlink(path, (err) => (err ? rej(err) : res()))),
};

/** The real operations with some replaced (tests). */
export function makeIo(overrides?: Partial<FileIo>): FileIo {
  return { ...nodeIo, ...overrides };
}

/**
 * Synchronous file operations, for small state files written where nothing else may run between deciding and
 * recording (the stamper's state, the key, the URI). Each call blocks the event loop for one fsync (~1 ms).
 */
export interface SyncFileIo {
  open(path: string, flags: number | string, mode?: number): number;
  write(fd: number, data: Uint8Array, offset: number, length: number, position: number): number;
  fsync(fd: number): void;
  close(fd: number): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
}

export const nodeSyncIo: SyncFileIo = {
  open: (path, flags, mode = 0o644) => fs.openSync(path, flags, mode),
  write: (fd, data, offset, length, position) => fs.writeSync(fd, data, offset, length, position),
  fsync: (fd) => fs.fsyncSync(fd),
  close: (fd) => fs.closeSync(fd),
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (path) => fs.unlinkSync(path),
};

/** Node's errno code of an error (`ENOENT`, `ENOSPC`, …), if it has one. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
