/** @module Checking a run of upstream records before any is stored: frames and checksums, sequence, the head-hash chain, anchors' tips and timestamps, revocations. */
import { HeadHasher, RecordDecodeError, decodeRecordAt, type AnchorRecord, type JournalRecord } from '../journal/index.js';
import { BytesReader, OtsError, Timestamp, bytesToHex, merkleRoot, sha256Each } from '../ots/index.js';
import { AnchorRangeError, AnchorTimestampError, AnchorTipError, HeadHashMismatchError, RecordCorruptError, RevocationError, SequenceError } from './errors.js';

/** What the verifier needs to know about the records the mirror already holds. */
export interface LocalJournalView {
  /** Records held (the next seq). */
  size: number;
  /** Head hash over them. */
  hash: Uint8Array;
  /** Commit records held. */
  commitCount: number;
  /** Commitments with commit numbers [from, from + count), all below commitCount. */
  commitments(from: number, count: number): Uint8Array[];
  /** Whether record `seq` (below size) is an anchor record. */
  isAnchor(seq: number): boolean;
}

export interface VerifiedBatch {
  records: JournalRecord[];
  /** The anchors among them, with their decoded timestamps (for the attestation check). */
  anchors: Array<{ seq: number; anchor: AnchorRecord; timestamp: Timestamp }>;
  /** Head hash after the last record (= the one the upstream stated). */
  hashAfter: Uint8Array;
}


/**
 * Verifies `bytes`, stated by the upstream to hold records [first, first + count) with head hash `hashAfter`
 * after them, against the local journal. Throws a VerificationFailedError subclass on the first problem;
 * returns the decoded records otherwise. Pure: reads the local view, changes nothing.
 */
export function verifyBatch(batch: { first: number; count: number; bytes: Uint8Array; hashAfter: Uint8Array }, local: LocalJournalView): VerifiedBatch {
  if (batch.first !== local.size) throw new SequenceError(`the mirror holds ${local.size} records, the upstream sent records from ${batch.first}`);
  const hasher = new HeadHasher(local.hash);
  const records: JournalRecord[] = [];
  let at = 0;
  for (let seq = batch.first; at < batch.bytes.length; seq++) {
    let record: JournalRecord;
    let length: number;
    try {
      ({ record, length } = decodeRecordAt(batch.bytes, at));
    } catch (err) {
      if (err instanceof RecordDecodeError) throw new RecordCorruptError(seq, err.message, { cause: err });
      throw err;
    }
    if (record.seq !== seq) throw new SequenceError(`record ${seq} of the batch carries seq ${record.seq}`);
    hasher.add(batch.bytes.subarray(at, at + length));
    at += length;
    records.push(record);
  }
  if (records.length !== batch.count) throw new SequenceError(`the upstream said ${batch.count} records, the body holds ${records.length}`);
  // the chain first: a rewritten record is reported as what it is, before any anchor it touches
  if (Buffer.compare(hasher.hash, batch.hashAfter) !== 0) {
    throw new HeadHashMismatchError(batch.first + batch.count, bytesToHex(hasher.hash), bytesToHex(batch.hashAfter));
  }
  const anchors: VerifiedBatch['anchors'] = [];
  /** commitments of this batch, by commit number − local.commitCount */
  const fresh: Uint8Array[] = [];
  const freshAnchors = new Set<number>();
  for (const record of records) {
    if (record.type === 'commit') fresh.push(record.commitment);
    else if (record.type === 'anchor') {
      anchors.push({ seq: record.seq, anchor: record.anchor, timestamp: checkAnchor(record.seq, record.anchor, local, fresh) });
      freshAnchors.add(record.seq);
    } else {
      const target = record.revocation.anchorSeq;
      const named = target < local.size ? local.isAnchor(target) : freshAnchors.has(target);
      if (!named) throw new RevocationError(record.seq, target);
    }
  }
  return { records, anchors, hashAfter: new Uint8Array(hasher.hash) };
}

/** The anchor's ranges name commitments held before it, their merkle tip is its tip, and its timestamp decodes from that tip. */
function checkAnchor(seq: number, anchor: AnchorRecord, local: LocalJournalView, fresh: readonly Uint8Array[]): Timestamp {
  const known = local.commitCount + fresh.length;
  const named: Uint8Array[] = [];
  for (const r of anchor.ranges) {
    if (r.end > known) throw new AnchorRangeError(seq, `it names commitments [${r.start}, ${r.end}) but only ${known} precede it`);
    const fromLocal = Math.max(0, Math.min(r.end, local.commitCount) - r.start);
    if (fromLocal > 0) for (const c of local.commitments(r.start, fromLocal)) named.push(c);
    for (let n = Math.max(r.start, local.commitCount); n < r.end; n++) named.push(fresh[n - local.commitCount] as Uint8Array);
  }
  const tip = merkleRoot(sha256Each(named));
  if (Buffer.compare(tip, anchor.tip) !== 0) throw new AnchorTipError(seq, bytesToHex(anchor.tip), bytesToHex(tip));
  try {
    const r = new BytesReader(anchor.timestamp);
    const timestamp = Timestamp.decode(r, anchor.tip);
    r.assertEof();
    return timestamp;
  } catch (err) {
    if (err instanceof OtsError) throw new AnchorTimestampError(seq, err.message, { cause: err });
    throw err;
  }
}
