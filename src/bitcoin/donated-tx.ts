/**
 * @module The standardness rules a donated timestamp transaction must meet before a calendar takes it (DESIGN §4b, external): pure checks of its bytes, each failure with a stable code and the exact reason. What the node must say (the spent output, the fee rate, mempool acceptance) is checked by the caller.
 *
 * Why so strict: an anchor's proof carries the transaction's bytes except its witness, and every client copies
 * them into its `.ots` files. The rules leave a donor as little of its own choosing in those bytes as a spend can:
 * one native segwit input (an empty scriptSig), one `OP_RETURN` holding exactly the calendar's tip, at most one
 * output of a segwit template, the usual version, sequence and lock time. `src/anchor/README.md` lists, byte by
 * byte, what a donor can still choose in a transaction that passes.
 */
import { internalToDisplayHex } from './hex.js';
import { TEMPLATE_NAME, isNativeSegwit, scriptTemplate, type ScriptTemplate } from './script-template.js';
import { TIP_LENGTH, type Tx, TxDecodeError, decodeTx, encodeTx, txid as txidOf, txWeight } from './tx.js';

/** Largest serialization (witness included) taken: a segwit spend of this shape is about 200–400 bytes. */
export const DONATED_TX_MAX_BYTES = 1000;
/**
 * Largest BIP141 weight taken. The rules cap the stripped part at 137 bytes (548 weight units), so this leaves
 * some 450 bytes of witness: enough for P2WPKH, P2TR and a P2WSH multisig spend, not for a witness stuffed with data.
 */
export const DONATED_TX_MAX_WEIGHT = 1000;
/** nSequence values taken: BIP125 replaceable, final with lock time enforced, final. */
export const DONATED_TX_SEQUENCES: readonly number[] = [0xfffffffd, 0xfffffffe, 0xffffffff];
/** nLockTime below this is a block height (Core's LOCKTIME_THRESHOLD); at or above it a time, which is refused. */
export const LOCKTIME_THRESHOLD = 500_000_000;

/** Why a transaction's bytes are refused; stable, documented, and the `code` of the HTTP answer. */
export type DonatedTxCode =
  | 'too-large'
  | 'not-a-transaction'
  | 'version'
  | 'input-count'
  | 'legacy-input'
  | 'wrapped-segwit-input'
  | 'script-sig-data'
  | 'no-witness'
  | 'sequence'
  | 'lock-time'
  | 'no-op-return'
  | 'op-return-count'
  | 'op-return-value'
  | 'op-return-length'
  | 'op-return-script'
  | 'output-count'
  | 'output-script'
  | 'too-heavy';

export interface DonatedTx {
  tx: Tx;
  /** Display hex. */
  txid: string;
  /** The 32 bytes its `OP_RETURN` pushes. */
  tip: Uint8Array;
  /** Index of the `OP_RETURN` output. */
  opReturnIndex: number;
  /** Satoshis its outputs pay (the fee is the spent output's value minus this). */
  outputsValue: number;
  weight: number;
  vsize: number;
  /** The spent output, txid in display hex. */
  spends: { txid: string; vout: number };
}

export type DonatedTxVerdict = ({ ok: true } & DonatedTx) | { ok: false; code: DonatedTxCode; reason: string };

const refuse = (code: DonatedTxCode, reason: string): DonatedTxVerdict => ({ ok: false, code, reason });

const OP_RETURN = 0x6a;
const OP_PUSHDATA1 = 0x4c;
const OP_PUSHDATA2 = 0x4d;
const OP_PUSHDATA4 = 0x4e;
const OP_16 = 0x60;

