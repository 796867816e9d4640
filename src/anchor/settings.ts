/** @module The anchoring settings in the units the stamper computes in (integer sat/kvB, milliseconds), and their defaults; the command line builds them from its options (src/cli/anchor-options.ts). */
import type { Chain } from '../bitcoin/index.js';
import type { FeeSettings } from './fee-policy.js';

/** Defaults of the anchoring options; fee rates in sat/vB as the operator writes them. */
export const ANCHOR_DEFAULTS = Object.freeze({
  confirmations: 6,
  minTxIntervalSeconds: 3600,
  feeRate: 1,
  feeIncrement: 1,
  maxFeeRate: 500,
  /** 0.001 coin, the reference's per-transaction cap (reference-server §7.1). */
  maxFee: 100_000,
  maxCommitmentsPerTx: 100_000,
  pollIntervalMs: 1000,
  feeTargetBlocks: 6,
  /** A master calendar's proof usually takes its interval plus six blocks; four hours leaves room for a slow one. */
  upstreamTimeoutSeconds: 14_400,
  upstreamPollMs: 10_000,
  /** As long as the wallet's own interval: donors get the time the calendar would have waited anyway. */
  externalWaitSeconds: 3600,
});

/** The reference's factor for a version the node refused (-26) (reference-server §5.5). */
export const REJECTION_FACTOR = 1.25;

export interface StamperSettings {
  /** Depth at which a transaction's proof is written to the journal (1 = in a block). */
  confirmations: number;
  /** Least time from one confirmation to the next cycle's first transaction; jittered ×U(1, 1.5). */
  minTxIntervalMs: number;
  fees: FeeSettings;
  /** `estimatesmartfee` target of a first version. */
  feeTargetBlocks: number;
  maxCommitmentsPerTx: number;
}

export interface AnchorSettings extends StamperSettings {
  chain: Chain;
  /** May carry user:password; only `BitcoinRpc.endpoint` (without them) is ever logged. */
  rpcUrl: string;
  rpcCookie?: string;
  rpcWallet?: string;
  pollIntervalMs: number;
  /** Master calendars, in priority order, before the wallet (collaborative timestamping). */
  upstreams: readonly string[];
  upstreamTimeoutMs: number;
  upstreamPollMs: number;
  /** Whether donated transactions are taken (after the masters, before the wallet): external timestamping. */
  external: boolean;
  /** How long commitments wait for a donated transaction once their tip was first advertised. */
  externalWaitMs: number;
  /** Whether the calendar's own wallet pays (last in the list); false: only the upstreams and donors do. */
  wallet: boolean;
}

/** sat/vB as configured (fractions allowed) → integer sat/kvB. */
export function satPerVbToKvB(v: number): number {
  return Math.round(v * 1000);
}
