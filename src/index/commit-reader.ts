/**
 * @module Reading commitments through commits.idx: a commitment's commit number, commitment n, runs of commitments and an anchor's leaves, each read from the journal (the index holds locations, not commitments).
 *
 * Safe to use concurrently with appends: reads are synchronous preads of durable records.
 */
import { isCommitmentLength, type Journal } from '../journal/index.js';
import { type CommitEntry, type CommitIndexFile, fingerprintOf, readU32 } from './commit-index.js';
import { IndexMismatchError } from './errors.js';
import type { Ranges } from './proof-assembly.js';
import { sha256Each } from '../ots/index.js';

/** Commitments read with one pread at most: a few hundred KB. */
const RUN_ENTRIES = 4096;

export class CommitReader {
  readonly #journal: Journal;
  readonly #commits: CommitIndexFile;

  constructor(journal: Journal, commits: CommitIndexFile) {
    this.#journal = journal;
    this.#commits = commits;
  }

  /** Commit numbers whose time and fingerprint match `commitment` (usually one), with their entries; nothing read from the journal. */
  candidates(commitment: Uint8Array): Iterable<{ n: number; entry: CommitEntry }> {
    if (!isCommitmentLength(commitment.length)) return [];
    return this.#commits.candidates(readU32(commitment, 0), fingerprintOf(commitment));
  }

  /** Commit number of a commitment (44 bytes, or a 36-byte legacy one), or -1. */
  commitNumberOf(commitment: Uint8Array): number {
    for (const { n, entry } of this.candidates(commitment)) {
      if (Buffer.compare(this.commitmentAt(entry, n), commitment) === 0) return n;
    }
    return -1;
  }

  /** Commitment `n` (RangeError beyond the count). */
  commitment(n: number): Uint8Array {
    return this.commitmentAt(this.#commits.entry(n), n);
  }

  /** The commitment of entry `e` (commit number `n`), read from the journal; IndexMismatchError if the record is not that commit. */
  commitmentAt(e: CommitEntry, n: number): Uint8Array {
    const r = this.#journal.readSync({ seq: e.seq, offset: e.offset });
    if (r.type !== 'commit' || r.seq !== e.seq) throw new IndexMismatchError(`commit ${n} names journal record ${e.seq}, which is not that commit record`, 'commits.idx');
    return r.commitment;
  }

  /** Commitments [from, from + count), read in runs (one pread per run inside a journal segment). */
  commitments(from: number, count: number): Uint8Array[] {
    const entries = this.#commits.entries(from, count);
    const out: Uint8Array[] = new Array(entries.length);
    const per = this.#journal.segmentRecords;
    for (let i = 0; i < entries.length; ) {
      const first = entries[i] as CommitEntry;
      const segment = Math.floor(first.seq / per);
      let j = i + 1;
      while (j < entries.length && j - i < RUN_ENTRIES && Math.floor((entries[j] as CommitEntry).seq / per) === segment) j++;
      const last = entries[j - 1] as CommitEntry;
      const records = this.#journal.readSpanSync({ seq: first.seq, offset: first.offset }, { seq: last.seq, offset: last.offset });
      for (let k = i; k < j; k++) {
        const e = entries[k] as CommitEntry;
        const r = records[e.seq - first.seq];
        if (r?.type !== 'commit' || r.seq !== e.seq) throw new IndexMismatchError(`commit ${from + k} names journal record ${e.seq}, which is not a commit record`, 'commits.idx');
        out[k] = r.commitment;
      }
      i = j;
    }
    return out;
  }

  /** Every commitment in `ranges` (commit numbers), in order. */
  commitmentsOf(ranges: Ranges): Uint8Array[] {
    const [only] = ranges;
    if (ranges.length === 1 && only) return this.commitments(only.start, only.end - only.start);
    return ranges.flatMap((r) => this.commitments(r.start, r.end - r.start));
  }

  /** sha256 of every commitment in `ranges` (commit numbers), in order: an anchor's merkle leaves. */
  leaves(ranges: Ranges): Uint8Array[] {
    return sha256Each(this.commitmentsOf(ranges));
  }
}