/** The data pushes after an `OP_RETURN`, or why the script is not pushes only. */
function opReturnPushes(script: Uint8Array): { pushes: Array<{ length: number; direct: boolean }> } | { bad: string } {
  const pushes: Array<{ length: number; direct: boolean }> = [];
  let at = 1;
  while (at < script.length) {
    const op = script[at] as number;
    let len: number;
    let header: number;
    if (op <= 0x4b) [len, header] = [op, 1];
    else if (op === OP_PUSHDATA1 && at + 1 < script.length) [len, header] = [script[at + 1] as number, 2];
    else if (op === OP_PUSHDATA2 && at + 2 < script.length) [len, header] = [(script[at + 1] as number) | ((script[at + 2] as number) << 8), 3];
    else if (op === OP_PUSHDATA4 && at + 4 < script.length) [len, header] = [new DataView(script.buffer, script.byteOffset + at + 1, 4).getUint32(0, true), 5];
    else if (op <= OP_16) [len, header] = [0, 1]; // OP_1NEGATE, OP_RESERVED, OP_1..OP_16: a push of a small number
    else return { bad: `opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}` };
    if (at + header + len > script.length) return { bad: `a push of ${len} bytes at byte ${at} runs past the end of the script` };
    pushes.push({ length: len, direct: op <= 0x4b && op > 0 });
    at += header + len;
  }
  return { pushes };
}

/** A scriptSig that is one direct push of a witness program: the redeem script of a P2SH-wrapped segwit spend. */
function isWrappedProgram(scriptSig: Uint8Array): boolean {
  const len = scriptSig[0];
  if (len === undefined || len + 1 !== scriptSig.length) return false;
  const t = scriptTemplate(scriptSig.subarray(1));
  return t === 'p2wpkh' || t === 'p2wsh' || t === 'witness-unknown' || t === 'p2tr';
}

function templateWord(t: ScriptTemplate): string {
  return TEMPLATE_NAME[t];
}

/**
 * Checks `raw` (the transaction as posted, witness included) against every rule that needs nothing but its
 * bytes, in a fixed order, and answers the first rule it breaks. Pure; never throws.
 */
