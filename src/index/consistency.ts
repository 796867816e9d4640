/**
 * @module Opening the index against its journal: how much of the derived files still agrees with the journal, so that only the rest is re-derived. The files are written without fsync, so after a crash they may be short, torn or (damaged) wrong; the journal decides.
 */
import type { Journal, JournalRecord } from '../journal/index.js';
import type { Log } from '../log/log.js';
import type { AnchorEntry, AnchorIndexFile } from './anchor-index-file.js';
import type { AnchorTrees } from './anchor-trees.js';
import type { LocatedRecord } from './index-writer.js';
import { type CommitEntry, type CommitIndexFile, fingerprintOf, readU32 } from './commit-index.js';

export interface IndexFiles {
  commits: CommitIndexFile;
  anchorFile: AnchorIndexFile;
  trees: AnchorTrees;
}

/**
 * Where re-deriving starts: just after the last indexed commit, or after the anchor and revocation entries that
 * follow it record by record, if both files agree with the journal up to there; otherwise 0, with everything
 * removed (rebuilt from the first record). Entries beyond the journal (a cut torn tail) are cut; an entry after
 * the last commit that does not name the very next record, or does not match it, is dropped with those after it
 * and re-derived, so the two unsynced files can never disagree about what they hold. (A calendar whose journal
 * ends with its anchors, a quiet one's restart, keeps them and their trees: nothing to rebuild.) `listed` holds
 * the anchor and revocation records the kept entries name, from their copies in anchors.idx.records or, for
 * those the copy lacks, read from the journal (and copied), and is handed on, so opening reads each of them once.
 */
export function consistentPrefix(files: IndexFiles, journal: Journal, log: Log): { from: number; listed: LocatedRecord[] } {
  const { commits, anchorFile } = files;
  const size = journal.head().size;
  // never ahead of the journal
  let lo = 0;
  let hi = commits.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (commits.entry(mid).seq < size) lo = mid + 1;
    else hi = mid;
  }
  if (lo < commits.count) commits.truncate(lo);
  if (commits.count === 0) return { from: rebuildFromStart(files), listed: [] };
  const last = commits.entry(commits.count - 1);
  const entries = anchorFile.entries;
  let below = 0;
  while (below < entries.length && (entries[below] as AnchorEntry).seq < last.seq) below++;
  const listed: LocatedRecord[] = [];
  // the copies in anchors.idx.records are each the record their entry names; only the others are read here
  const copies = anchorFile.takeCopies();
  const read: JournalRecord[] = [];
  /** Lists entry `i` with its record, from its copy or the journal; false when the journal holds no such record there. */
  const listEntry = (i: number): boolean => {
    const e = entries[i] as AnchorEntry;
    let record = copies[i];
    if (record === undefined) {
      record = recordAt(journal, e.seq, e.offset);
      if (record?.type !== e.kind) return false;
      read.push(record);
    }
    listed.push({ loc: { seq: e.seq, offset: e.offset }, record });
    return true;
  };
  let consistent = entryMatchesJournal(journal, last) && commits.count === last.seq + 1 - below;
  // every record below the last commit is either a commit (counted) or an anchor/revocation (listed)
  for (let i = 0; consistent && i < below; i++) consistent = listEntry(i);
  if (!consistent) {
    log('warn', 'index does not match the journal; rebuilding it', { commitments: commits.count });
    return { from: rebuildFromStart(files), listed: [] };
  }
  // then those naming the records right after it, one by one, as far as they match the journal
  let from = last.seq + 1;
  let kept = below;
  for (; kept < entries.length && from < size; kept++, from++) {
    if ((entries[kept] as AnchorEntry).seq !== from || !listEntry(kept)) break;
  }
  if (kept !== entries.length) anchorFile.truncateToCount(kept);
  anchorFile.copy(read);
  return { from, listed };
}

/** Empties every index file: the next apply starts from journal record 0. */
export function rebuildFromStart(files: IndexFiles): number {
  files.commits.truncate(0);
  files.anchorFile.truncateToCount(0);
  files.trees.clear();
  return 0;
}

function entryMatchesJournal(journal: Journal, e: CommitEntry): boolean {
  try {
    const r = journal.readSync({ seq: e.seq, offset: e.offset });
    return r.type === 'commit' && r.seq === e.seq && readU32(r.commitment, 0) === e.time && fingerprintOf(r.commitment) === e.fingerprint;
  } catch {
    return false;
  }
}

function recordAt(journal: Journal, seq: number, offset: number): JournalRecord | undefined {
  try {
    const r = journal.readSync({ seq, offset });
    return r.seq === seq ? r : undefined;
  } catch {
    return undefined;
  }
}
