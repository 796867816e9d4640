/**
 * @module Durable writes of whole files: after a crash a file written here holds either its old content (or nothing) or all of the new, never a part. Every writer of a file that must survive a crash uses these.
 *
 * Replacing a file (`writeFileDurably`, `writeFileDurablySync`):
 *
 *   1. open(dir/name.tmp, O_CREAT|O_TRUNC|O_WRONLY, mode)
 *   2. write(all bytes)                looping over short writes
 *   3. fsync(tmp)                      the contents are durable
 *   4. close(tmp)
 *   5. rename(tmp, name)               atomic replacement
 *   6. fsync(dir)                      the new name is durable
 *
 * Creating a file that must never be replaced (`createFileDurablySync`, the HMAC key): open with O_EXCL, write,
 * fsync, close, fsync(dir). Two processes racing create one file; the loser gets EEXIST.
 *
 * BUG: a crash between 5 and 6 can leave the old name (or none) after reboot; callers either rewrite the file
 * on the next open (sidecars, recomputed from the segment) or write it before anything depends on it.
 */
import { dirname, join } from 'node:path';
import { type FileIo, type SyncFileIo, errnoOf, nodeSyncIo } from './file-io.js';

/** The suffix of a file being written; a leftover one after a crash is ignored (and may be removed) by readers. */
export const TEMP_SUFFIX = '.tmp';

export type DurableStep = 'open' | 'write' | 'fsync' | 'close' | 'rename' | 'fsync-dir';

/**
 * Which step of a durable write failed. Callers treat `fsync`/`fsync-dir` failures as fatal (the page cache
 * state is unknown afterwards) and the others as ordinary write failures.
 */
export class DurableWriteError extends Error {
  readonly code = 'durable-write';
  constructor(
    readonly step: DurableStep,
    readonly path: string,
    options: { cause: unknown },
  ) {
    super(`${step} of ${path} failed: ${errnoOf(options.cause) ?? String(options.cause)}`, options);
    this.name = 'DurableWriteError';
  }

  get syncFailed(): boolean {
    return this.step === 'fsync' || this.step === 'fsync-dir';
  }

  /** The errno of the failed step (`ENOSPC`, `EACCES`, …), if any. */
  get errno(): string | undefined {
    return errnoOf(this.cause);
  }
}

/** Loops until every byte is written: a write may be short (signals, quotas), which is not an error. */
export async function writeAll(io: FileIo, fd: number, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const n = await io.write(fd, data, written, data.length - written, position + written);
    if (n <= 0) throw Object.assign(new Error(`write returned ${n}`), { code: 'EIO' });
    written += n;
  }
}

/** fsync of a directory: makes the names created, renamed or removed in it durable. */
export async function fsyncDir(io: FileIo, dir: string): Promise<void> {
  const fd = await io.open(dir, 'r');
  try {
    await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
}

/** Replaces `dir/name` with `bytes` by the steps in the module comment; throws {@link DurableWriteError}. */
export async function writeFileDurably(io: FileIo, dir: string, name: string, bytes: Uint8Array, mode = 0o644): Promise<void> {
  const path = join(dir, name);
  const tmp = path + TEMP_SUFFIX;
  const step = async <T>(s: DurableStep, p: () => Promise<T>): Promise<T> => {
    try {
      return await p();
    } catch (cause) {
      throw cause instanceof DurableWriteError ? cause : new DurableWriteError(s, path, { cause });
    }
  };
  const fd = await step('open', () => io.open(tmp, 'w', mode));
  try {
    await step('write', () => writeAll(io, fd, bytes, 0));
    await step('fsync', () => io.fsync(fd));
  } finally {
    await step('close', () => io.close(fd));
  }
  await step('rename', () => io.rename(tmp, path));
  await step('fsync-dir', () => fsyncDir(io, dir));
}

function stepSync<T>(s: DurableStep, path: string, f: () => T): T {
  try {
    return f();
  } catch (cause) {
    throw cause instanceof DurableWriteError ? cause : new DurableWriteError(s, path, { cause });
  }
}

function writeAllSync(io: SyncFileIo, fd: number, data: Uint8Array): void {
  let written = 0;
  while (written < data.length) {
    const n = io.write(fd, data, written, data.length - written, written);
    if (n <= 0) throw Object.assign(new Error(`write returned ${n}`), { code: 'EIO' });
    written += n;
  }
}

function fsyncDirSync(io: SyncFileIo, dir: string): void {
  const fd = io.open(dir, 'r');
  try {
    io.fsync(fd);
  } finally {
    io.close(fd);
  }
}

/** Removes a file left by a failed write; a failure here changes nothing the caller reports. */
function unlinkQuietly(io: SyncFileIo, path: string): void {
  try {
    io.unlink(path);
  } catch {
    // already gone, or the disk refuses: the caller reports the original failure
  }
}

function asBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/**
 * Replaces `path` with `data`, synchronously, by the steps in the module comment; throws {@link DurableWriteError}.
 * The temporary name carries the pid, so two processes never write the same temporary file.
 */
export function writeFileDurablySync(path: string, data: string | Uint8Array, opts: { mode?: number; io?: SyncFileIo } = {}): void {
  const io = opts.io ?? nodeSyncIo;
  const bytes = asBytes(data);
  const tmp = `${path}${TEMP_SUFFIX}-${process.pid}`;
  const fd = stepSync('open', path, () => io.open(tmp, 'w', opts.mode ?? 0o644));
  try {
    try {
      stepSync('write', path, () => writeAllSync(io, fd, bytes));
      stepSync('fsync', path, () => io.fsync(fd));
    } finally {
      stepSync('close', path, () => io.close(fd));
    }
    stepSync('rename', path, () => io.rename(tmp, path));
  } catch (err) {
    unlinkQuietly(io, tmp);
    throw err;
  }
  stepSync('fsync-dir', path, () => fsyncDirSync(io, dirname(path)));
}

/**
 * Creates `path` holding `data`, only if it does not exist (O_EXCL), durably. Returns false (and writes
 * nothing) when the file already exists; throws {@link DurableWriteError} for any other failure. A failure
 * after the create removes the partial file, so a retry starts clean.
 */
export function createFileDurablySync(path: string, data: string | Uint8Array, opts: { mode?: number; io?: SyncFileIo } = {}): boolean {
  const io = opts.io ?? nodeSyncIo;
  const bytes = asBytes(data);
  let fd: number;
  try {
    fd = io.open(path, 'wx', opts.mode ?? 0o644);
  } catch (cause) {
    if (errnoOf(cause) === 'EEXIST') return false;
    throw new DurableWriteError('open', path, { cause });
  }
  try {
    try {
      stepSync('write', path, () => writeAllSync(io, fd, bytes));
      stepSync('fsync', path, () => io.fsync(fd));
    } finally {
      stepSync('close', path, () => io.close(fd));
    }
  } catch (err) {
    unlinkQuietly(io, path);
    throw err;
  }
  // the new name must survive a power loss too, or a second create would silently make another file
  stepSync('fsync-dir', path, () => fsyncDirSync(io, dirname(path)));
  return true;
}
