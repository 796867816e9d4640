/**
 * @module `import-otsd`: a reference calendar directory becomes a data directory of ours, the same commitments
 * under the same commit numbers, key and URI, with one anchor record per transaction (src/takeover/README.md).
 *
 * Contract: nothing is written before the whole directory checked (plan.ts). The writing appends to a journal
 * whose every record follows from the reference directory alone, so an interrupted import resumes by checking
 * what is there against the plan and appending the rest; a data directory holding anything else is refused.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkCalendarUri } from '../calendar/data-dir.js';
import { createFileDurablySync, writeFileDurablySync } from '../durable/index.js';
import { CommitmentMaker } from '../calendar/commitment.js';
import { CalendarIndex, lastIndexedLocation } from '../index/index.js';
import { Journal, type JournalEntry, type JournalRecord } from '../journal/index.js';
import type { AttestationChecker } from '../mirror/attestation-check.js';
import { bytesToHex, type AttestationKind } from '../ots/index.js';
import { DataDirConflictError, ReferenceDirError, TakeoverError } from './errors.js';
import { planImport, type ImportPlan, type PlannedAnchor, type StaleAnchor } from './plan.js';
import type { Log } from '../log/log.js';
import { openReferenceDb } from './reference-db.js';
import { readReferenceDir, type ReferenceDir } from './reference-dir.js';

/** The import's own record in the data directory: what it imports, and whether it finished. */
export const MARKER_FILE = 'import-otsd.json';
/** Commit records per append (and fsync); an append never spans a journal segment. */
const APPEND_BATCH = 4096;
/** Upper trees the index keeps while the import writes (the calendar's default is 64 MB, for answering). */
const IMPORT_TREE_CACHE_BYTES = 4 << 20;
/** Newest commitments whose MAC is checked against the key: a wrong key file fails them all. */
const MAC_SAMPLE = 64;

interface Marker {
  format: 'ots-calendar-import-otsd';
  from: string;
  entries: number;
  state: 'writing' | 'complete';
  anchors?: number;
  pending?: number;
  stale?: Array<{ tip: string; heights: number[]; ranges: string; reason: string }>;
  finishedAt?: string;
}

export interface ImportOptions {
  from: string;
  dataDir: string;
  /** The attestation of the calendar's chain (BitcoinBlockHeaderAttestation for the reference). */
  attestation: AttestationKind;
  /** With a node: attestations that it no longer confirms are imported as pending (and anchored again). */
  checker?: AttestationChecker;
  log?: Log;
  progress?: (phase: string, done: number, total: number) => void;
  /** Commitments read together from the database. */
  window?: number;
}

export interface ImportSummary {
  entries: number;
  legacy: number;
  anchors: number;
  anchoredCommitments: number;
  pending: number;
  stale: StaleAnchor[];
  /** Records found already in place (a resumed import), and appended by this run. */
  recordsFound: number;
  recordsAppended: number;
  alreadyComplete: boolean;
}

/** A journal directory with a non-empty segment file: a calendar's records, not ours to overwrite. */
function holdsRecords(journalDir: string): boolean {
  if (!existsSync(journalDir)) return false;
  return readdirSync(journalDir).some((name) => name.endsWith('.seg') && statSync(join(journalDir, name)).size > 0);
}

function readMarker(path: string): Marker | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Marker;
    if (m.format !== 'ots-calendar-import-otsd') throw new Error('not an import record');
    return m;
  } catch (cause) {
    throw new DataDirConflictError(`${path} is not an import record of ots-calendar (${cause instanceof Error ? cause.message : String(cause)}); remove it only if you know what it is`);
  }
}

/** The reference's key, installed once: exclusive create, 0600, durable with its directory (src/durable). */
function installKey(path: string, key: Uint8Array): void {
  if (createFileDurablySync(path, key, { mode: 0o600 })) return;
  if (Buffer.compare(readFileSync(path), key) !== 0) throw new DataDirConflictError(`${path} holds another HMAC key than the reference calendar's: this data directory belongs to another calendar`);
}

/** The key file must make the journal's MACs: a copy of another calendar's key would sign new commitments wrongly. */
function checkKey(ref: ReferenceDir, log: Log): void {
  if (ref.hmacKey.length < 16) throw new ReferenceDirError(`${ref.path}/hmac-key holds ${ref.hmacKey.length} bytes; ots-calendar needs a key of at least 16 bytes`);
  const maker = new CommitmentMaker(ref.hmacKey);
  let checked = 0;
  let wrong = 0;
  for (let i = ref.entries - 1; i >= 0 && checked < MAC_SAMPLE; i--) {
    const c = ref.journal.entry(i);
    if (c.length !== 44) continue;
    checked++;
    if (!maker.verify(c)) wrong++;
  }
  if (checked > 0 && wrong === checked) throw new ReferenceDirError(`${ref.path}/hmac-key does not give the MACs of the journal's newest ${checked} commitments: it is not this calendar's key`);
  if (wrong > 0) log('warn', 'some of the newest commitments do not carry a MAC under the key (records torn by a crash of otsd are kept as they are)', { checked, wrong });
}

