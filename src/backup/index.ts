/**
 * @module The reference server's backup format (reference-server §6.1, §4.3), shared by the calendar that serves `/experimental/backup/<n>` and the mirror that follows it: the chunk bytes, the proof graph a chunk is made of, and chunks built from our index.
 */
export { BACKUP_CHUNK_COMMITMENTS, MAX_BACKUP_VALUE, BackupFormatError, encodeBackupChunk, decodeBackupChunk, encodeNodeValue, decodeNodeValue, type BackupNode } from './format.js';
export { ProofGraph, ProofGraphError, MAX_PROOF_NODES } from './proof-graph.js';
export { IndexBackupChunks, type BackupChunkSource } from './chunks.js';
