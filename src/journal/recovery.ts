/** @module Opening a journal directory: the format file, the segment list, sealed-segment checks and the torn-tail cut (README "Recovery"). */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { type FileIo, TEMP_SUFFIX, errnoOf, writeFileDurably } from '../durable/index.js';
import { FatalJournalError, JournalCorruptError, JournalFormatError, RecordDecodeError } from './errors.js';
import { HeadHasher, emptyHeadHash } from './head-hash.js';
import {
  CUT_SUFFIX,
  DEFAULT_SEGMENT_RECORDS,
  FORMAT_FILE,
  SIDECAR_SUFFIX,
  checkSegmentRecords,
  decodeFormat,
  decodeSidecar,
  encodeFormat,
  encodeSidecar,
  looksLikeSegment,
  parseSegmentName,
  segmentName,
  sidecarName,
} from './layout.js';
import { decodeFrame, readFrame } from './record-codec.js';
import { readHeadMark, resumePoint, type ResumePoint } from './head-mark.js';
import type { RecordLocation } from './types.js';
import type { Log } from '../log/log.js';

/** The durable state found on open: what the writer continues from. */
export interface RecoveredJournal {
  segmentRecords: number;
  /** Number of segment files; the last one (if any) is the active segment. */
  segments: number;
  size: number;
  hash: Uint8Array;
  /** Byte length of the active segment after any cut. */
  activeBytes: number;
  /** Start offset of each record of the active segment. */
  activeOffsets: number[];
  /** Head hash before the active segment's first record (the previous sidecar's). */
  activeStartHash: Uint8Array;
}

/** Reads the format file, or creates it (durably) in an empty directory. */
export async function openFormat(dir: string, io: FileIo, requested: number | undefined, names: string[]): Promise<number> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = fs.readFileSync(join(dir, FORMAT_FILE));
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
  if (bytes === undefined) {
    if (names.some(looksLikeSegment)) throw new JournalFormatError(`${FORMAT_FILE} is missing but ${dir} holds segments`);
    const segmentRecords = requested ?? DEFAULT_SEGMENT_RECORDS;
    checkSegmentRecords(segmentRecords);
    await writeFileDurably(io, dir, FORMAT_FILE, encodeFormat({ segmentRecords }));
    return segmentRecords;
  }
  const { segmentRecords } = decodeFormat(bytes);
  if (requested !== undefined && requested !== segmentRecords) {
    throw new JournalFormatError(`${dir} was created with segmentRecords ${segmentRecords}, asked for ${requested}`);
  }
  return segmentRecords;
}

/** Segment indexes present, checked to be exactly 0..k−1 with well-formed names. */
export function listSegments(dir: string, names: string[], segmentRecords: number): number {
  const firsts: number[] = [];
  for (const name of names) {
    if (!looksLikeSegment(name)) continue;
    const first = parseSegmentName(name);
    if (first < 0 || first % segmentRecords !== 0) throw new JournalCorruptError(`misnamed segment ${name} in ${dir}`);
    firsts.push(first / segmentRecords);
  }
  firsts.sort((a, b) => a - b);
  firsts.forEach((index, i) => {
    if (index !== i) throw new JournalCorruptError(`segment ${segmentName(i * segmentRecords)} is missing from ${dir}: the journal has a gap and cannot be opened; restore the file from a backup or a mirror (ots-calendar backup, ots-calendar mirror)`);
  });
  // a sidecar is written only when its segment is full, so a sidecar beyond the last segment means lost segments
  for (const name of names) {
    if (!name.endsWith(SIDECAR_SUFFIX)) continue;
    const first = Number(name.slice(0, -SIDECAR_SUFFIX.length));
    if (Number.isSafeInteger(first) && first / segmentRecords >= firsts.length) {
      throw new JournalCorruptError(`${name} seals a segment that is missing from ${dir}`);
    }
  }
  return firsts.length;
}

interface TailWalk {
  records: number;
  goodBytes: number;
  offsets: number[];
  hash: Uint8Array;
  /** Why the walk stopped before the end of the bytes, if it did. */
  problem?: string;
}

/**
 * Walks one segment's bytes from its first record, or from `resume` (records already known good, head-mark.ts):
 * frames, CRCs, seq continuity, payloads, the record count.
 */