function sameAnchor(r: JournalRecord, a: PlannedAnchor): boolean {
  if (r.type !== 'anchor') return false;
  const x = r.anchor;
  return (
    Buffer.compare(x.tip, a.tip) === 0 &&
    Buffer.compare(x.timestamp, a.timestamp) === 0 &&
    x.ranges.length === a.ranges.length &&
    x.ranges.every((g, k) => g.start === a.ranges[k]?.start && g.end === a.ranges[k]?.end)
  );
}

/** Checks the records already in the journal against the plan; returns how many of the plan's records are there. */
async function checkWritten(journal: Journal, ref: ReferenceDir, plan: ImportPlan, dir: string): Promise<number> {
  const total = plan.entries + plan.anchors.length;
  const size = journal.head().size;
  const upTo = Math.min(size, total);
  let seq = 0;
  for await (const { record } of journal.scan(0)) {
    if (record.seq >= upTo) break;
    const ok = record.seq < plan.entries
      ? record.type === 'commit' && Buffer.compare(record.commitment, ref.journal.entry(record.seq)) === 0
      : sameAnchor(record, plan.anchors[record.seq - plan.entries] as PlannedAnchor);
    if (!ok) {
      throw new DataDirConflictError(
        `${dir}: journal record ${record.seq} is not the one this import writes there (${record.seq < plan.entries ? `reference journal entry ${record.seq}` : `anchor ${record.seq - plan.entries + 1} of ${plan.anchors.length}`}); ` +
          'the data directory holds another import or another calendar: import into an empty data directory',
      );
    }
    seq = record.seq + 1;
  }
  if (seq !== upTo) throw new DataDirConflictError(`${dir}: the journal holds ${size} records but only ${seq} could be read`);
  return upTo;
}

/** Runs the whole import (or what an interrupted one left to do). */
export async function importOtsd(opts: ImportOptions): Promise<ImportSummary> {
  const ref = readReferenceDir(opts.from);
  try {
    return await importFrom(ref, opts);
  } finally {
    ref.journal.close();
  }
}

async function importFrom(ref: ReferenceDir, opts: ImportOptions): Promise<ImportSummary> {
  const log = opts.log ?? (() => undefined);
  const uriProblem = checkCalendarUri(ref.uri);
  if (uriProblem) throw new ReferenceDirError(`${ref.path}/uri: ${JSON.stringify(ref.uri)} ${uriProblem}`);
  checkKey(ref, log);

  const root = opts.dataDir;
  const markerPath = join(root, MARKER_FILE);
  const from = realpathSync(ref.path);
  const marker = readMarker(markerPath);
  const journalDir = join(root, 'journal');
  if (marker && (marker.from !== from || marker.entries !== ref.entries)) {
    throw new DataDirConflictError(
      `${root} holds an import of ${marker.from} with ${marker.entries} journal entries, not of ${from} with ${ref.entries}` +
        (marker.from === from ? ' (otsd ran again after that import): import into an empty data directory' : ''),
    );
  }
  if (!marker && holdsRecords(journalDir)) {
    throw new DataDirConflictError(`${root} already holds a calendar journal: import into an empty data directory`);
  }
  const storedUri = existsSync(join(root, 'uri')) ? readFileSync(join(root, 'uri'), 'utf8').trim() : undefined;
  if (storedUri !== undefined && storedUri !== ref.uri) throw new DataDirConflictError(`${root}/uri is ${JSON.stringify(storedUri)}, the reference calendar's is ${JSON.stringify(ref.uri)}`);
  if (existsSync(join(root, 'hmac-key')) && Buffer.compare(readFileSync(join(root, 'hmac-key')), ref.hmacKey) !== 0) {
    throw new DataDirConflictError(`${root}/hmac-key holds another HMAC key than the reference calendar's: this data directory belongs to another calendar`);
  }

  log('info', 'reading the reference calendar', { from, entries: ref.entries, uri: ref.uri });
  const store = await openReferenceDb(ref.dbPath);
  try {
    const entry = (i: number): Buffer => ref.journal.entry(i);
    const plan = await planImport(store, entry, ref.entries, {
      attestation: opts.attestation,
      ...(opts.checker ? { checker: opts.checker } : {}),
      log,
      ...(opts.progress ? { progress: opts.progress } : {}),
      ...(opts.window ? { window: opts.window } : {}),
    });
    const anchoredCommitments = plan.anchors.reduce((s, a) => s + a.leafCount, 0);
    log('info', 'the reference calendar checks', {
      entries: plan.entries,
      legacy: plan.legacy,
      anchors: plan.anchors.length,
      anchoredCommitments,
      pending: plan.pending,
      staleAnchors: plan.stale.length,
    });
    const written = await writePlan(root, markerPath, from, ref, plan, marker, opts.progress, log);
    return { entries: plan.entries, legacy: plan.legacy, anchors: plan.anchors.length, anchoredCommitments, pending: plan.pending, stale: plan.stale, ...written };
  } finally {
    await store.close();
  }
}

