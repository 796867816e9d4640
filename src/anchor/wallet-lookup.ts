/** @module Where the node has one of our transactions: in its mempool, or in a best-chain block according to the wallet (for transactions re-tracked after a reorg). */
import { type BitcoinRpc, RPC_CODE, RpcError } from '../bitcoin/index.js';
import type { BlockRef, TxRef } from './stamper-state.js';

export type LookupRpc = Pick<BitcoinRpc, 'getMempoolEntry' | 'getTransaction' | 'getBlockHash'>;

/** True when any of `versions` is in the node's mempool. */
export async function anyInMempool(rpc: LookupRpc, versions: readonly TxRef[]): Promise<boolean> {
  for (const v of versions) if ((await rpc.getMempoolEntry(v.txid)) !== null) return true;
  return false;
}

/** The best-chain block holding wallet transaction `txid`, re-checked against the chain; undefined if none. */
export async function locateInChain(rpc: LookupRpc, txid: string): Promise<BlockRef | undefined> {
  try {
    const t = await rpc.getTransaction(txid);
    if (t.confirmations < 1 || t.blockHash === undefined || t.blockHeight === undefined) return undefined;
    return (await rpc.getBlockHash(t.blockHeight)) === t.blockHash ? { height: t.blockHeight, hash: t.blockHash } : undefined;
  } catch (err) {
    // -5: the wallet does not know it.
    if (err instanceof RpcError && err.rpcCode === RPC_CODE.INVALID_ADDRESS_OR_KEY) return undefined;
    throw err;
  }
}

/** The first of `versions` found mined on the best chain. */
export async function findMined(rpc: LookupRpc, versions: readonly TxRef[]): Promise<{ txid: string; block: BlockRef } | null> {
  for (const v of versions) {
    const block = await locateInChain(rpc, v.txid);
    if (block !== undefined) return { txid: v.txid, block };
  }
  return null;
}

/**
 * Broadcasts wallet transaction `txid` again from the wallet's copy. True when the node took it (or has
 * it in a block already); false when it refuses it (conflicted, input gone) or the wallet lacks it.
 * Right after a node restart its mempool may still be loading: this tells "not there yet" from "gone".
 */
export async function rebroadcast(rpc: LookupRpc & Pick<BitcoinRpc, 'sendRawTransaction'>, txid: string): Promise<boolean> {
  try {
    await rpc.sendRawTransaction((await rpc.getTransaction(txid)).raw);
    return true;
  } catch (err) {
    if (!(err instanceof RpcError)) throw err;
    return err.rpcCode === RPC_CODE.VERIFY_ALREADY_IN_CHAIN;
  }
}