export function walkSegment(bytes: Uint8Array, firstSeq: number, segmentRecords: number, startHash: Uint8Array, resume?: ResumePoint): TailWalk {
  const hasher = new HeadHasher(resume?.hash ?? startHash);
  const offsets: number[] = resume?.offsets ?? [];
  let at = resume?.at ?? 0;
  let problem: string | undefined;
  while (at < bytes.length) {
    if (offsets.length === segmentRecords) {
      problem = `${bytes.length - at} bytes after the segment's last record`;
      break;
    }
    try {
      const frame = readFrame(bytes, at);
      const expected = firstSeq + offsets.length;
      if (frame.seq !== expected) {
        problem = `record at ${at} has seq ${frame.seq}, expected ${expected}`;
        break;
      }
      decodeFrame(frame);
      hasher.add(bytes.subarray(at, at + frame.length));
      offsets.push(at);
      at += frame.length;
    } catch (err) {
      if (!(err instanceof RecordDecodeError)) throw err;
      problem = `record ${firstSeq + offsets.length} at ${at}: ${err.message}`;
      break;
    }
  }
  const walk: TailWalk = { records: offsets.length, goodBytes: at, offsets, hash: new Uint8Array(hasher.hash) };
  if (problem !== undefined) walk.problem = problem;
  return walk;
}

