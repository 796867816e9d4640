/**
 * @module The Bitcoin Core side: chain table, JSON-RPC client, transaction codec, timestamp transactions, block proofs, and a local regtest node.
 *
 * The node is trusted for availability, not for facts: every answer is validated, and transactions,
 * headers and merkle roots are re-hashed against what was asked before anchoring relies on them.
 */

export { COIN, AmountError, amountToSats, satsToAmount, feeRateToSatPerKvB, feeForVsize } from './amount.js';
export { HexError, decodeHexField, displayHexToInternal, internalToDisplayHex } from './hex.js';

export { JsonDecimal, JsonShapeError, parseJsonExact } from './rpc-json.js';

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
