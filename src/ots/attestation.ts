/** @module Attestations, the leaves of a timestamp tree: kinds, URI rules, canonical order, equality and encoding (ots-format.md §6, §5). */
import { bytesToHex, hexToBytes } from './hex.js';
import { bytesEqual, compareBytes } from './bytes.js';
import { BytesReader, BytesWriter } from './serialize.js';
import { InvalidAttestationError, InvalidUriError } from './errors.js';
import { pythonBytesRepr, pythonStrRepr } from './python-repr.js';

export type Attestation =
  | { readonly kind: 'pending'; readonly uri: string }
  | { readonly kind: 'bitcoin'; readonly height: number }
  | { readonly kind: 'litecoin'; readonly height: number }
  | { readonly kind: 'ethereum'; readonly height: number }
  | { readonly kind: 'unknown'; readonly tag: Uint8Array; readonly payload: Uint8Array };

export type AttestationKind = Attestation['kind'];

/** Every attestation tag is 8 bytes. */
export const ATTESTATION_TAG_LENGTH = 8;

/** Largest attestation payload (python TimeAttestation.MAX_PAYLOAD_SIZE). */
export const MAX_PAYLOAD_SIZE = 8192;

/** Largest pending URI in bytes (python PendingAttestation.MAX_URI_LENGTH). */
export const MAX_URI_LENGTH = 1000;

export const PENDING_TAG: Uint8Array = hexToBytes('83dfe30d2ef90c8e');
export const BITCOIN_TAG: Uint8Array = hexToBytes('0588960d73d71901');
export const LITECOIN_TAG: Uint8Array = hexToBytes('06869a0d73d71b45');
/** python core/dubious only; the JavaScript client reads it as an unknown attestation. */
export const ETHEREUM_TAG: Uint8Array = hexToBytes('30fe8087b5c7ead7');

const TAG_HEX_TO_KIND: ReadonlyMap<string, 'pending' | 'bitcoin' | 'litecoin' | 'ethereum'> = new Map([
  [bytesToHex(PENDING_TAG), 'pending'],
  [bytesToHex(BITCOIN_TAG), 'bitcoin'],
  [bytesToHex(LITECOIN_TAG), 'litecoin'],
  [bytesToHex(ETHEREUM_TAG), 'ethereum'],
]);

/**
 * The characters python allows in a pending URI: no query, fragment, percent-encoding, userinfo or
 * IPv6 brackets, which keeps clients away from URL-parsing ambiguities (ots-format.md §6).
 */
const URI_RE = /^[A-Za-z0-9\-._/:]*$/;

/** True when `uri` passes python's rules: only `A-Za-z0-9-._/:` and at most 1000 bytes (the empty URI passes). */
export function isValidPendingUri(uri: string): boolean {
  return uri.length <= MAX_URI_LENGTH && URI_RE.test(uri);
}

