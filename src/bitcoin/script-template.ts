/**
 * @module Output script templates (Core's `Solver`, policy/standard.cpp): which of the known shapes a scriptPubKey has — the native segwit ones a donated timestamp transaction may use, the legacy and data-carrying ones it may not.
 */

export type ScriptTemplate =
  /** `OP_0 PUSH20 <key hash>` (BIP141). */
  | 'p2wpkh'
  /** `OP_0 PUSH32 <script hash>` (BIP141). */
  | 'p2wsh'
  /** `OP_1 PUSH32 <x-only key>` (BIP341). */
  | 'p2tr'
  /** Any other witness program: version 0 of another length, versions 1 to 16 of 2 to 40 bytes. */
  | 'witness-unknown'
  /** `OP_DUP OP_HASH160 PUSH20 <hash> OP_EQUALVERIFY OP_CHECKSIG`. */
  | 'p2pkh'
  /** `OP_HASH160 PUSH20 <hash> OP_EQUAL` (BIP16). */
  | 'p2sh'
  /** `PUSH33|PUSH65 <key> OP_CHECKSIG`. */
  | 'p2pk'
  /** `OP_m <keys…> OP_n OP_CHECKMULTISIG`, bare. */
  | 'multisig'
  /** Starts with `OP_RETURN`. */
  | 'op-return'
  | 'nonstandard';

/** How people name each template, for refusal reasons and pages. */
export const TEMPLATE_NAME: Readonly<Record<ScriptTemplate, string>> = {
  p2wpkh: 'P2WPKH',
  p2wsh: 'P2WSH',
  p2tr: 'P2TR',
  'witness-unknown': 'a witness program of an unassigned version or length',
  p2pkh: 'P2PKH',
  p2sh: 'P2SH',
  p2pk: 'P2PK',
  multisig: 'bare multisig',
  'op-return': 'OP_RETURN',
  nonstandard: 'a non-standard script',
};

const OP_0 = 0x00;
const OP_1 = 0x51;
const OP_16 = 0x60;
const OP_RETURN = 0x6a;
const OP_DUP = 0x76;
const OP_EQUAL = 0x87;
const OP_EQUALVERIFY = 0x88;
const OP_HASH160 = 0xa9;
const OP_CHECKSIG = 0xac;
const OP_CHECKMULTISIG = 0xae;

function isKeyPush(script: Uint8Array, at: number): number {
  const len = script[at];
  if ((len === 33 || len === 65) && at + 1 + len <= script.length) return 1 + len;
  return 0;
}

function isMultisig(s: Uint8Array): boolean {
  const m = s[0];
  const n = s[s.length - 2];
  if (m === undefined || n === undefined || s[s.length - 1] !== OP_CHECKMULTISIG) return false;
  if (m < OP_1 || m > OP_16 || n < OP_1 || n > OP_16 || m > n) return false;
  let at = 1;
  let keys = 0;
  while (at < s.length - 2) {
    const step = isKeyPush(s, at);
    if (step === 0) return false;
    at += step;
    keys++;
  }
  return at === s.length - 2 && keys === n - OP_1 + 1;
}

/** The template of `script` (an output's scriptPubKey). Pure; never throws. */
export function scriptTemplate(script: Uint8Array): ScriptTemplate {
  const s = script;
  const first = s[0];
  if (first === undefined) return 'nonstandard';
  if (first === OP_RETURN) return 'op-return';
  // BIP141: a version opcode then one direct push of 2 to 40 bytes, nothing else
  if ((first === OP_0 || (first >= OP_1 && first <= OP_16)) && s.length >= 4 && s.length <= 42 && s[1] === s.length - 2) {
    if (first === OP_0 && s.length === 22) return 'p2wpkh';
    if (first === OP_0 && s.length === 34) return 'p2wsh';
    if (first === OP_1 && s.length === 34) return 'p2tr';
    return 'witness-unknown';
  }
  if (s.length === 25 && first === OP_DUP && s[1] === OP_HASH160 && s[2] === 20 && s[23] === OP_EQUALVERIFY && s[24] === OP_CHECKSIG) return 'p2pkh';
  if (s.length === 23 && first === OP_HASH160 && s[1] === 20 && s[22] === OP_EQUAL) return 'p2sh';
  if ((s.length === 35 || s.length === 67) && isKeyPush(s, 0) === s.length - 1 && s[s.length - 1] === OP_CHECKSIG) return 'p2pk';
  if (isMultisig(s)) return 'multisig';
  return 'nonstandard';
}

/** True for the templates a donated timestamp transaction may spend and pay to: P2WPKH, P2WSH, P2TR. */
export function isNativeSegwit(t: ScriptTemplate): boolean {
  return t === 'p2wpkh' || t === 'p2wsh' || t === 'p2tr';
}
