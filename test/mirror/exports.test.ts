// The public surface of `ots-calendar/mirror` is chosen by hand: this list changes only on purpose.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as mirror from '../../src/mirror/index.js';

describe('ots-calendar/mirror exports', () => {
  it('are exactly the chosen names, and package.json exports the entry point', () => {
    expect(Object.keys(mirror).sort()).toEqual([
      'AnchorRangeError',
      'AnchorTimestampError',
      'AnchorTipError',
      'AttestationChecker',
      'AttestationError',
      'BACKUP_CHUNK_COMMITMENTS',
      'BackupChunkError',
      'BackupFormatError',
      'BackupMirror',
      'BackupStore',
      'CHUNK_PREFIX',
      'CHUNK_RECORDS',
      'CalendarMirror',
      'HEADER',
      'HEAD_PATH',
      'HeadHashMismatchError',
      'IndexBackupChunks',
      'JOURNAL_API_VERSION',
      'JOURNAL_FORMAT',
      'JournalClient',
      'JournalFollower',
      'JournalHashes',
      'LocalMirrors',
      'MAX_BACKUP_VALUE',
      'MAX_PROOF_NODES',
      'MAX_TAIL_WAIT_MS',
      'MirrorBufferFullError',
      'MirrorError',
      'NodeUnavailableError',
      'ProofGraph',
      'ProofGraphError',
      'RecordCorruptError',
      'RevocationError',
      'SequenceError',
      'TAIL_PATH',
      'UnexpectedAttestationError',
      'UpstreamProtocolError',
      'UpstreamUnavailableError',
      'VerificationFailedError',
      'apiUrl',
      'decodeBackupChunk',
      'decodeNodeValue',
      'encodeBackupChunk',
      'encodeNodeValue',
      'mirrorDirName',
      'nodeHeaderSource',
      'silentLog',
      'upgradeTimestamp',
      'verifyBackupChunk',
      'verifyBatch',
      'withFields',
    ]);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./mirror']).toEqual({ types: './dist/mirror/index.d.ts', default: './dist/mirror/index.js' });
  });

  it('gives every error a stable code, and tells verification failures from transient trouble', () => {
    const failures = [
      new mirror.UpstreamProtocolError('u', 'd'),
      new mirror.RecordCorruptError(1, 'd'),
      new mirror.SequenceError('d'),
      new mirror.HeadHashMismatchError(1, 'a', 'b'),
      new mirror.AnchorRangeError(1, 'd'),
      new mirror.AnchorTipError(1, 'a', 'b'),
      new mirror.AnchorTimestampError(1, 'd'),
      new mirror.AttestationError('w', 'd'),
      new mirror.UnexpectedAttestationError('w', 'd'),
      new mirror.RevocationError(1, 2),
      new mirror.BackupChunkError(1, 'd'),
    ];
    for (const e of failures) {
      expect(e).toBeInstanceOf(mirror.VerificationFailedError);
      expect(e.code).toMatch(/^mirror-[a-z-]+$/);
      expect(e.name).toBe(e.constructor.name);
    }
    expect(new Set(failures.map((e) => e.code)).size).toBe(failures.length);
    for (const e of [new mirror.UpstreamUnavailableError('u', 'd'), new mirror.NodeUnavailableError('d'), new mirror.MirrorBufferFullError('u', 'd')]) {
      expect(e).toBeInstanceOf(mirror.MirrorError);
      expect(e).not.toBeInstanceOf(mirror.VerificationFailedError);
    }
  });
});
