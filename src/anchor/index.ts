/**
 * @module Anchoring: the public pieces of src/anchor — the runner and its strategies (master calendars, donated transactions, the calendar's own wallet) behind one contract, the donation API's wire contract, and the shared pieces they are built from.
 *
 * `startAnchoring` is what the calendar command calls; the rest is exported for tests, benchmarks and
 * strategies that reuse the state, fee, chain-watching and proof pieces.
 */
export { type StartAnchoringOptions, startAnchoring } from './start.js';
export { type AnchoringOptions, type AnchoringReport, type AnchorEvent, Anchoring } from './anchoring.js';
export { type AnchorStrategy, type StrategyContext, type StrategyKind } from './strategy.js';
export { type WalletStamperOptions, WalletStamper } from './wallet-stamper.js';
export { type UpstreamSettings, type UpstreamStrategyOptions, type UpstreamRpc, TIMESTAMP_TX_VSIZE, UpstreamStrategy } from './upstream-strategy.js';
export { type Submission, type UpstreamState, type UpstreamAnchor, UpstreamStore, upstreamStateFile, emptyUpstreamState, encodeUpstreamState, decodeUpstreamState } from './upstream-state.js';
export { type ExternalSettings, type ExternalStrategyOptions, ExternalStrategy } from './external-strategy.js';
export { MAX_ROUND_TIPS, MAX_PAST_TIPS, roundRanges, rangesOf, pastAfter, withTip, tipVerdict } from './external-round.js';
export { type AdvertisedTip, type Round, type PastTip, type Donation, type ExternalState, EXTERNAL_STATE_FILE, ExternalStore, emptyExternalState, encodeExternalState, decodeExternalState } from './external-state.js';
export { type CheckRpc, type TipVerdict, type CheckedDonation, checkDonation, satPerVb } from './donation-check.js';
export { type DonationGateOptions, DONATION_GATE_DEFAULTS, DonationGate } from './donation-gate.js';
export {
  type DonationRefusalCode,
  type CoveredTip,
  type DonationRules,
  type DonationOffer,
  type DonationAnswer,
  DONATE_PATH,
  DONATION_PROTOCOL_VERSION,
  DONATION_OFFER_MAX_AGE_SECONDS,
  MAX_DONATION_ANSWER_BYTES,
  DonationProtocolError,
  donationRules,
  parseDonationOffer,
  parseDonationAnswer,
} from './donation-protocol.js';
export { type NodeLookupRpc, nodeLookup } from './node-lookup.js';
export { type TrackedState, type TxLookup, type TxTrackerOptions, TxTracker } from './tx-tracker.js';
export { type AnchorSettings, type StamperSettings, ANCHOR_DEFAULTS, REJECTION_FACTOR, satPerVbToKvB } from './settings.js';
export { type AnchorErrorCode, AnchorError, StamperStateError, StateWriteError, WalletSigningError, DonationRefusedError, DonationPushbackError } from './errors.js';
export { type AnchorLedger, type AnchorNote, TipBuilder, countOf, pendingRanges, tipOf } from './anchor-ledger.js';
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
export { walletMetrics } from './metrics.js';
export { type ConditionCode, type Condition, Conditions, conditionOf } from './conditions.js';
export { type AnchoringStatus, type StatusValue, stamperStatus, pendingView } from './stamper-status.js';
