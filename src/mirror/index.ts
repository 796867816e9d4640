/**
 * @module Mirroring (`ots-calendar/mirror`): follow a calendar's journal with verification, serve its proofs, and upgrade `.ots` files from local mirrors.
 *
 * A mirror trusts its upstream for nothing it can check: every record's checksum and sequence, the head-hash
 * chain, every anchor's tip against the commitments it names and its timestamp's encoding, and (given a node)
 * every attestation against the block header at its height are checked before anything is stored. The first
 * failure stops following and keeps everything verified before. The export list is chosen by hand.
 */
export { type Log, type LogLevel, type LogFields, silentLog, withFields } from '../log/log.js';
export {
  MirrorError,
  UpstreamUnavailableError,
  NodeUnavailableError,
  MirrorBufferFullError,
  VerificationFailedError,
  UpstreamProtocolError,
  RecordCorruptError,
  SequenceError,
  HeadHashMismatchError,
  AnchorRangeError,
  AnchorTipError,
  AnchorTimestampError,
  AttestationError,
  UnexpectedAttestationError,
  RevocationError,
  BackupChunkError,
} from './errors.js';
export {
  CHUNK_RECORDS,
  MAX_TAIL_WAIT_MS,
  HEAD_PATH,
  CHUNK_PREFIX,
  TAIL_PATH,
  HEADER,
  JOURNAL_FORMAT,
  JOURNAL_API_VERSION,
  type JournalHeadInfo,
  apiUrl,
} from '../journal/index.js';
export { JournalClient, type RecordBatch, type JournalClientOptions } from './journal-client.js';
export type { FetchFn } from '../net/http-client.js';
export { verifyBatch, type LocalJournalView, type VerifiedBatch } from './batch-verifier.js';
export { AttestationChecker, nodeHeaderSource, type HeaderSource, type CheckedKind } from './attestation-check.js';
export { JournalFollower, type FollowerState, type FollowerProgress, type FollowerStats, type JournalFollowerOptions } from './follower.js';
export { JournalHashes } from '../journal/index.js';
export { CalendarMirror, type CalendarMirrorOptions } from './calendar-mirror.js';
export { LocalMirrors, mirrorDirName, type LocalMirrorsOptions, type SyncResult } from './local-mirrors.js';
export { upgradeTimestamp, type LocalAnswer, type UpgradeReport } from './upgrade.js';
export { BACKUP_CHUNK_COMMITMENTS, MAX_BACKUP_VALUE, BackupFormatError, encodeBackupChunk, decodeBackupChunk, encodeNodeValue, decodeNodeValue, type BackupNode } from '../backup/index.js';
export { ProofGraph, ProofGraphError, MAX_PROOF_NODES, IndexBackupChunks, type BackupChunkSource } from '../backup/index.js';
export { BackupStore } from './backup-store.js';
export { BackupMirror, verifyBackupChunk, type BackupMirrorOptions, type BackupMirrorStats, type VerifiedChunk } from './backup-mirror.js';
