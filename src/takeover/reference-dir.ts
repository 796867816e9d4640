/** @module A reference calendar directory read offline: `journal`, `hmac-key`, `uri`, `db/`, and who holds its lock (reference-server §4.1, §7.2). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ReferenceDirError } from './errors.js';
import { ReferenceJournal } from './reference-journal.js';

export interface ReferenceDir {
  path: string;
  dbPath: string;
  journalPath: string;
  uri: string;
  hmacKey: Uint8Array;
  /** The journal, open (close it when done). */
  journal: ReferenceJournal;
  /** Records in the journal. */
  entries: number;
}

function readRequired(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new ReferenceDirError(`${path}: cannot read the reference calendar's ${what} (${(cause as NodeJS.ErrnoException).code ?? 'error'}); is --from the otsd calendar directory (~/.otsd/calendar)?`, { cause });
  }
}

/** Reads the small files and opens the journal; checks the journal is whole records. Changes nothing. */
export function readReferenceDir(path: string): ReferenceDir {
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new ReferenceDirError(`${path} is not a directory`);
  const dbPath = join(path, 'db');
  if (!existsSync(join(dbPath, 'CURRENT'))) throw new ReferenceDirError(`${dbPath} holds no LevelDB database (no CURRENT file): is ${path} an otsd calendar directory?`);
  const uri = readRequired(join(path, 'uri'), 'URI').toString('utf8').trim();
  const hmacKey = new Uint8Array(readRequired(join(path, 'hmac-key'), 'HMAC key'));
  const journalPath = join(path, 'journal');
  const journal = ReferenceJournal.open(journalPath);
  return { path, dbPath, journalPath, uri, hmacKey, journal, entries: journal.entries };
}

/**
 * The process holding a POSIX lock on `file`, from /proc/locks (LevelDB locks `db/LOCK` with fcntl for as long
 * as a database is open, so a running otsd shows there). Undefined when none is listed or /proc is unreadable.
 */
export function lockHolder(file: string): { pid: number; command: string } | undefined {
  let st: { dev: bigint; ino: bigint };
  let locks: string;
  try {
    st = statSync(file, { bigint: true });
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  const major = ((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn);
  const minor = (st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn);
  const id = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
  for (const line of locks.split('\n')) {
    const f = line.trim().split(/\s+/);
    // "1: POSIX  ADVISORY  WRITE 4744 fe:00:2205804 0 EOF"
    if (f[5] !== id) continue;
    const pid = Number(f[4]);
    let command = '?';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200) || '?';
    } catch {
      // the holder may have exited meanwhile
    }
    return { pid, command };
  }
  return undefined;
}
