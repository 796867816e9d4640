/**
 * @module Following the node's best chain one block at a time from the last block the stamper processed: new blocks in order (with their txids), and blocks left behind by a reorg, newest first.
 *
 * The follower keeps no state of its own: the stamper hands it the last processed block (persisted),
 * so blocks mined while the stamper was down are all visited on restart (the reference started from
 * the tip and never saw them, reference-server §11.6).
 */
import { type BitcoinRpc, RPC_CODE, RpcError } from '../bitcoin/index.js';
import type { BlockRef } from './stamper-state.js';

export type ChainReader = Pick<BitcoinRpc, 'getBestBlockHash' | 'getBlockHash' | 'getBlockHeader' | 'getBlock'>;

export type ChainStep =
  /** Nothing new: `tip` is the last processed block and the node's best block. */
  | { kind: 'idle'; tip: BlockRef }
  /** First contact: start from the node's tip (there is nothing of ours in earlier blocks). */
  | { kind: 'start'; tip: BlockRef }
  /** The next block on the best chain, whose parent is the last processed block. */
  | { kind: 'connect'; block: BlockRef; txids: string[] }
  /**
   * The last processed block (and any block above `parent`) is no longer on the best chain. The
   * stamper treats everything above `parent.height` as gone and continues from `parent`.
   */
  | { kind: 'disconnect'; block: BlockRef; parent: BlockRef };

/** Reads the node's chain; safe to call concurrently (it only reads). Every RPC failure propagates. */
export class ChainFollower {
  readonly #rpc: ChainReader;

  constructor(rpc: ChainReader) {
    this.#rpc = rpc;
  }

  /** The one step that brings `last` closer to the node's best block. */
  async step(last: BlockRef | null): Promise<ChainStep> {
    const best = await this.#rpc.getBestBlockHash();
    if (last === null) {
      const header = await this.#rpc.getBlockHeader(best);
      return { kind: 'start', tip: { height: header.height, hash: header.hash } };
    }
    if (best === last.hash) return { kind: 'idle', tip: last };
    const active = await this.#rpc.getBlockHash(last.height);
    if (active !== last.hash) return { kind: 'disconnect', block: last, parent: await this.#parentOf(last) };
    const nextHash = await this.#rpc.getBlockHash(last.height + 1);
    // The best block moved between the calls (a reorg in progress): look again next time.
    if (nextHash === null) return { kind: 'idle', tip: last };
    const block = await this.#rpc.getBlock(nextHash);
    if (block.previousBlockHash !== last.hash) return { kind: 'idle', tip: last };
    return { kind: 'connect', block: { height: block.height, hash: block.hash }, txids: block.txids };
  }

  /**
   * The parent of a block that left the best chain: the node still has the header of a stale block. If
   * it does not (another node, a wiped data directory), the best chain's block below it is used: the
   * stamper then re-checks everything it holds above that height.
   */
  async #parentOf(block: BlockRef): Promise<BlockRef> {
    try {
      const header = await this.#rpc.getBlockHeader(block.hash);
      if (header.previousBlockHash !== undefined) return { height: block.height - 1, hash: header.previousBlockHash };
    } catch (err) {
      if (!(err instanceof RpcError && err.rpcCode === RPC_CODE.INVALID_ADDRESS_OR_KEY)) throw err;
    }
    const best = await this.#rpc.getBlockHeader(await this.#rpc.getBestBlockHash());
    const height = Math.max(0, Math.min(block.height - 1, best.height));
    const hash = await this.#rpc.getBlockHash(height);
    return hash === null ? { height: best.height, hash: best.hash } : { height, hash };
  }
}