async function writePlan(
  root: string,
  markerPath: string,
  from: string,
  ref: ReferenceDir,
  plan: ImportPlan,
  marker: Marker | undefined,
  progress: ImportOptions['progress'],
  log: Log,
): Promise<{ recordsFound: number; recordsAppended: number; alreadyComplete: boolean }> {
  try {
    mkdirSync(root, { recursive: true, mode: 0o750 });
    for (const d of ['journal', 'index', 'state']) mkdirSync(join(root, d), { recursive: true });
  } catch (cause) {
    throw new TakeoverError(`cannot create the data directory ${root}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
  if (!marker) writeFileDurablySync(markerPath, JSON.stringify({ format: 'ots-calendar-import-otsd', from, entries: ref.entries, state: 'writing' } satisfies Marker, null, 2) + '\n');
  installKey(join(root, 'hmac-key'), ref.hmacKey);
  if (!existsSync(join(root, 'uri'))) writeFileDurablySync(join(root, 'uri'), ref.uri + '\n');

  const indexDir = join(root, 'index');
  const verifiedUpTo = lastIndexedLocation(indexDir);
  const journal = await Journal.open({ dir: join(root, 'journal'), log, ...(verifiedUpTo ? { verifiedUpTo } : {}) });
  try {
    // the import answers nothing: the index keeps no more trees in memory than one anchor's
    const index = await CalendarIndex.open({ dir: indexDir, journal, log, treeCacheBytes: IMPORT_TREE_CACHE_BYTES, ...(progress ? { progress: (d, t) => progress('indexing', d, t) } : {}) });
    try {
      const found = await checkWritten(journal, ref, plan, root);
      const total = plan.entries + plan.anchors.length;
      if (found > 0) log('info', marker?.state === 'complete' ? 'the import is complete already' : 'resuming an interrupted import', { recordsFound: found, of: total });
      const append = async (entries: JournalEntry[]): Promise<void> => {
        await journal.append(entries);
        if (index.failure) throw new TakeoverError('the index could not follow the journal', { cause: index.failure });
      };
      let seq = found;
      while (seq < plan.entries) {
        const segmentEnd = (Math.floor(seq / journal.segmentRecords) + 1) * journal.segmentRecords;
        const end = Math.min(plan.entries, segmentEnd, seq + APPEND_BATCH);
        const batch: JournalEntry[] = [];
        for (let i = seq; i < end; i++) batch.push({ type: 'commit', commitment: ref.journal.entry(i) });
        await append(batch);
        seq = end;
        progress?.('writing commitments', seq, plan.entries);
      }
      for (; seq < total; seq++) {
        const a = plan.anchors[seq - plan.entries] as PlannedAnchor;
        index.checkAnchor({ tip: a.tip, ranges: a.ranges });
        await append([{ type: 'anchor', anchor: { tip: a.tip, ranges: a.ranges, timestamp: a.timestamp } }]);
        progress?.('writing anchors', seq - plan.entries + 1, plan.anchors.length);
      }
      const done: Marker = {
        format: 'ots-calendar-import-otsd',
        from,
        entries: ref.entries,
        state: 'complete',
        anchors: plan.anchors.length,
        pending: plan.pending + plan.stale.reduce((s, a) => s + a.leafCount, 0),
        stale: plan.stale.map((s) => ({ tip: bytesToHex(s.tip), heights: s.heights, ranges: s.ranges.map((r) => `${r.start}-${r.end - 1}`).join(','), reason: s.reason })),
        finishedAt: marker?.finishedAt ?? new Date().toISOString(),
      };
      const alreadyComplete = marker?.state === 'complete' && found === total;
      if (!alreadyComplete) writeFileDurablySync(markerPath, JSON.stringify(done, null, 2) + '\n');
      return { recordsFound: found, recordsAppended: total - found, alreadyComplete };
    } finally {
      index.close();
    }
  } finally {
    await journal.close();
  }
}
