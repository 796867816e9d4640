/**
 * @module The Bitcoin Core side: chain table, JSON-RPC client, transaction codec, script templates, timestamp transactions and the standardness rules for donated ones, block proofs, and a local regtest node.
 *
 * The node is trusted for availability, not for facts: every answer is validated, and transactions,
 * headers and merkle roots are re-hashed against what was asked before anchoring relies on them.
 */

export { type ChainName, type AttestationKind, type Chain, CHAINS, UnknownChainError, ChainMismatchError, getChain, cookieFilePath, defaultRpcUrl, checkGenesis } from './chains.js';

export { COIN, AmountError, amountToSats, satsToAmount, feeRateToSatPerKvB, feeForVsize } from './amount.js';
export { HexError, decodeHexField, displayHexToInternal, internalToDisplayHex } from './hex.js';

export { type TransportRequest, type TransportResponse, type FetchFn, nodeHttpTransport } from './http-transport.js';
export {
  RPC_CODE,
  type RpcFailureCode,
  type UnavailableReason,
  RpcFailure,
  RpcError,
  RpcWarmupError,
  RpcTxRejectedError,
  RpcUnavailableError,
  RpcAuthError,
  RpcResponseError,
  rpcErrorFrom,
} from './rpc-errors.js';
export { JsonDecimal, JsonShapeError, parseJsonExact } from './rpc-json.js';
export { type RpcConnectionOptions, type RpcParams, type CallOptions, RpcConnection } from './rpc-connection.js';
export type {
  BlockchainInfo,
  BlockHeaderInfo,
  BlockInfo,
  RawTransactionInfo,
  TxOutInfo,
  MempoolEntry,
  Unspent,
  AddressInfo,
  SignResult,
  FeeEstimate,
  Balances,
  WalletTransaction,
  WalletTxSummary,
  TxOutSetInfo,
  NetworkInfo,
  MempoolInfo,
  MempoolAcceptance,
} from './rpc-results.js';
export { type BitcoinRpcOptions, type RawTransaction, BitcoinRpc } from './rpc.js';

export {
  MAX_COMPACT_SIZE,
  TIP_LENGTH,
  SEQUENCE_RBF,
  type TxInput,
  type TxOutput,
  type Tx,
  type TxDecodeReason,
  TxDecodeError,
  TxidMismatchError,
  TipNotFoundError,
  decodeTx,
  decodeBlockTxs,
  encodeTx,
  hasWitness,
  txid,
  wtxid,
  txWeight,
  txVsize,
  decodeTxExpecting,
  opReturnScript,
  splitAroundTip,
} from './tx.js';
export { BlockHashMismatchError, blockHash, checkBlockHeader } from './block-header.js';
export { type ScriptTemplate, TEMPLATE_NAME, scriptTemplate, isNativeSegwit } from './script-template.js';
export {
  DONATED_TX_MAX_BYTES,
  DONATED_TX_MAX_WEIGHT,
  DONATED_TX_SEQUENCES,
  LOCKTIME_THRESHOLD,
  type DonatedTxCode,
  type DonatedTx,
  type DonatedTxVerdict,
  checkDonatedTx,
  checkSpentScript,
} from './donated-tx.js';

export {
  TIMESTAMP_TX_VERSION,
  DEFAULT_DUST_RELAY_FEE,
  DEFAULT_INCREMENTAL_RELAY_FEE,
  SIGNATURE_WEIGHT_MARGIN,
  type TimestampTxSpec,
  type TimestampTxFailure,
  type TimestampTxResult,
  type FeePlan,
  dustThreshold,
  buildTimestampTx,
  timestampTxTemplate,
  timestampTxFee,
  buildTimestampTxForFeeRate,
  minReplacementFee,
} from './timestamp-tx.js';
export { type BlockProofInput, type BlockProof, MerkleRootMismatchError, TxNotInBlockError, buildBlockProof, fetchBlockProof } from './block-proof.js';

export { type RegtestNodeOptions, type ReadyStats, LitecoindNotInstalledError, RegtestNodeError, RegtestNode, killAllRegtestNodesSync } from './regtest-node.js';