export function checkDonatedTx(raw: Uint8Array): DonatedTxVerdict {
  if (raw.length > DONATED_TX_MAX_BYTES) return refuse('too-large', `the transaction is ${raw.length} bytes; at most ${DONATED_TX_MAX_BYTES} are taken`);
  let tx: Tx;
  try {
    tx = decodeTx(raw);
  } catch (err) {
    if (err instanceof TxDecodeError) return refuse('not-a-transaction', `the bytes do not decode as a transaction (${err.reason}: ${err.message.replace(/^transaction decode failed \([a-z-]+\): /, '')})`);
    throw err;
  }
  if (tx.version !== 1 && tx.version !== 2) return refuse('version', `version ${tx.version}; only versions 1 and 2 are taken`);
  if (tx.inputs.length !== 1) return refuse('input-count', `${tx.inputs.length} inputs; exactly one (a native segwit spend) is taken`);
  const input = tx.inputs[0] as Tx['inputs'][number];
  const witnessed = input.witness.length > 0;
  if (input.scriptSig.length > 0) {
    if (!witnessed) return refuse('legacy-input', `the input is a legacy spend (a ${input.scriptSig.length}-byte scriptSig, no witness); only native segwit spends (empty scriptSig, a witness) are taken`);
    if (isWrappedProgram(input.scriptSig)) return refuse('wrapped-segwit-input', 'the input is a P2SH-wrapped segwit spend (its scriptSig pushes the redeem script); only native segwit spends, with an empty scriptSig, are taken');
    return refuse('script-sig-data', `the input's scriptSig holds ${input.scriptSig.length} bytes; a native segwit spend has an empty scriptSig`);
  }
  if (!witnessed) return refuse('no-witness', 'the input has an empty scriptSig and no witness; only native segwit spends (with a witness) are taken');
  if (!DONATED_TX_SEQUENCES.includes(input.sequence)) {
    return refuse('sequence', `nSequence 0x${input.sequence.toString(16).padStart(8, '0')}; only 0xfffffffd, 0xfffffffe and 0xffffffff are taken`);
  }
  if (tx.lockTime >= LOCKTIME_THRESHOLD) return refuse('lock-time', `nLockTime ${tx.lockTime} is a time; only 0 or a block height are taken`);

  const opReturns = tx.outputs.flatMap((o, i) => (o.script[0] === OP_RETURN ? [i] : []));
  if (opReturns.length === 0) return refuse('no-op-return', 'no OP_RETURN output; exactly one, pushing an advertised tip, is needed');
  if (opReturns.length > 1) return refuse('op-return-count', `${opReturns.length} OP_RETURN outputs (outputs ${opReturns.join(', ')}); exactly one is taken`);
  const at = opReturns[0] as number;
  const opReturn = tx.outputs[at] as Tx['outputs'][number];
  if (opReturn.value !== 0) return refuse('op-return-value', `the OP_RETURN output carries ${opReturn.value} sats; it must carry 0`);
  const parsed = opReturnPushes(opReturn.script);
  if ('bad' in parsed) return refuse('op-return-script', `the OP_RETURN script holds ${parsed.bad}; only OP_RETURN followed by one direct push of ${TIP_LENGTH} bytes is taken`);
  const [push, ...more] = parsed.pushes;
  if (push === undefined) return refuse('op-return-script', `the OP_RETURN script pushes nothing; it must push the ${TIP_LENGTH}-byte tip`);
  if (more.length > 0) return refuse('op-return-script', `the OP_RETURN script holds ${parsed.pushes.length} pushes (${parsed.pushes.map((p) => p.length).join(', ')} bytes); exactly one of ${TIP_LENGTH} bytes is taken`);
  if (push.length !== TIP_LENGTH) return refuse('op-return-length', `the OP_RETURN pushes ${push.length} bytes; exactly ${TIP_LENGTH} (one merkle tip) are taken`);
  if (!push.direct) return refuse('op-return-script', `the OP_RETURN pushes its ${TIP_LENGTH} bytes with OP_PUSHDATA; only the direct push (0x20) is taken`);

  if (tx.outputs.length > 2) return refuse('output-count', `${tx.outputs.length} outputs; the OP_RETURN and at most one other are taken`);
  const other = tx.outputs.findIndex((_, i) => i !== at);
  if (other >= 0) {
    const t = scriptTemplate((tx.outputs[other] as Tx['outputs'][number]).script);
    if (!isNativeSegwit(t)) return refuse('output-script', `output ${other} is ${templateWord(t)}; the one output beside the OP_RETURN must be P2WPKH, P2WSH or P2TR`);
  }
  const weight = txWeight(tx);
  if (weight > DONATED_TX_MAX_WEIGHT) {
    const witnessBytes = encodeTx(tx).length - encodeTx(tx, { witness: false }).length;
    return refuse('too-heavy', `the transaction weighs ${weight} weight units (its witness is ${witnessBytes} bytes); at most ${DONATED_TX_MAX_WEIGHT} are taken`);
  }
  return {
    ok: true,
    tx,
    txid: internalToDisplayHex(txidOf(tx)),
    tip: opReturn.script.slice(2),
    opReturnIndex: at,
    outputsValue: tx.outputs.reduce((s, o) => s + o.value, 0),
    weight,
    vsize: Math.ceil(weight / 4),
    spends: { txid: internalToDisplayHex(input.prevTxid), vout: input.vout },
  };
}

/** The output the transaction spends must itself be native segwit: a witness on anything else is not a segwit spend. */
export function checkSpentScript(script: Uint8Array): { ok: true } | { ok: false; code: 'input-not-segwit'; reason: string } {
  const t = scriptTemplate(script);
  if (isNativeSegwit(t)) return { ok: true };
  return { ok: false, code: 'input-not-segwit', reason: `the input spends ${templateWord(t)} output; only native segwit outputs (P2WPKH, P2WSH, P2TR) may be spent` };
}
