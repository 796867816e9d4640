/** @module Bitcoin transaction codec (legacy and BIP144 segwit): strict decode (one transaction, or the transactions of a serialized block), encode with or without witness, txid/wtxid, weight, the OP_RETURN tip output and the split around the tip. */
import { bytesToHex, sha256d } from '../ots/index.js';
import { internalToDisplayHex } from './hex.js';

/**
 * Largest CompactSize Core's deserializer accepts (`MAX_SIZE` in serialize.h): anything above is a
 * corrupt or hostile length, never a real count.
 */
export const MAX_COMPACT_SIZE = 0x02000000;
/** The smallest serialized input: prevout(36) + script length(1) + nSequence(4). */
const MIN_INPUT_BYTES = 41;
/** The smallest serialized output: value(8) + script length(1). */
const MIN_OUTPUT_BYTES = 9;
/** Length of the data pushed by a timestamp transaction's OP_RETURN output: one merkle tip. */
export const TIP_LENGTH = 32;
/** The sequence number that signals BIP125 replaceability (any value below 0xfffffffe would do). */
export const SEQUENCE_RBF = 0xfffffffd;

export interface TxInput {
  /** The spent transaction's id in internal byte order (the sha256d output, not the display hex). */
  prevTxid: Uint8Array;
  vout: number;
  scriptSig: Uint8Array;
  sequence: number;
  /** Witness stack items; empty for a legacy input. */
  witness: Uint8Array[];
}

export interface TxOutput {
  /**
   * Satoshis. A JS integer is exact here: every valid value is ≤ MAX_MONEY (21e14 sat for Bitcoin,
   * 84e14 for Litecoin), both below 2^53.
   */
  value: number;
  script: Uint8Array;
}

export interface Tx {
  version: number;
  inputs: TxInput[];
  outputs: TxOutput[];
  lockTime: number;
}

export type TxDecodeReason =
  | 'truncated'
  | 'trailing-bytes'
  | 'non-canonical-size'
  | 'size-limit'
  | 'superfluous-witness'
  | 'unknown-flags'
  | 'value-range';

/** Bytes that Bitcoin Core's deserializer would also refuse. */
export class TxDecodeError extends Error {
  readonly code = 'tx-decode';
  constructor(
    readonly reason: TxDecodeReason,
    detail: string,
  ) {
    super(`transaction decode failed (${reason}): ${detail}`);
    this.name = 'TxDecodeError';
  }
}

/** A transaction whose recomputed id differs from the id the node said it had. */
export class TxidMismatchError extends Error {
  readonly code = 'txid-mismatch';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`transaction bytes hash to ${actual}, not the requested ${expected}`);
    this.name = 'TxidMismatchError';
  }
}

/** The tip is not inside the transaction bytes, so no commitment path from the tip to the txid exists. */
export class TipNotFoundError extends Error {
  readonly code = 'tip-not-in-tx';
  constructor(tip: Uint8Array) {
    super(`tip ${bytesToHex(tip)} does not occur in the transaction`);
    this.name = 'TipNotFoundError';
  }
}

class _Reader {
  #pos = 0;
  readonly #view: DataView;
  readonly #buf: Uint8Array;
  constructor(buf: Uint8Array) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  get remaining(): number {
    return this.#buf.length - this.#pos;
  }
  #need(n: number, what: string): void {
    if (this.remaining < n) throw new TxDecodeError('truncated', `${what} needs ${n} bytes, ${this.remaining} left`);
  }
  u8(what: string): number {
    this.#need(1, what);
    return this.#view.getUint8(this.#pos++);
  }
  u32(what: string): number {
    this.#need(4, what);
    const v = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return v;
  }
  i32(what: string): number {
    this.#need(4, what);
    const v = this.#view.getInt32(this.#pos, true);
    this.#pos += 4;
    return v;
  }
  value(what: string): number {
    this.#need(8, what);
    const v = this.#view.getBigUint64(this.#pos, true);
    this.#pos += 8;
    // Core reads a signed int64 and consensus caps it at MAX_MONEY; both chains' caps are < 2^53.
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TxDecodeError('value-range', `${what} ${v} exceeds any money supply`);
    return Number(v);
  }
  bytes(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const out = this.#buf.slice(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }
  /** CompactSize as Core reads it: minimal encodings only (serialize.h `ReadCompactSize`), ≤ MAX_SIZE. */
  compactSize(what: string): number {
    const first = this.u8(what);
    let n: number;
    let min: number;
    if (first < 0xfd) return first;
    if (first === 0xfd) {
      this.#need(2, what);
      n = this.#view.getUint16(this.#pos, true);
      this.#pos += 2;
      min = 0xfd;
    } else if (first === 0xfe) {
      n = this.u32(what);
      min = 0x10000;
    } else {
      this.#need(8, what);
      const big = this.#view.getBigUint64(this.#pos, true);
      this.#pos += 8;
      if (big < 0x100000000n) throw new TxDecodeError('non-canonical-size', `${what} uses 9 bytes for ${big}`);
      throw new TxDecodeError('size-limit', `${what} ${big} exceeds ${MAX_COMPACT_SIZE}`);
    }
    if (n < min) throw new TxDecodeError('non-canonical-size', `${what} ${n} is not minimally encoded`);
    if (n > MAX_COMPACT_SIZE) throw new TxDecodeError('size-limit', `${what} ${n} exceeds ${MAX_COMPACT_SIZE}`);
    return n;
  }
  /** A count of items each at least `minBytes` long: refused before allocating if it cannot fit. */
  count(minBytes: number, what: string): number {
    const n = this.compactSize(what);
    if (n * minBytes > this.remaining) throw new TxDecodeError('truncated', `${n} ${what} cannot fit in ${this.remaining} bytes`);
    return n;
  }
  varBytes(what: string): Uint8Array {
    return this.bytes(this.compactSize(what), what);
  }
}

