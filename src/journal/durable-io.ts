/** @module The file operations the journal's write path uses, as one injectable seam, and the durable small-file write. */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { JournalError } from './errors.js';
import { TEMP_SUFFIX } from './layout.js';

/**
 * Every file operation on the write and recovery paths goes through this interface, so tests can count fsyncs,
 * hold them, or fail any step (style rule 13). All are asynchronous: an fsync never blocks the event loop.
 * Reads do not go through it: they never change what is durable.
 */
export interface JournalIo {
  open(path: string, flags: string): Promise<number>;
  /** Writes at `position`; resolves with the bytes written, which may be fewer than asked. */
  write(fd: number, data: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

/** The real thing: node:fs callbacks run on the libuv thread pool. */
export const nodeIo: JournalIo = {
  open: (path, flags) => new Promise((res, rej) => fs.open(path, flags, 0o644, (err, fd) => (err ? rej(err) : res(fd)))),
  write: (fd, data, offset, length, position) => new Promise((res, rej) => fs.write(fd, data, offset, length, position, (err, n) => (err ? rej(err) : res(n)))),
  fdatasync: (fd) => new Promise((res, rej) => fs.fdatasync(fd, (err) => (err ? rej(err) : res()))),
  fsync: (fd) => new Promise((res, rej) => fs.fsync(fd, (err) => (err ? rej(err) : res()))),
  ftruncate: (fd, length) => new Promise((res, rej) => fs.ftruncate(fd, length, (err) => (err ? rej(err) : res()))),
  close: (fd) => new Promise((res, rej) => fs.close(fd, (err) => (err ? rej(err) : res()))),
  rename: (from, to) => new Promise((res, rej) => fs.rename(from, to, (err) => (err ? rej(err) : res()))),
  unlink: (path) => new Promise((res, rej) => fs.unlink(path, (err) => (err ? rej(err) : res()))),
};

export function makeIo(overrides?: Partial<JournalIo>): JournalIo {
  return { ...nodeIo, ...overrides };
}

/** Loops until every byte is written: a write may be short (signals, quotas), which is not an error. */
export async function writeAll(io: JournalIo, fd: number, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const n = await io.write(fd, data, written, data.length - written, position + written);
    if (n <= 0) throw Object.assign(new Error(`write returned ${n}`), { code: 'EIO' });
    written += n;
  }
}

/** fsync of a directory: makes the names created, renamed or removed in it durable. */
export async function fsyncDir(io: JournalIo, dir: string): Promise<void> {
  const fd = await io.open(dir, 'r');
  try {
    await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
}

/**
 * Writes a small file so that after a crash it holds either nothing or all of `bytes`, never a part:
 *
 *   1. open(dir/name.tmp, O_CREAT|O_TRUNC|O_WRONLY)
 *   2. write(all bytes)
 *   3. fsync(tmp)              the contents are durable
 *   4. close(tmp)
 *   5. rename(tmp, name)       atomic replacement
 *   6. fsync(dir)              the new name is durable
 *
 * BUG: a crash between 5 and 6 can leave the old name (or none) after reboot; callers either rewrite the file
 * on the next open (sidecars, recomputed from the segment) or write it before anything depends on it.
 */
export async function writeFileDurably(io: JournalIo, dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dir, name + TEMP_SUFFIX);
  const fd = await step('open', io.open(tmp, 'w'));
  try {
    await step('write', writeAll(io, fd, bytes, 0));
    await step('fsync', io.fsync(fd));
  } finally {
    await step('close', io.close(fd));
  }
  await step('rename', io.rename(tmp, join(dir, name)));
  await step('fsync-dir', fsyncDir(io, dir));
}

export type DurableStep = 'open' | 'write' | 'fsync' | 'close' | 'rename' | 'fsync-dir';

/**
 * Which step of writeFileDurably failed. Callers treat `fsync`/`fsync-dir` failures as fatal (the page cache
 * state is unknown afterwards) and the others as ordinary write failures.
 */
export class DurableStepError extends JournalError {
  readonly code = 'journal-durable-step';
  constructor(readonly step: DurableStep, options: { cause: unknown }) {
    super(`${step} failed: ${errnoOf(options.cause) ?? String(options.cause)}`, options);
  }

  get syncFailed(): boolean {
    return this.step === 'fsync' || this.step === 'fsync-dir';
  }
}

async function step<T>(name: DurableStep, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (cause) {
    throw cause instanceof DurableStepError ? cause : new DurableStepError(name, { cause });
  }
}

/** Node's errno code of an error, if any. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
