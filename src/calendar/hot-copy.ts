/**
 * @module A consistent copy of a calendar's data directory while it runs (`ots-calendar backup`): the key, the URI, the anchoring state and the journal up to a durable head; the index is derived and rebuilt from the copy on its first start.
 *
 * Order matters, and is chosen so that the copy is always one the calendar could have left after a crash:
 *
 *   1. key and URI (they never change once made)
 *   2. `state/` (each file is replaced atomically, so a read sees a whole version)
 *   3. the journal, segment by segment, oldest first: every record acknowledged before the copy started is
 *      whole on disk (acknowledged = fdatasynced), so it is in the bytes read; a record being written may be
 *      torn at the end of the copy and is cut when the copy is opened (the journal's own recovery)
 *
 * The state is copied before the journal, so the journal copy is at least as new as the state: an anchor the
 * state remembers is in the journal copy, and one the journal holds beyond the state is recognised again by
 * the stamper (appending an anchor is idempotent). Every file of the copy is written durably.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurablySync } from '../durable/index.js';
import { Journal, type JournalHead } from '../journal/index.js';
import type { Log } from '../log/log.js';
import { DataDirError, HMAC_KEY_FILE, URI_FILE } from './data-dir.js';

export interface HotCopyReport {
  /** The copy's journal head after recovery: every record acknowledged before the copy began is below it. */
  head: JournalHead;
  files: number;
  bytes: number;
}

/** Names in the journal directory that are copied: the format file, segments and their sidecars (not the lock, not temporaries). */
const JOURNAL_FILE = /^(journal\.format|\d{16}\.(seg|end))$/;

/**
 * Copies the data directory `from` into `to`, which must not exist or be empty. Throws {@link DataDirError} when
 * `from` is not a data directory or `to` is not empty.
 */
export async function hotCopy(from: string, to: string, log: Log): Promise<HotCopyReport> {
  const journalFrom = join(from, 'journal');
  if (!existsSync(join(from, HMAC_KEY_FILE)) || !existsSync(journalFrom)) throw new DataDirError(`${from} is not a calendar's data directory (no ${HMAC_KEY_FILE} and journal/ in it)`);
  if (existsSync(to) && readdirSync(to).length > 0) throw new DataDirError(`${to} is not empty: a backup goes into a new or empty directory`);
  mkdirSync(join(to, 'journal'), { recursive: true, mode: 0o750 });
  mkdirSync(join(to, 'state'), { recursive: true, mode: 0o750 });
  let files = 0;
  let bytes = 0;
  const copy = (src: string, dst: string, mode = 0o644): void => {
    const data = readFileSync(src);
    writeFileDurablySync(dst, data, { mode });
    files++;
    bytes += data.length;
  };
  // 1. what never changes
  copy(join(from, HMAC_KEY_FILE), join(to, HMAC_KEY_FILE), 0o600);
  if (existsSync(join(from, URI_FILE))) copy(join(from, URI_FILE), join(to, URI_FILE));
  // 2. the anchoring state, before the journal
  const stateFrom = join(from, 'state');
  if (existsSync(stateFrom)) {
    for (const name of readdirSync(stateFrom).filter((n) => n.endsWith('.json'))) copy(join(stateFrom, name), join(to, 'state', name), 0o640);
  }
  // 3. the journal, oldest segment first
  const names = readdirSync(journalFrom)
    .filter((n) => JOURNAL_FILE.test(n))
    .sort();
  for (const name of names) {
    try {
      copy(join(journalFrom, name), join(to, 'journal', name));
    } catch (err) {
      // a sidecar may be replaced while we read the directory; the copy's recovery recomputes a missing one
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && name.endsWith('.end')) continue;
      throw err;
    }
  }
  log('info', 'backup: files copied; checking the copy', { files, bytes });
  const journal = await Journal.open({ dir: join(to, 'journal'), log });
  const head = journal.head();
  await journal.close();
  return { head, files, bytes };
}