function readInputs(r: _Reader): TxInput[] {
  const n = r.count(MIN_INPUT_BYTES, 'input count');
  const inputs: TxInput[] = [];
  for (let i = 0; i < n; i++) {
    const prevTxid = r.bytes(32, 'prevout txid');
    const vout = r.u32('prevout index');
    const scriptSig = r.varBytes('scriptSig');
    const sequence = r.u32('nSequence');
    inputs.push({ prevTxid, vout, scriptSig, sequence, witness: [] });
  }
  return inputs;
}

function readOutputs(r: _Reader): TxOutput[] {
  const n = r.count(MIN_OUTPUT_BYTES, 'output count');
  const outputs: TxOutput[] = [];
  for (let i = 0; i < n; i++) outputs.push({ value: r.value('output value'), script: r.varBytes('scriptPubKey') });
  return outputs;
}

/**
 * Reads one transaction exactly as Core's `UnserializeTransaction` does with witness allowed: an empty input
 * vector is read as the BIP144 marker, flag bit 1 means witnesses follow, any other flag bit is an error, and a
 * witness flag with only empty witnesses is an error.
 */
function readTx(r: _Reader): Tx {
  const version = r.i32('nVersion');
  let inputs = readInputs(r);
  let outputs: TxOutput[] = [];
  let flags = 0;
  if (inputs.length === 0) {
    flags = r.u8('segwit flag');
    if (flags !== 0) {
      inputs = readInputs(r);
      outputs = readOutputs(r);
    }
  } else {
    outputs = readOutputs(r);
  }
  if (flags & 1) {
    flags ^= 1;
    for (const input of inputs) {
      const items = r.count(1, 'witness item count');
      for (let i = 0; i < items; i++) input.witness.push(r.varBytes('witness item'));
    }
    if (!inputs.some((i) => i.witness.length > 0)) throw new TxDecodeError('superfluous-witness', 'witness flag set but every witness is empty');
  }
  if (flags !== 0) throw new TxDecodeError('unknown-flags', `flag byte 0x${flags.toString(16)} is not BIP144's 0x01`);
  const lockTime = r.u32('nLockTime');
  return { version, inputs, outputs, lockTime };
}

/** Decodes one transaction ({@link readTx}); trailing bytes are refused. */
export function decodeTx(bytes: Uint8Array): Tx {
  const r = new _Reader(bytes);
  const tx = readTx(r);
  if (r.remaining !== 0) throw new TxDecodeError('trailing-bytes', `${r.remaining} bytes after nLockTime`);
  return tx;
}

/** The 80-byte header of a serialized block, which its transaction count follows. */
const BLOCK_HEADER_BYTES = 80;

/** The transactions of a serialized block (`getblock <hash> 0`), in block order; trailing bytes are refused. */
export function decodeBlockTxs(block: Uint8Array): Tx[] {
  if (block.length < BLOCK_HEADER_BYTES) throw new TxDecodeError('truncated', `a block of ${block.length} bytes has no header`);
  const r = new _Reader(block.subarray(BLOCK_HEADER_BYTES));
  const n = r.count(MIN_INPUT_BYTES + MIN_OUTPUT_BYTES, 'transaction count');
  const txs: Tx[] = [];
  for (let i = 0; i < n; i++) txs.push(readTx(r));
  if (r.remaining !== 0) throw new TxDecodeError('trailing-bytes', `${r.remaining} bytes after the block's last transaction`);
  return txs;
}

export function hasWitness(tx: Tx): boolean {
  return tx.inputs.some((i) => i.witness.length > 0);
}

function compactSize(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_COMPACT_SIZE) throw new RangeError(`"size" expected 0..${MAX_COMPACT_SIZE}, got ${n}`);
  if (n < 0xfd) return Uint8Array.of(n);
  const b = new Uint8Array(n <= 0xffff ? 3 : 5);
  const v = new DataView(b.buffer);
  if (n <= 0xffff) {
    b[0] = 0xfd;
    v.setUint16(1, n, true);
  } else {
    b[0] = 0xfe;
    v.setUint32(1, n, true);
  }
  return b;
}

