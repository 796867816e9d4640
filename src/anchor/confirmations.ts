/**
 * @module Depth and anchoring: how deep a mined transaction is, and, once deep enough, the OpenTimestamps timestamp from its merkle tip to the block header (reference-server §5.6), re-checked before it is written.
 *
 * The timestamp is `prepend(tx prefix) append(tx suffix) sha256 sha256`, the block merkle path, then
 * the chain's block-header attestation; `fetchBlockProof` re-hashes the transaction against its txid,
 * the txids against the header's merkle root, and the whole path from the tip to that root.
 */
import { type AttestationKind, type BitcoinRpc, fetchBlockProof } from '../bitcoin/index.js';
import { encodePath } from '../ots/index.js';
import type { BlockRef } from './stamper-state.js';

export type ProofReader = Pick<BitcoinRpc, 'getBlockHash' | 'getBlock' | 'getBlockHeaderRaw' | 'getRawTransaction'>;

/** Confirmations of a block at `minedHeight` when the best block is at `tipHeight` (1 = in the tip). */
export function depthOf(minedHeight: number, tipHeight: number): number {
  return Math.max(0, tipHeight - minedHeight + 1);
}

export type MinedProof =
  | { kind: 'proof'; timestamp: Uint8Array; blockTime: number }
  /** The block is no longer at its height on the best chain: the transaction is to be looked for again. */
  | { kind: 'stale' };

/**
 * The serialized timestamp from `tip` through transaction `txid` in `block`, after re-checking that the
 * block is still the best chain's block at its height (the depth was counted on it).
 */
export async function proofForMinedTx(rpc: ProofReader, args: { txid: string; block: BlockRef; tip: Uint8Array; attestation: AttestationKind }): Promise<MinedProof> {
  if ((await rpc.getBlockHash(args.block.height)) !== args.block.hash) return { kind: 'stale' };
  const proof = await fetchBlockProof(rpc, { blockHash: args.block.hash, txid: args.txid, tip: args.tip, attestation: args.attestation });
  return { kind: 'proof', timestamp: encodePath(proof.ops, proof.attestation), blockTime: proof.blockTime };
}

/** Anchors older than this many blocks below the tip are no longer watched for reorgs. */
export const ANCHOR_WATCH_BLOCKS = 1000;

/**
 * Of the anchored blocks, those no longer on the best chain (a reorg deeper than the confirmation
 * depth), and the ones still worth watching (within {@link ANCHOR_WATCH_BLOCKS} of the tip).
 */
export async function checkAnchoredBlocks<T extends { block: BlockRef }>(rpc: Pick<BitcoinRpc, 'getBlockHash'>, anchored: readonly T[], tipHeight: number): Promise<{ gone: T[]; watched: T[] }> {
  const gone: T[] = [];
  const watched: T[] = [];
  for (const a of anchored) {
    if (a.block.height + ANCHOR_WATCH_BLOCKS < tipHeight) continue;
    if ((await rpc.getBlockHash(a.block.height)) === a.block.hash) watched.push(a);
    else gone.push(a);
  }
  return { gone, watched };
}