function readSidecarFile(dir: string, index: number, segmentRecords: number): ReturnType<typeof decodeSidecar> | undefined {
  try {
    return decodeSidecar(fs.readFileSync(join(dir, sidecarName(index * segmentRecords))));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

export interface RecoverOptions {
  dir: string;
  io: FileIo;
  log: Log;
  segmentRecords?: number;
  verifiedUpTo?: RecordLocation;
  /** Who verified `verifiedUpTo`, for the message when the journal no longer holds it (e.g. "the index"). */
  verifiedBy?: string;
}

/**
 * 1. Read (or create) the format file; remove temp files left by an interrupted durable write.
 * 2. Check the segment names: 0, R, 2R, … with none missing and no sidecar beyond the last.
 * 3. Sealed segments: check each sidecar (size, CRC) and the segment's byte length against it. A missing
 *    sidecar is recomputed from its segment (derived data) and logged; a bad one is fatal.
 * 4. Active segment: walk every record from the previous sidecar's hash. At the first torn, corrupt or
 *    out-of-sequence record, save the rest to `<segment>.<offset>-<time>.cut` (durably), ftruncate, fdatasync,
 *    and log at error level. Refuse instead if that would cut a record the caller verified (`verifiedUpTo`)
 *    or a record of a sealed segment.
 * 5. A full active segment without sidecar is sealed now (a crash came between filling and sealing).
 */
export async function recoverJournal(opts: RecoverOptions): Promise<RecoveredJournal> {
  const { dir, io, log } = opts;
  const names = fs.readdirSync(dir);
  const segmentRecords = await openFormat(dir, io, opts.segmentRecords, names);
  for (const name of names.filter((n) => n.endsWith(TEMP_SUFFIX))) {
    await io.unlink(join(dir, name));
    log('info', 'journal: removed a temporary file left by an interrupted write', { file: name });
  }
  const segments = listSegments(dir, names, segmentRecords);
  if (segments === 0) {
    checkHint(opts, segmentRecords, 0, 'it holds no segment file');
    return { segmentRecords, segments: 0, size: 0, hash: emptyHeadHash(), activeBytes: 0, activeOffsets: [], activeStartHash: emptyHeadHash() };
  }

  let hash = emptyHeadHash();
  for (let i = 0; i < segments - 1; i++) hash = await checkSealed(opts, segmentRecords, i, hash);

  const active = segments - 1;
  const firstSeq = active * segmentRecords;
  const name = segmentName(firstSeq);
  const path = join(dir, name);
  const bytes = fs.readFileSync(path);
  // after a clean close, the records up to its mark were walked before: one CRC over them says they are unchanged
  const mark = readHeadMark(dir, firstSeq);
  const resume = mark === undefined ? undefined : resumePoint(bytes, mark, firstSeq, segmentRecords, hash);
  const walk = walkSegment(bytes, firstSeq, segmentRecords, hash, resume);
  const size = firstSeq + walk.records;
  const sidecar = readSidecarFile(dir, active, segmentRecords);
  if (sidecar !== undefined) {
    // a sealed segment must hold all its records exactly as sealed: nothing here may be cut or differ
    const same =
      typeof sidecar !== 'string' &&
      walk.records === segmentRecords &&
      sidecar.size === size &&
      sidecar.segmentBytes === walk.goodBytes &&
      Buffer.compare(sidecar.hash, walk.hash) === 0;
    if (!same) throw new JournalCorruptError(`${name} does not match its sidecar${walk.problem ? `: ${walk.problem}` : ''}`);
  }
  checkHint(opts, segmentRecords, size, walk.goodBytes < bytes.length ? `${name} holds a torn or damaged record at byte offset ${walk.goodBytes}: ${walk.problem ?? 'it ends early'}` : `its last segment file is ${name}`);
  if (walk.goodBytes < bytes.length) await cutTail(opts, name, bytes, walk);
  if (walk.records === segmentRecords && sidecar === undefined) {
    await writeFileDurably(io, dir, sidecarName(firstSeq), encodeSidecar({ size, segmentBytes: walk.goodBytes, hash: walk.hash }));
    log('info', 'journal: sealed a full segment whose sidecar was not written before a stop', { segment: name });
  }
  return { segmentRecords, segments, size, hash: walk.hash, activeBytes: walk.goodBytes, activeOffsets: walk.offsets, activeStartHash: hash };
}

/**
 * Records up to the caller's verified location were durable once; a journal without them lost acknowledged data.
 * The message names the file and what is wrong with it, and the ways to repair.
 */
function checkHint(opts: RecoverOptions, segmentRecords: number, size: number, where: string): void {
  const hint = opts.verifiedUpTo;
  if (hint === undefined || hint.seq < size) return;
  const holder = segmentName(Math.floor(hint.seq / segmentRecords) * segmentRecords);
  throw new JournalCorruptError(
    `${opts.dir}: record ${hint.seq} was durable before (${opts.verifiedBy ?? 'the caller'} saw it, in ${holder} at byte offset ${hint.offset}), but the journal now ends at record ${size}: ${where}. ` +
      `Nothing was cut. Restore the journal from a backup or a mirror (ots-calendar backup, ots-calendar mirror); if only the index is damaged, ots-calendar reindex rebuilds it without trusting it`,
  );
}

async function checkSealed(opts: RecoverOptions, segmentRecords: number, index: number, prevHash: Uint8Array): Promise<Uint8Array> {
  const { dir, io, log } = opts;
  const firstSeq = index * segmentRecords;
  const name = segmentName(firstSeq);
  const sidecar = readSidecarFile(dir, index, segmentRecords);
  if (sidecar === undefined) {
    const walk = walkSegment(fs.readFileSync(join(dir, name)), firstSeq, segmentRecords, prevHash);
    if (walk.problem !== undefined || walk.records !== segmentRecords) {
      throw new JournalCorruptError(`sealed segment ${name} is damaged: ${walk.problem ?? `${walk.records} records`}`);
    }
    await writeFileDurably(io, dir, sidecarName(firstSeq), encodeSidecar({ size: firstSeq + segmentRecords, segmentBytes: walk.goodBytes, hash: walk.hash }));
    log('warn', 'journal: recomputed the missing sidecar of a sealed segment', { segment: name });
    return walk.hash;
  }
  if (typeof sidecar === 'string') throw new JournalCorruptError(`${sidecarName(firstSeq)}: ${sidecar}`);
  if (sidecar.size !== firstSeq + segmentRecords) {
    throw new JournalCorruptError(`${sidecarName(firstSeq)} ends at ${sidecar.size}, expected ${firstSeq + segmentRecords}`);
  }
  const length = fs.statSync(join(dir, name)).size;
  if (length !== sidecar.segmentBytes) {
    throw new JournalCorruptError(`sealed segment ${name} has ${length} bytes, its sidecar says ${sidecar.segmentBytes}`);
  }
  return sidecar.hash;
}

/** Step 4: save the cut bytes durably first, so a crash during the cut never loses them. */
async function cutTail(opts: RecoverOptions, name: string, bytes: Uint8Array, walk: TailWalk): Promise<void> {
  const { dir, io, log } = opts;
  const cut = bytes.subarray(walk.goodBytes);
  const sideFile = `${name}.${walk.goodBytes}-${Date.now()}${CUT_SUFFIX}`;
  await writeFileDurably(io, dir, sideFile, cut);
  const fd = await io.open(join(dir, name), 'r+');
  try {
    await io.ftruncate(fd, walk.goodBytes);
    try {
      await io.fdatasync(fd);
    } catch (cause) {
      throw new FatalJournalError(`fdatasync after cutting ${name}`, { cause });
    }
  } finally {
    await io.close(fd);
  }
  log('error', 'journal: cut a torn or corrupt tail', {
    segment: name,
    offset: walk.goodBytes,
    bytes: cut.length,
    reason: walk.problem,
    savedTo: sideFile,
  });
}
