/** @module The OpenTimestamps path from a merkle tip through its timestamp transaction and the block merkle tree to a block-header attestation, re-checked against the header (reference-server §5.6). */
import { type Attestation, type Op, OP_SHA256, applyPath, bytesToHex, parseBlockHeader, sha256d, bitcoinAttestation, blockMerklePath, blockMerkleRoot, litecoinAttestation, opAppend, opPrepend, verifyBlockHeaderAttestation } from '../ots/index.js';
import type { AttestationKind } from './chains.js';
import { displayHexToInternal, internalToDisplayHex } from './hex.js';
import type { BitcoinRpc } from './rpc.js';
import { encodeTx, splitAroundTip } from './tx.js';

/** The txids the node listed do not hash to the merkle root in the block's header. */
export class MerkleRootMismatchError extends Error {
  readonly code = 'merkle-root-mismatch';
  constructor(computed: Uint8Array, header: Uint8Array) {
    super(`txids hash to merkle root ${bytesToHex(computed)}, header has ${bytesToHex(header)}`);
    this.name = 'MerkleRootMismatchError';
  }
}

/** The transaction is not at the given position of the block (or not in it at all). */
export class TxNotInBlockError extends Error {
  readonly code = 'tx-not-in-block';
  constructor(txid: string, detail: string) {
    super(`transaction ${txid} ${detail}`);
    this.name = 'TxNotInBlockError';
  }
}

export interface BlockProofInput {
  /** The block's txids in block order, display hex (`getblock <hash> 1`). */
  txids: readonly string[];
  /** The block's 80-byte header, already checked to hash to the block hash. */
  header: Uint8Array;
  /** Position of the timestamp transaction in `txids`. */
  index: number;
  /** The timestamp transaction's legacy (non-witness) serialization. */
  nonWitnessTx: Uint8Array;
  /** The merkle tip the transaction commits to. */
  tip: Uint8Array;
  height: number;
  attestation: AttestationKind;
}

export interface BlockProof {
  /** From the tip: prepend(prefix), append(suffix), sha256, sha256, then the block merkle path. */
  ops: Op[];
  attestation: Attestation;
  /** The header's merkle root (internal order): what `applyPath(ops, tip)` yields. */
  merkleRoot: Uint8Array;
  /** The header's nTime: the time the proof attests. */
  blockTime: number;
  txid: string;
}

/**
 * Builds and re-checks the proof: the txids must hash to the header's merkle root, the transaction bytes
 * to the txid at `index`, and the finished path from the tip to the root; the node's word is checked
 * before an anchor is written on it (style rule 6).
 */
export function buildBlockProof(input: BlockProofInput): BlockProof {
  const header = parseBlockHeader(input.header);
  const txids = input.txids.map((t, i) => displayHexToInternal(t, `txids[${i}]`));
  const root = blockMerkleRoot(txids);
  if (Buffer.compare(root, header.merkleRoot) !== 0) throw new MerkleRootMismatchError(root, header.merkleRoot);

  const ours = sha256d(input.nonWitnessTx);
  const txid = internalToDisplayHex(ours);
  const listed = txids[input.index];
  if (listed === undefined) throw new TxNotInBlockError(txid, `index ${input.index} is outside a block of ${txids.length} txs`);
  if (Buffer.compare(listed, ours) !== 0) throw new TxNotInBlockError(txid, `is not at index ${input.index} (found ${input.txids[input.index]})`);

  const { prefix, suffix } = splitAroundTip(input.nonWitnessTx, input.tip);
  const ops: Op[] = [opPrepend(prefix), opAppend(suffix), OP_SHA256, OP_SHA256, ...blockMerklePath(txids, input.index)];
  // The path is recomputed end to end: a bug in any piece above shows here, not in a client.
  const blockTime = verifyBlockHeaderAttestation(applyPath(ops, input.tip), input.header);
  const attestation = input.attestation === 'litecoin' ? litecoinAttestation(input.height) : bitcoinAttestation(input.height);
  return { ops, attestation, merkleRoot: header.merkleRoot, blockTime, txid };
}

/**
 * Fetches what {@link buildBlockProof} needs for `txid` mined in `blockHash` (verbose block, raw header
 * checked against the hash, raw transaction checked against the txid) and builds the proof.
 */
export async function fetchBlockProof(
  rpc: Pick<BitcoinRpc, 'getBlock' | 'getBlockHeaderRaw' | 'getRawTransaction'>,
  args: { blockHash: string; txid: string; tip: Uint8Array; attestation: AttestationKind },
): Promise<BlockProof> {
  const [block, header, raw] = await Promise.all([rpc.getBlock(args.blockHash), rpc.getBlockHeaderRaw(args.blockHash), rpc.getRawTransaction(args.txid, args.blockHash)]);
  const index = block.txids.indexOf(args.txid.toLowerCase());
  if (index < 0) throw new TxNotInBlockError(args.txid, `is not in block ${args.blockHash}`);
  return buildBlockProof({
    txids: block.txids,
    header,
    index,
    nonWitnessTx: encodeTx(raw.tx, { witness: false }),
    tip: args.tip,
    height: block.height,
    attestation: args.attestation,
  });
}
