/** @module The journal's public surface: the Journal, its record codecs, its errors and the offline checker. */
export { Journal, type OpenOptions, type AppendListener } from './journal.js';
export type { ScannedRecord } from './scan.js';
export { verifyJournal, type VerifyReport } from './verify.js';
export type {
  AnchorRecord,
  CommitRange,
  JournalEntry,
  JournalHead,
  JournalRecord,
  RecordLocation,
  RecordType,
  RevocationRecord,
} from './types.js';
export {
  COMMIT_RECORD_BYTES,
  FRAME_HEADER_BYTES,
  FRAME_OVERHEAD,
  FRAME_TRAILER_BYTES,
  MAX_RECORD_PAYLOAD,
  decodeRecord,
  decodeRecordAt,
  encodeRecord,
  frameLengthAt,
} from './record-codec.js';
export {
  COMMITMENT_BYTES,
  LEGACY_COMMITMENT_BYTES,
  isCommitmentLength,
  MAX_ANCHOR_RANGES,
  MAX_REASON_BYTES,
  TIP_BYTES,
  decodeAnchor,
  decodeRevocation,
  encodeAnchor,
  encodeRevocation,
} from './payload-codec.js';
export { DEFAULT_SEGMENT_RECORDS, MAX_SEGMENT_RECORDS, MIN_SEGMENT_RECORDS } from './layout.js';
export { HASH_BYTES, HeadHasher, emptyHeadHash } from './head-hash.js';
export {
  CHUNK_RECORDS,
  MAX_TAIL_WAIT_MS,
  SHORT_MAX_AGE_SECONDS,
  HEAD_PATH,
  CHUNK_PREFIX,
  TAIL_PATH,
  HEADER,
  JOURNAL_FORMAT,
  JOURNAL_API_VERSION,
  type JournalHeadInfo,
  apiUrl,
} from './api-protocol.js';
export { JournalHashes } from './past-hashes.js';
export {
  ChecksumMismatchError,
  FatalJournalError,
  JournalClosedError,
  JournalCorruptError,
  JournalError,
  JournalFormatError,
  JournalLockedError,
  JournalSequenceError,
  JournalWriteError,
  MalformedRecordError,
  RecordDecodeError,
  RecordNotFoundError,
  TrailingBytesError,
  TruncatedRecordError,
  type MalformedReason,
} from './errors.js';
