/** @module An exclusive lock on a file, held by the kernel: one live owner of a directory across processes and within this one, never left stale by a crash. */
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { errnoOf } from './file-io.js';

/**
 * The native binding's one call used here: an exclusive, non-blocking lock on a whole open file (an open file
 * description lock, `F_OFD_SETLK`, on Linux; `flock` on macOS), false when another open file holds it.
 */
interface FileLocking {
  tryLock(fd: number): boolean;
}

const { tryLock } = createRequire(import.meta.url)('fs-native-extensions') as FileLocking;

/** Another live process (or this one) holds the lock; `holder` is its pid, -1 when it cannot be told. */
export class FileLockedError extends Error {
  readonly code = 'file-locked';
  constructor(
    readonly path: string,
    readonly holder: number,
  ) {
    super(`${path} is locked by ${holder > 0 ? `process ${holder}` : 'another process'}`);
    this.name = 'FileLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else
    return errnoOf(err) === 'EPERM';
  }
}

/** Lock files held in this process: a clear error instead of a second lock attempt. */
const heldHere = new Set<string>();

/** More than any pid and its newline take. */
const PID_BYTES = 32;

/**
 * Takes an exclusive kernel lock on `path` (created when missing), held through the open file until release or
 * the process's end (kill -9 and power loss included), so two processes can never both hold it and there is no
 * stale lock to take over. The file stays in place for good: removing it would let a second process lock a new
 * file of the same name while the first still holds the old one. The pid written into it only names the holder
 * in the error a second process gets. Returns the release function; throws {@link FileLockedError} while held.
 */
export function lockFile(path: string): () => void {
  const key = resolve(path);
  if (heldHere.has(key)) throw new FileLockedError(path, process.pid);
  const fd = openSync(path, 'a+', 0o644);
  let locked: boolean;
  try {
    locked = tryLock(fd);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  if (!locked) {
    const holder = readHolder(fd);
    closeSync(fd);
    throw new FileLockedError(path, holder);
  }
  try {
    // 'a+' appends on every write: truncated first, the file then holds this pid alone
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`);
  } catch {
    // the pid is only informative; the lock is what counts
  }
  heldHere.add(key);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    heldHere.delete(key);
    try {
      // a pid left behind would name a process that no longer holds anything
      ftruncateSync(fd, 0);
    } catch {
      // only informative, as above
    }
    // closing the only descriptor of this open file releases the lock
    closeSync(fd);
  };
}

/**
 * The holder's pid as written into the lock file, or -1 when it cannot be told: the holder writes it right
 * after locking, so a process that lost a race by microseconds may find the file empty or still naming a
 * process killed before. It is read again every 10 ms, for up to half a second, until it names a live process.
 */
function readHolder(fd: number): number {
  for (let attempt = 0; ; attempt++) {
    const buf = Buffer.alloc(PID_BYTES);
    let n = 0;
    try {
      n = readSync(fd, buf, 0, PID_BYTES, 0);
    } catch {
      return -1;
    }
    const pid = Number.parseInt(buf.subarray(0, n).toString('latin1').trim(), 10);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) return pid;
    if (attempt >= 50) return -1;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}