const ALLOWED_URI_BYTES = new Set(new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._/:'));

/** Python check_uri's message for an invalid URI, judged on its UTF-8 bytes as python judges it. */
function uriProblem(uri: string | Uint8Array): string {
  const bytes = typeof uri === 'string' ? new TextEncoder().encode(uri) : uri;
  if (bytes.length > MAX_URI_LENGTH) return 'URI exceeds maximum length';
  const bad = bytes.find((c) => !ALLOWED_URI_BYTES.has(c)) ?? 0;
  return `URI contains invalid character ${pythonBytesRepr(Uint8Array.of(bad))}`;
}

export function pendingAttestation(uri: string): Attestation {
  if (!isValidPendingUri(uri)) throw new InvalidUriError(uriProblem(uri));
  return Object.freeze({ kind: 'pending', uri });
}

function checkHeight(height: number): number {
  if (!Number.isSafeInteger(height) || height < 0) {
    throw new RangeError(`"height" expected an integer 0..2^53-1, got ${height}`);
  }
  return height;
}

export function bitcoinAttestation(height: number): Attestation {
  return Object.freeze({ kind: 'bitcoin', height: checkHeight(height) });
}

export function litecoinAttestation(height: number): Attestation {
  return Object.freeze({ kind: 'litecoin', height: checkHeight(height) });
}

export function ethereumAttestation(height: number): Attestation {
  return Object.freeze({ kind: 'ethereum', height: checkHeight(height) });
}

/** An attestation with a tag this library does not interpret; its payload is kept verbatim. Both are copied. */
export function unknownAttestation(tag: Uint8Array, payload: Uint8Array): Attestation {
  if (tag.length !== ATTESTATION_TAG_LENGTH) throw new RangeError(`"tag" expected 8 bytes, got ${tag.length}`);
  if (payload.length > MAX_PAYLOAD_SIZE) {
    throw new RangeError(`"payload" expected at most ${MAX_PAYLOAD_SIZE} bytes, got ${payload.length}`);
  }
  return Object.freeze({ kind: 'unknown', tag: new Uint8Array(tag), payload: new Uint8Array(payload) });
}

/** The 8-byte tag of any attestation. */
export function attestationTag(a: Attestation): Uint8Array {
  switch (a.kind) {
    case 'pending':
      return PENDING_TAG;
    case 'bitcoin':
      return BITCOIN_TAG;
    case 'litecoin':
      return LITECOIN_TAG;
    case 'ethereum':
      return ETHEREUM_TAG;
    case 'unknown':
      return a.tag;
  }
}

/** The payload bytes inside the attestation's varbytes. */
function encodePayload(a: Attestation): Uint8Array {
  if (a.kind === 'unknown') return a.payload;
  const w = new BytesWriter(16);
  if (a.kind === 'pending') {
    if (!isValidPendingUri(a.uri)) throw new InvalidUriError(uriProblem(a.uri));
    w.writeVarbytes(new TextEncoder().encode(a.uri));
  } else {
    w.writeVaruint(checkHeight(a.height));
  }
  return w.toBytes();
}

/** `tag ‖ varbytes(payload)`, without the 0x00 marker that precedes it inside a tree. */
export function encodeAttestation(w: BytesWriter, a: Attestation): void {
  const tag = attestationTag(a);
  if (tag.length !== ATTESTATION_TAG_LENGTH) throw new RangeError(`"tag" expected 8 bytes, got ${tag.length}`);
  const payload = encodePayload(a);
  if (payload.length > MAX_PAYLOAD_SIZE) {
    throw new RangeError(`"payload" expected at most ${MAX_PAYLOAD_SIZE} bytes, got ${payload.length}`);
  }
  w.writeBytes(tag);
  w.writeVarbytes(payload);
}

/**
 * Reads `tag ‖ varbytes(payload)`. Known payloads are parsed with their own reader and must be used
 * up exactly (python rejects trailing bytes there); unknown ones are kept verbatim.
 */
export function decodeAttestation(r: BytesReader): Attestation {
  const tag = r.readBytes(ATTESTATION_TAG_LENGTH);
  const payload = r.readVarbytes(MAX_PAYLOAD_SIZE);
  const kind = TAG_HEX_TO_KIND.get(bytesToHex(tag));
  if (kind === undefined) return Object.freeze({ kind: 'unknown', tag, payload });
  const p = new BytesReader(payload);
  let a: Attestation;
  if (kind === 'pending') {
    const raw = p.readVarbytes(MAX_URI_LENGTH);
    // Every allowed character is ASCII, so checking the bytes as latin1 text is exact.
    const uri = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
    if (!isValidPendingUri(uri)) {
      throw new InvalidAttestationError(`Invalid URI: ValueError(${pythonStrRepr(uriProblem(raw))})`);
    }
    a = Object.freeze({ kind, uri });
  } else {
    a = Object.freeze({ kind, height: p.readVaruint() });
  }
  p.assertEof();
  return a;
}

/**
 * Python's canonical attestation order: by tag across kinds; within a kind pending by URI, block
 * attestations by height, unknown by (tag, payload).
 */
export function compareAttestations(a: Attestation, b: Attestation): number {
  if (a.kind === 'unknown' && b.kind === 'unknown') {
    return compareBytes(a.tag, b.tag) || compareBytes(a.payload, b.payload);
  }
  if (a.kind !== b.kind) {
    // Hand-built unknown attestations may reuse a known tag; the kind name then breaks the tie.
    return compareBytes(attestationTag(a), attestationTag(b)) || (a.kind < b.kind ? -1 : 1);
  }
  if (a.kind === 'pending' && b.kind === 'pending') return a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0;
  const ha = (a as { height: number }).height;
  const hb = (b as { height: number }).height;
  return ha < hb ? -1 : ha > hb ? 1 : 0;
}

/** Value equality (python `==` on attestations). */
export function attestationsEqual(a: Attestation, b: Attestation): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'pending':
      return a.uri === (b as { uri: string }).uri;
    case 'unknown': {
      const u = b as { tag: Uint8Array; payload: Uint8Array };
      return bytesEqual(a.tag, u.tag) && bytesEqual(a.payload, u.payload);
    }
    default:
      return a.height === (b as { height: number }).height;
  }
}

/** A string that is equal for two attestations exactly when they are equal; used as a set key. */
export function attestationKey(a: Attestation): string {
  switch (a.kind) {
    case 'pending':
      return `pending:${a.uri}`;
    case 'unknown':
      return `unknown:${bytesToHex(a.tag)}:${bytesToHex(a.payload)}`;
    default:
      return `${a.kind}:${a.height}`;
  }
}
