/**
 * @module Bitcoin anchoring with the calendar's own wallet: the public pieces of src/anchor (start, the stamper and the seams it is built from).
 *
 * `startAnchoring` is what the calendar command calls; the rest is exported for tests, benchmarks and
 * other strategies (upstream, external) that reuse the state, fee and proof pieces.
 */
export { type Anchoring, type StartAnchoringOptions, startAnchoring } from './start.js';
export { type WalletStamperOptions, WalletStamper } from './wallet-stamper.js';
export { type AnchorSettings, type StamperSettings, ANCHOR_DEFAULTS, REJECTION_FACTOR, satPerVbToKvB } from './settings.js';
export { type AnchorErrorCode, AnchorError, StamperStateError, StateWriteError, WalletSigningError } from './errors.js';
export { type AnchorLedger, TipBuilder, countOf, pendingRanges, tipOf } from './anchor-ledger.js';
export {
  type FeeSettings,
  type NodeFeeFacts,
  type FeeDecision,
  MAX_REJECTED_RETRIES,
  feeCap,
  rateOf,
  firstFee,
  replacementFloor,
  replacementFee,
  raiseAfterRejection,
} from './fee-policy.js';
export {
  type BlockRef,
  type TxRef,
  type TxVersion,
  type Cycle,
  type WaitingTx,
  type AnchoredTx,
  type StamperState,
  STATE_FILE,
  emptyState,
  encodeState,
  decodeState,
  StateStore,
} from './stamper-state.js';
export { type ChainReader, type ChainStep, ChainFollower } from './chain-follower.js';
export { type ProofReader, type MinedProof, ANCHOR_WATCH_BLOCKS, depthOf, proofForMinedTx, checkAnchoredBlocks } from './confirmations.js';
export { type CycleRpc, type CycleDeps, type VersionContent, type CycleOutcome, type Reconciliation, TimestampCycle, chooseInput, signWithWallet } from './timestamp-cycle.js';
export { type PendingView, type PauseReason, MAX_REASON_LENGTH, isClientSafeReason, defaultReason, pendingReason } from './pending-status.js';
export { anchoringMetrics } from './metrics.js';
export { type ConditionCode, type Condition, Conditions, conditionOf } from './conditions.js';
export { type AnchoringStatus, stamperStatus, pendingView } from './stamper-status.js';
