/** @module The journal directory's lock: one live journal per directory, across processes and within this one, held by the kernel (src/durable/file-lock.ts). */
import { join } from 'node:path';
import { FileLockedError, lockFile } from '../durable/index.js';
import { JournalLockedError } from './errors.js';
import { LOCK_FILE } from './layout.js';

/**
 * Takes the lock on `journal.lock` in `dir` and returns its release; throws {@link JournalLockedError}, naming
 * the holder, while another live journal (in any process) has the directory open.
 */
export function lockDirectory(dir: string): () => void {
  try {
    return lockFile(join(dir, LOCK_FILE));
  } catch (err) {
    if (err instanceof FileLockedError) throw new JournalLockedError(dir, err.holder);
    throw err;
  }
}
