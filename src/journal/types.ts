/** @module The journal's record types: what a commit, an anchor and a revocation record carry (DESIGN §2 "Journal"). */

/** A half-open range `[start, end)` of commit numbers (the n-th commit record of the journal, 0-based). */
export interface CommitRange {
  start: number;
  end: number;
}

/**
 * An anchor: the commitments it covers, in leaf order, the merkle tip over them, and the serialized
 * OpenTimestamps timestamp from that tip to its attestation (opaque bytes to the journal).
 */
export interface AnchorRecord {
  tip: Uint8Array;
  /** Usually one range; several after a reorg re-added commitments to the pending set. */
  ranges: ReadonlyArray<CommitRange>;
  timestamp: Uint8Array;
}

/** An anchor undone by a reorg deeper than the confirmation depth: its commitments are pending again. */
export interface RevocationRecord {
  /** Journal sequence number of the anchor record being revoked. */
  anchorSeq: number;
  reason: string;
}

/** What a caller appends: a record without its sequence number, which the journal assigns. */
export type JournalEntry =
  | { type: 'commit'; commitment: Uint8Array }
  | { type: 'anchor'; anchor: AnchorRecord }
  | { type: 'revocation'; revocation: RevocationRecord };

/** A record as stored: the entry plus its sequence number (its 0-based position in the journal). */
export type JournalRecord =
  | { seq: number; type: 'commit'; commitment: Uint8Array }
  | { seq: number; type: 'anchor'; anchor: AnchorRecord }
  | { seq: number; type: 'revocation'; revocation: RevocationRecord };

export type RecordType = JournalRecord['type'];

/** Where a record lives: `offset` is the byte offset inside its segment, segment = floor(seq / segmentRecords). */
export interface RecordLocation {
  seq: number;
  offset: number;
}

/** The durable end of the journal: `size` records (= the next seq) and the running hash over all of them. */
export interface JournalHead {
  size: number;
  hash: Uint8Array;
}

