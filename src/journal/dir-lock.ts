/** @module The directory lock: one live journal per directory, across processes and within this one. */
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { JournalLockedError } from './errors.js';
import { errnoOf } from '../durable/index.js';
import { LOCK_FILE } from './layout.js';

/** Directories held by journals open in this process (a second open would interleave two writers). */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else
    return errnoOf(err) === 'EPERM';
  }
}

/**
 * Takes the lock: `journal.lock` holds the owner's pid. A lock whose process is gone (kill -9, power loss) is
 * stale and taken over; the lock file is advisory and never fsynced, since a reboot ends every holder anyway.
 * Returns the release function.
 */
export function lockDirectory(dir: string): () => void {
  const key = resolve(dir);
  if (heldHere.has(key)) throw new JournalLockedError(dir, process.pid);
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST' || attempt > 0) {
        if (errnoOf(err) === 'EEXIST') throw new JournalLockedError(dir, readPid(path));
        throw err;
      }
      const pid = readPid(path);
      if (pid > 0 && pid !== process.pid && alive(pid)) throw new JournalLockedError(dir, pid);
      unlinkSync(path);
    }
  }
  heldHere.add(key);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    heldHere.delete(key);
    try {
      unlinkSync(path);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  };
}

function readPid(path: string): number {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(n) ? n : -1;
  } catch {
    return -1;
  }
}
