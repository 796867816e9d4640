/** @module The anchoring settings: defaults, and the conversion of resolved configuration values (sat/vB, seconds) into the units the stamper computes in, with the checks that span several options. */
import { type Chain, defaultRpcUrl, getChain } from '../bitcoin/index.js';
import type { Config } from '../cli/config.js';
import { AnchorConfigError } from './errors.js';
import type { FeeSettings } from './fee-policy.js';

/** Defaults of the options in src/cli/anchor-options.ts; fee rates in sat/vB as the operator writes them. */
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
}

/** sat/vB as configured (fractions allowed) → integer sat/kvB. */
export function satPerVbToKvB(v: number): number {
  return Math.round(v * 1000);
}

function num(config: Config, key: string, fallback: number): number {
  const v = config[key];
  return v === undefined ? fallback : Number(v);
}

function str(config: Config, key: string): string | undefined {
  const v = config[key];
  return v === undefined || v === '' ? undefined : String(v);
}

/**
 * The settings, or undefined when no chain is configured (anchoring off: the calendar only
 * aggregates). Throws {@link AnchorConfigError} listing every cross-option problem.
 */
export function anchorSettings(config: Config): AnchorSettings | undefined {
  const chainName = str(config, 'chain');
  if (chainName === undefined) return undefined;
  const problems = checkAnchorConfig(config);
  if (problems.length > 0) throw new AnchorConfigError(problems);
  const chain = getChain(chainName);
  const rpcCookie = str(config, 'rpc-cookie');
  const rpcWallet = str(config, 'rpc-wallet');
  return {
    chain,
    rpcUrl: str(config, 'rpc-url') ?? defaultRpcUrl(chain),
    ...(rpcCookie === undefined ? {} : { rpcCookie }),
    ...(rpcWallet === undefined ? {} : { rpcWallet }),
    confirmations: num(config, 'confirmations', ANCHOR_DEFAULTS.confirmations),
    minTxIntervalMs: num(config, 'min-tx-interval', ANCHOR_DEFAULTS.minTxIntervalSeconds) * 1000,
    feeTargetBlocks: num(config, 'fee-target-blocks', ANCHOR_DEFAULTS.feeTargetBlocks),
    maxCommitmentsPerTx: num(config, 'max-commitments-per-tx', ANCHOR_DEFAULTS.maxCommitmentsPerTx),
    pollIntervalMs: num(config, 'poll-interval-ms', ANCHOR_DEFAULTS.pollIntervalMs),
    fees: {
      fallbackRate: satPerVbToKvB(num(config, 'fee-rate', ANCHOR_DEFAULTS.feeRate)),
      increment: satPerVbToKvB(num(config, 'fee-increment', ANCHOR_DEFAULTS.feeIncrement)),
      maxRate: satPerVbToKvB(num(config, 'max-fee-rate', ANCHOR_DEFAULTS.maxFeeRate)),
      maxFee: num(config, 'max-fee', ANCHOR_DEFAULTS.maxFee),
      rejectionFactor: REJECTION_FACTOR,
    },
  };
}

/** Problems that involve several options (each option's own range is checked by its spec). */
export function checkAnchorConfig(config: Config): string[] {
  const problems: string[] = [];
  const chainName = str(config, 'chain');
  if (chainName === undefined) return problems;
  try {
    getChain(chainName);
  } catch (err) {
    problems.push(`"chain" ${(err as Error).message}`);
  }
  const feeRate = num(config, 'fee-rate', ANCHOR_DEFAULTS.feeRate);
  const maxFeeRate = num(config, 'max-fee-rate', ANCHOR_DEFAULTS.maxFeeRate);
  if (maxFeeRate < feeRate) problems.push(`"max-fee-rate" (${maxFeeRate} sat/vB) is below "fee-rate" (${feeRate} sat/vB)`);
  if (str(config, 'rpc-url') !== undefined && str(config, 'rpc-cookie') !== undefined && /^[a-z]+:\/\/[^/@]+@/i.test(String(config['rpc-url']))) {
    problems.push('"rpc-url" carries credentials and "rpc-cookie" is set too; use one of them');
  }
  return problems;
}
