/** @module The offline checker behind `ots-calendar fsck`: every segment, frame, CRC, seq and sidecar, changing nothing. */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { errnoOf } from '../durable/index.js';
import { emptyHeadHash } from './head-hash.js';
import { FORMAT_FILE, decodeFormat, decodeSidecar, looksLikeSegment, parseSegmentName, segmentName, sidecarName } from './layout.js';
import { walkSegment } from './recovery.js';
import type { JournalHead } from './types.js';

export interface VerifyReport {
  /** Records in the longest valid prefix. */
  records: number;
  /** Head of that prefix, recomputed from the bytes (sidecars are checked against it, not trusted). */
  head: JournalHead;
  /** Empty when the journal is sound. */
  problems: string[];
}

/**
 * Reads the whole journal without writing or locking (it may run beside a live calendar, whose unflushed tail
 * then shows as a problem). `progress` is called with bytes checked and total bytes.
 */
export async function verifyJournal(dir: string, progress?: (done: number, total: number) => void): Promise<VerifyReport> {
  const problems: string[] = [];
  const report = (records: number, hash: Uint8Array): VerifyReport => ({ records, head: { size: records, hash }, problems });
  let segmentRecords: number;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
    segmentRecords = decodeFormat(fs.readFileSync(join(dir, FORMAT_FILE))).segmentRecords;
  } catch (err) {
    problems.push(`cannot read the journal format in ${dir}: ${err instanceof Error ? err.message : String(err)}`);
    return report(0, emptyHeadHash());
  }

  const indexes: number[] = [];
  for (const name of names.filter(looksLikeSegment)) {
    const first = parseSegmentName(name);
    if (first < 0 || first % segmentRecords !== 0) problems.push(`misnamed segment ${name}`);
    else indexes.push(first / segmentRecords);
  }
  indexes.sort((a, b) => a - b);
  let segments = 0;
  while (segments < indexes.length && indexes[segments] === segments) segments++;
  if (segments < indexes.length) problems.push(`segment ${segmentName(segments * segmentRecords)} is missing; ${indexes.length - segments} later segments not checked`);

  const sizes = Array.from({ length: segments }, (_, i) => fs.statSync(join(dir, segmentName(i * segmentRecords))).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  let hash = emptyHeadHash();
  let records = 0;
  for (let i = 0; i < segments; i++) {
    const first = i * segmentRecords;
    const name = segmentName(first);
    const bytes = await fs.promises.readFile(join(dir, name));
    const walk = walkSegment(bytes, first, segmentRecords, hash);
    records = first + walk.records;
    hash = walk.hash;
    const sealed = i < segments - 1;
    const sidecar = readSidecar(dir, sidecarName(first));
    if (sidecar === undefined) {
      if (sealed || walk.records === segmentRecords) problems.push(`${sidecarName(first)} is missing`);
    } else if (typeof sidecar === 'string') {
      problems.push(`${sidecarName(first)}: ${sidecar}`);
    } else if (sidecar.size !== first + segmentRecords || sidecar.segmentBytes !== walk.goodBytes || Buffer.compare(sidecar.hash, walk.hash) !== 0) {
      problems.push(`${sidecarName(first)} does not match ${name} (size ${sidecar.size}, ${sidecar.segmentBytes} bytes)`);
    }
    done += sizes[i] as number;
    progress?.(done, total);
    if (walk.problem !== undefined || (sealed && walk.records !== segmentRecords)) {
      problems.push(`${name}: ${walk.problem ?? `sealed segment holds ${walk.records} records`}`);
      if (i < segments - 1) problems.push(`${segments - 1 - i} later segments not checked`);
      break;
    }
  }
  return report(records, hash);
}

function readSidecar(dir: string, name: string): ReturnType<typeof decodeSidecar> | undefined {
  try {
    return decodeSidecar(fs.readFileSync(join(dir, name)));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    return `unreadable: ${String(err)}`;
  }
}
