/**
 * @module Finding, in a serialized block, the transactions that carry one of the tips a calendar advertised (an `OP_RETURN <tip>` output), each with the standardness verdict on its bytes. Pure: the block is searched for each tip's script first, and decoded only when one occurs.
 */
import { type DonatedTxVerdict, type Tx, checkDonatedTx, decodeBlockTxs, encodeTx, internalToDisplayHex, opReturnScript, txid as txidOf } from '../bitcoin/index.js';
import { bytesEqual } from '../ots/index.js';

export interface FoundDonation<T> {
  /** Display hex. */
  txid: string;
  tx: Tx;
  /** Its bytes with the witness, as the block holds them. */
  raw: Uint8Array;
  /** The advertised tip it carries. */
  hit: T;
  verdict: DonatedTxVerdict;
}

/** Every transaction of `block` (coinbase aside) carrying one of `tips` in an output script `6a20<tip>`. */
export function donationsInBlock<T extends { tip: Uint8Array }>(block: Uint8Array, tips: readonly T[]): Array<FoundDonation<T>> {
  const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  const scripts = tips.map((t) => ({ t, script: opReturnScript(t.tip) })).filter((c) => bytes.indexOf(c.script) >= 0);
  if (scripts.length === 0) return [];
  const out: Array<FoundDonation<T>> = [];
  for (const tx of decodeBlockTxs(block).slice(1)) {
    const hit = scripts.find((c) => tx.outputs.some((o) => bytesEqual(o.script, c.script)));
    if (hit === undefined) continue;
    const raw = encodeTx(tx);
    out.push({ txid: internalToDisplayHex(txidOf(tx)), tx, raw, hit: hit.t, verdict: checkDonatedTx(raw) });
  }
  return out;
}
