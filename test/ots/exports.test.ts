// The public surface of `ots-calendar/ots` is chosen by hand: this list changes only on purpose.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as ots from '../../src/ots/index.js';

describe('ots-calendar/ots exports', () => {
  it('are exactly the chosen names', () => {
    expect(Object.keys(ots).sort()).toEqual([
      'ATTESTATION_TAG_LENGTH',
      'BITCOIN_TAG',
      'BLOCK_HEADER_LENGTH',
      'BadMagicError',
      'BytesReader',
      'BytesWriter',
      'DeserializationError',
      'DetachedTimestampFile',
      'ETHEREUM_TAG',
      'EmptyTimestampError',
      'HEADER_MAGIC',
      'InvalidAttestationError',
      'InvalidHexError',
      'InvalidOpResultError',
      'InvalidUriError',
      'LITECOIN_TAG',
      'LengthLimitError',
      'MAJOR_VERSION',
      'MAX_HEXLIFY_MSG_LENGTH',
      'MAX_MSG_LENGTH',
      'MAX_OP_ARG_LENGTH',
      'MAX_PAYLOAD_SIZE',
      'MAX_RESULT_LENGTH',
      'MAX_URI_LENGTH',
      'MergeMismatchError',
      'MsgValueError',
      'OP_HEXLIFY',
      'OP_KECCAK256',
      'OP_REVERSE',
      'OP_RIPEMD160',
      'OP_SHA1',
      'OP_SHA256',
      'OpArgValueError',
      'OtsError',
      'PENDING_TAG',
      'RECURSION_LIMIT',
      'RecursionLimitError',
      'TAG_APPEND',
      'TAG_HEXLIFY',
      'TAG_KECCAK256',
      'TAG_PREPEND',
      'TAG_REVERSE',
      'TAG_RIPEMD160',
      'TAG_SHA1',
      'TAG_SHA256',
      'Timestamp',
      'TrailingGarbageError',
      'TruncationError',
      'UnknownOpTagError',
      'UnsupportedMajorVersionError',
      'VerificationError',
      'applyOp',
      'applyPath',
      'attestationKey',
      'attestationTag',
      'attestationToString',
      'attestationsEqual',
      'bitcoinAttestation',
      'blockMerklePath',
      'blockMerkleRoot',
      'bytesEqual',
      'bytesToHex',
      'bytesToReversedHex',
      'compareAttestations',
      'compareBytes',
      'compareOps',
      'concatBytes',
      'decodeAttestation',
      'decodeFileHashOp',
      'decodeOp',
      'digestLength',
      'encodeAttestation',
      'encodeOp',
      'encodeOps',
      'encodePath',
      'ethereumAttestation',
      'hexToBytes',
      'isBitcoinTransaction',
      'isValidPendingUri',
      'keccak256',
      'leafHashRootInto',
      'litecoinAttestation',
      'makeMerkleTree',
      'merkleLevels',
      'merklePath',
      'merklePathSize',
      'merkleRoot',
      'opAppend',
      'opKey',
      'opPrepend',
      'opRepr',
      'opToString',
      'opsEqual',
      'parseBlockHeader',
      'pendingAttestation',
      'pythonBytesRepr',
      'pythonStrRepr',
      'ripemd160',
      'sha1',
      'sha256',
      'sha256Each',
      'sha256Into',
      'sha256d',
      'siblingPathSize',
      'unknownAttestation',
      'verifyBlockHeaderAttestation',
      'writeMerklePath',
      'writeSiblingPath',
    ]);
  });

  it('hold no underscore names and are what package.json maps ots-calendar/ots to', () => {
    expect(Object.keys(ots).filter((k) => k.startsWith('_'))).toEqual([]);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, { default: string; types: string }>;
    };
    expect(pkg.exports['./ots']).toEqual({ types: './dist/ots/index.d.ts', default: './dist/ots/index.js' });
  });

  it('import on their own as ots-calendar/ots from the built package', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const script = "import('ots-calendar/ots').then((m) => { const d = m.DetachedTimestampFile; process.stdout.write(JSON.stringify([Object.keys(m).length, typeof d.fromBytes])); })";
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([Object.keys(ots).length, 'function']);
  });

  it('every error class has a distinct stable code', () => {
    const errors = (Object.values(ots) as unknown[]).filter(
      (v): v is new (m: string) => ots.OtsError => typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof Error,
    );
    const codes = errors.map((E) => new E('m').code);
    expect(errors.length).toBe(18);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
