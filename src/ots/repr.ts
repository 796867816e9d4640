/** @module Textual forms of ops and attestations exactly as python-opentimestamps prints them (`ots info`, error messages). */
import { bytesToHex } from './hex.js';
import type { Op } from './op.js';
import type { Attestation } from './attestation.js';
import { pythonBytesRepr, pythonStrRepr } from './python-repr.js';

const OP_CLASS: Readonly<Record<number, string>> = {
  0x02: 'OpSHA1',
  0x03: 'OpRIPEMD160',
  0x08: 'OpSHA256',
  0x67: 'OpKECCAK256',
  0xf0: 'OpAppend',
  0xf1: 'OpPrepend',
  0xf2: 'OpReverse',
  0xf3: 'OpHexlify',
};

/** Python `str(op)`: `sha256`, or `append <hex>` for ops with an argument. */
export function opToString(op: Op): string {
  return op.arg === undefined ? op.name : `${op.name} ${bytesToHex(op.arg)}`;
}

/** Python `repr(op)`: `OpSHA256()`, `OpAppend(b'…')`. */
export function opRepr(op: Op): string {
  const cls = OP_CLASS[op.tag] ?? `Op_${op.tag.toString(16)}`;
  return op.arg === undefined ? `${cls}()` : `${cls}(${pythonBytesRepr(op.arg)})`;
}

/** Python `str(attestation)`: `PendingAttestation('uri')`, `BitcoinBlockHeaderAttestation(123)`, `UnknownAttestation(b'…', b'…')`. */
export function attestationToString(a: Attestation): string {
  switch (a.kind) {
    case 'pending':
      return `PendingAttestation(${pythonStrRepr(a.uri)})`;
    case 'bitcoin':
      return `BitcoinBlockHeaderAttestation(${a.height})`;
    case 'litecoin':
      return `LitecoinBlockHeaderAttestation(${a.height})`;
    case 'ethereum':
      return `EthereumBlockHeaderAttestation(${a.height})`;
    case 'unknown':
      return `UnknownAttestation(${pythonBytesRepr(a.tag)}, ${pythonBytesRepr(a.payload)})`;
  }
}
