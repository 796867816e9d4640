// A donor for tests: builds transactions for a calendar's tip from a wallet of its own on the real node (the
// wallet signs), and, for the hostile ones, the same transaction altered before or after signing.
import { randomBytes } from 'node:crypto';
import { type BitcoinRpc, type Tx, type Unspent, SEQUENCE_RBF, decodeTx, displayHexToInternal, encodeTx, internalToDisplayHex, opReturnScript, txid as txidOf, txVsize } from '../../src/bitcoin/index.js';

export interface Donated {
  raw: Uint8Array;
  tx: Tx;
  txid: string;
  fee: number;
  utxo: Unspent;
}

/** The wallet's largest confirmed output of `type` (from listunspent's scriptPubKey: 0014 P2WPKH, 76a9 P2PKH, a914 P2SH). */
export async function largestOutput(wallet: BitcoinRpc, kind: 'p2wpkh' | 'p2pkh' | 'p2sh' = 'p2wpkh', minConf = 1): Promise<Unspent> {
  const prefix = { p2wpkh: [0x00, 0x14], p2pkh: [0x76, 0xa9], p2sh: [0xa9, 0x14] }[kind];
  const all = (await wallet.listUnspent(minConf)).filter((u) => u.scriptPubKey[0] === prefix[0] && u.scriptPubKey[1] === prefix[1] && (minConf > 0 || u.confirmations === 0));
  const best = all.sort((a, b) => b.amount - a.amount)[0];
  if (best === undefined) throw new Error(`the wallet has no ${kind} output with ${minConf} confirmations`);
  return best;
}

export async function changeScript(wallet: BitcoinRpc, type: 'bech32' | 'legacy' = 'bech32'): Promise<Uint8Array> {
  return (await wallet.getAddressInfo(await wallet.getRawChangeAddress(type))).scriptPubKey;
}

/** The unsigned transaction a stamper would build: the output, change, OP_RETURN <tip>, nLockTime = height. */
export async function unsignedDonation(wallet: BitcoinRpc, tip: Uint8Array, o: { utxo?: Unspent; satPerVb?: number; fee?: number } = {}): Promise<{ tx: Tx; utxo: Unspent; fee: number }> {
  const utxo = o.utxo ?? (await largestOutput(wallet));
  const fee = o.fee ?? Math.ceil(160 * (o.satPerVb ?? 2));
  const height = await wallet.getBlockCount();
  const tx: Tx = {
    version: 2,
    inputs: [{ prevTxid: displayHexToInternal(utxo.txid), vout: utxo.vout, scriptSig: new Uint8Array(0), sequence: SEQUENCE_RBF, witness: [] }],
    outputs: [
      { value: utxo.amount - fee, script: await changeScript(wallet) },
      { value: 0, script: opReturnScript(tip) },
    ],
    lockTime: height,
  };
  return { tx, utxo, fee };
}

/** Signs with the wallet (whatever the transaction says: the wallet signs its own inputs). */
export async function signed(wallet: BitcoinRpc, tx: Tx): Promise<Uint8Array> {
  const r = await wallet.signRawTransactionWithWallet(encodeTx(tx, { witness: false }));
  if (!r.complete) throw new Error(`the wallet did not sign: ${r.errors.map((e) => e.error).join('; ')}`);
  return r.raw;
}

/** A transaction every rule takes, for `tip`. */
export async function donation(wallet: BitcoinRpc, tip: Uint8Array, o: { utxo?: Unspent; satPerVb?: number; fee?: number } = {}): Promise<Donated> {
  const u = await unsignedDonation(wallet, tip, o);
  return finish(await signed(wallet, u.tx), u.fee, u.utxo);
}

export function finish(raw: Uint8Array, fee: number, utxo: Unspent): Donated {
  const tx = decodeTx(raw);
  return { raw, tx, txid: internalToDisplayHex(txidOf(tx)), fee, utxo };
}

/** `raw` with `change` applied to its decoded form, re-encoded (signatures are not redone). */
export function altered(raw: Uint8Array, change: (tx: Tx) => void): Uint8Array {
  const tx = decodeTx(raw);
  change(tx);
  return encodeTx(tx);
}

export function fakeWitness(): Uint8Array[] {
  return [new Uint8Array(randomBytes(72)), Uint8Array.of(0x02, ...randomBytes(32))];
}

export { txVsize };
