/** @module Where the node has a transaction that is not its wallet's (a donated one): its mempool, a best-chain block (through `-txindex` when the node keeps one), and broadcasting it again from the bytes this calendar kept. */
import { type BitcoinRpc, RPC_CODE, RpcError } from '../bitcoin/index.js';
import type { BlockRef, TxRef } from './stamper-state.js';
import type { TxLookup } from './tx-tracker.js';

export type NodeLookupRpc = Pick<BitcoinRpc, 'getMempoolEntry' | 'getRawTransaction' | 'getBlockHeader' | 'getBlockHash' | 'sendRawTransaction'>;

/** The best-chain block holding `txid` if the node can say (mempool or `-txindex`); undefined otherwise. */
async function locate(rpc: NodeLookupRpc, txid: string): Promise<BlockRef | undefined> {
  try {
    const t = await rpc.getRawTransaction(txid);
    if (t.blockHash === undefined || (t.confirmations ?? 0) < 1) return undefined;
    const header = await rpc.getBlockHeader(t.blockHash);
    return (await rpc.getBlockHash(header.height)) === header.hash ? { height: header.height, hash: header.hash } : undefined;
  } catch (err) {
    // -5: not in the mempool, and the node keeps no index of mined transactions (or does not know it)
    if (err instanceof RpcError && err.rpcCode === RPC_CODE.INVALID_ADDRESS_OR_KEY) return undefined;
    throw err;
  }
}

/**
 * A {@link TxLookup} on the node alone. `raw(txid)` gives the bytes kept for a transaction (as posted, or as
 * read from its block), so it can be broadcast again after a reorg or a node that lost its mempool.
 */
export function nodeLookup(rpc: NodeLookupRpc, raw: (txid: string) => Uint8Array | undefined): TxLookup {
  return {
    async anyInMempool(versions: readonly TxRef[]): Promise<boolean> {
      for (const v of versions) if ((await rpc.getMempoolEntry(v.txid)) !== null) return true;
      return false;
    },
    async findMined(versions: readonly TxRef[]): Promise<{ txid: string; block: BlockRef } | null> {
      for (const v of versions) {
        const block = await locate(rpc, v.txid);
        if (block !== undefined) return { txid: v.txid, block };
      }
      return null;
    },
    async rebroadcast(txid: string): Promise<boolean> {
      const bytes = raw(txid);
      if (bytes === undefined) return false;
      try {
        await rpc.sendRawTransaction(bytes);
        return true;
      } catch (err) {
        if (!(err instanceof RpcError)) throw err;
        // in a block the follower has not reached yet: still ours to follow
        return err.rpcCode === RPC_CODE.VERIFY_ALREADY_IN_CHAIN;
      }
    },
  };
}