function u32(n: number, signed = false): Uint8Array {
  const b = new Uint8Array(4);
  if (signed) new DataView(b.buffer).setInt32(0, n, true);
  else new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function varBytes(b: Uint8Array): Uint8Array[] {
  return [compactSize(b.length), b];
}

/**
 * Serializes as Core's `SerializeTransaction`: with `witness` (the default) and at least one non-empty
 * witness, the BIP144 form (marker 0x00, flag 0x01); otherwise the legacy form that txids hash.
 */
export function encodeTx(tx: Tx, options: { witness?: boolean } = {}): Uint8Array {
  const withWitness = (options.witness ?? true) && hasWitness(tx);
  const parts: Uint8Array[] = [u32(tx.version, true)];
  if (withWitness) parts.push(Uint8Array.of(0x00, 0x01));
  parts.push(compactSize(tx.inputs.length));
  for (const i of tx.inputs) {
    if (i.prevTxid.length !== 32) throw new RangeError(`"prevTxid" expected 32 bytes, got ${i.prevTxid.length}`);
    parts.push(i.prevTxid, u32(i.vout), ...varBytes(i.scriptSig), u32(i.sequence));
  }
  parts.push(compactSize(tx.outputs.length));
  for (const o of tx.outputs) {
    if (!Number.isSafeInteger(o.value) || o.value < 0) throw new RangeError(`"value" expected a non-negative integer of satoshis, got ${o.value}`);
    const value = new Uint8Array(8);
    new DataView(value.buffer).setBigUint64(0, BigInt(o.value), true);
    parts.push(value, ...varBytes(o.script));
  }
  if (withWitness) {
    for (const i of tx.inputs) {
      parts.push(compactSize(i.witness.length));
      for (const item of i.witness) parts.push(...varBytes(item));
    }
  }
  parts.push(u32(tx.lockTime));
  return new Uint8Array(Buffer.concat(parts));
}

/** The txid in internal byte order: sha256d of the legacy (non-witness) serialization. */
export function txid(tx: Tx): Uint8Array {
  return sha256d(encodeTx(tx, { witness: false }));
}

/** The BIP141 wtxid in internal byte order (equals the txid for a transaction without witness). */
export function wtxid(tx: Tx): Uint8Array {
  return sha256d(encodeTx(tx));
}

/** BIP141 weight: 3 × stripped size + total size. */
export function txWeight(tx: Tx): number {
  return 3 * encodeTx(tx, { witness: false }).length + encodeTx(tx).length;
}

/** BIP141 virtual size: weight / 4 rounded up, the size fee rates apply to. */
export function txVsize(tx: Tx): number {
  return Math.ceil(txWeight(tx) / 4);
}

/**
 * Decodes bytes a node returned for `expectedTxid` (display hex) and refuses them unless they hash to it:
 * a node's word about a transaction is re-checked, never trusted (style rule 6).
 */
export function decodeTxExpecting(bytes: Uint8Array, expectedTxid: string): Tx {
  const tx = decodeTx(bytes);
  const actual = internalToDisplayHex(txid(tx));
  if (actual !== expectedTxid.toLowerCase()) throw new TxidMismatchError(expectedTxid, actual);
  return tx;
}

/** `OP_RETURN PUSH32 <tip>`: the output that commits a timestamp transaction to a merkle tip. */
export function opReturnScript(tip: Uint8Array): Uint8Array {
  if (tip.length !== TIP_LENGTH) throw new RangeError(`"tip" expected ${TIP_LENGTH} bytes, got ${tip.length}`);
  const script = new Uint8Array(2 + TIP_LENGTH);
  script[0] = 0x6a; // OP_RETURN
  script[1] = TIP_LENGTH; // direct push of 32 bytes
  script.set(tip, 2);
  return script;
}

/**
 * Splits a legacy serialization around the first occurrence of `tip`, as the reference stamper does,
 * so that sha256d(prefix ‖ tip ‖ suffix) is the txid: the OpenTimestamps path is then
 * prepend(prefix), append(suffix), sha256, sha256. The witness form must not be passed: it hashes to the
 * wtxid, which no block header commits to directly.
 */
export function splitAroundTip(nonWitnessTx: Uint8Array, tip: Uint8Array): { prefix: Uint8Array; suffix: Uint8Array } {
  if (tip.length === 0) throw new RangeError('"tip" expected at least 1 byte, got 0');
  const at = Buffer.from(nonWitnessTx.buffer, nonWitnessTx.byteOffset, nonWitnessTx.byteLength).indexOf(Buffer.from(tip.buffer, tip.byteOffset, tip.byteLength));
  if (at < 0) throw new TipNotFoundError(tip);
  return { prefix: nonWitnessTx.slice(0, at), suffix: nonWitnessTx.slice(at + tip.length) };
}
