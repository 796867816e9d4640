/** @module Textual forms of ops and attestations exactly as python-opentimestamps prints them (`ots info`, error messages). */
import { bytesToHex } from './hex.js';
import type { Op } from './op.js';
import type { Attestation } from './attestation.js';

function escapeCodeUnit(c: number, quote: number): string {
  if (c === quote || c === 0x5c) return `\\${String.fromCharCode(c)}`;
  if (c === 0x09) return '\\t';
  if (c === 0x0a) return '\\n';
  if (c === 0x0d) return '\\r';
  if (c < 0x20 || c === 0x7f) return `\\x${c.toString(16).padStart(2, '0')}`;
  return String.fromCharCode(c);
}

/** Python `repr(bytes)`: `b'…'`, or `b"…"` when the bytes hold a single quote and no double quote. */
export function pythonBytesRepr(b: Uint8Array): string {
  const quote = b.includes(0x27) && !b.includes(0x22) ? 0x22 : 0x27;
  let body = '';
  for (const c of b) body += c >= 0x80 ? `\\x${c.toString(16).padStart(2, '0')}` : escapeCodeUnit(c, quote);
  const q = String.fromCharCode(quote);
  return `b${q}${body}${q}`;
}

/**
 * Python `repr(str)` for printable text (file names in messages): the same quote choice as bytes,
 * with control characters escaped; other characters are kept as they are, as python keeps printable ones.
 */
export function pythonStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? 0x22 : 0x27;
  let body = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    body += c < 0x80 ? escapeCodeUnit(c, quote) : ch;
  }
  const q = String.fromCharCode(quote);
  return `${q}${body}${q}`;
}

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
