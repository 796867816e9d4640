/** @module What the stamper shows: the flat status record (status page, /status JSON) and the pending view the 404 reasons are drawn from, both derived from the state and the active conditions. */
import type { Chain } from '../bitcoin/index.js';
import { bytesToHex } from '../ots/index.js';
import { countOf } from './anchor-ledger.js';
import { CONDITION_TEXT, type Conditions } from './conditions.js';
import { depthOf } from './confirmations.js';
import type { PendingView } from './pending-status.js';
import type { StamperSettings } from './settings.js';
import type { StamperState, TxRef } from './stamper-state.js';

/**
 * Flat, JSON-ready, and public: it is shown on the welcome page and in `/status`, so it never carries the
 * node's address, the wallet's name, a credential or an error's detail (those are logged). Key endings follow
 * the status page's conventions: `…Txid` and `…BlockHash` get explorer links, `…At` is a time,
 * `…Sats` / `…SatPerVb` carry units.
 */
export type AnchoringStatus = Record<string, StatusValue>;

/** One value of a flat public record. */
export type StatusValue = string | number | boolean | null;

export interface StatusInputs {
  state: Readonly<StamperState>;
  chain: Chain;
  settings: StamperSettings;
  conditions: Conditions;
  pendingCount: number;
  /** Confirmed spendable wallet balance at the last block, sats; undefined before the first look. */
  balance: number | undefined;
  /** Polls that failed on a node call since start. */
  rpcErrors: number;
  /** Unix ms. */
  now: number;
}

export function stamperStatus(i: StatusInputs): AnchoringStatus {
  const s = i.state;
  const latest = s.cycle?.versions.at(-1);
  const lastAnchor = s.anchored.at(-1);
  const problems = i.conditions.list();
  return {
    anchoring: 'wallet',
    chain: i.chain.name,
    nodeReachable: s.lastBlock !== null && !i.conditions.has('node-unavailable'),
    blockHeight: s.lastBlock?.height ?? null,
    lastBlockHash: s.lastBlock?.hash ?? null,
    pendingCommitments: i.pendingCount,
    unconfirmedTxid: latest?.txid ?? null,
    unconfirmedVersions: s.cycle?.versions.length ?? 0,
    unconfirmedFee: latest?.fee ?? null,
    unconfirmedSatPerVb: latest === undefined ? null : Math.round((latest.fee / latest.vsize) * 100) / 100,
    unconfirmedCommitments: latest === undefined ? null : countOf(latest.ranges),
    tip: latest === undefined ? null : bytesToHex(latest.tip),
    txsWaitingForConfirmation: s.waiting.filter((w) => w.mined !== null).length,
    txsBackInMempool: s.waiting.filter((w) => w.mined === null).length,
    confirmations: i.settings.confirmations,
    anchorsWatched: s.anchored.length,
    lastAnchorTxid: lastAnchor?.txid ?? null,
    lastAnchorHeight: lastAnchor?.block.height ?? null,
    nextTxAt: s.cycle === null && s.nextCycleAt > i.now ? new Date(s.nextCycleAt).toISOString() : null,
    walletBalanceSats: i.balance ?? null,
    walletEmpty: i.conditions.has('wallet-empty'),
    feeCapReached: i.conditions.has('fee-cap'),
    problems: problems.length === 0 ? null : problems.map((p) => p.code).join(','),
    problemsText: problems.length === 0 ? null : problems.map((p) => CONDITION_TEXT[p.code]).join('; '),
    rpcErrors: i.rpcErrors,
  };
}

/** Where every pending commitment stands, for {@link pendingReason}. */
export function pendingView(i: Pick<StatusInputs, 'state' | 'chain' | 'settings' | 'conditions'>): PendingView {
  const s = i.state;
  const c = i.conditions;
  const latest = s.cycle?.versions.at(-1);
  const tipHeight = s.lastBlock?.height ?? 0;
  let paused: PendingView['paused'];
  if (c.has('node-unavailable')) paused = 'node-unavailable';
  else if (c.has('wallet-empty')) paused = 'wallet-empty';
  else if (c.has('fee-cap') && latest === undefined) paused = 'fee-cap';
  return {
    chainWord: i.chain.attestation === 'litecoin' ? 'Litecoin' : 'Bitcoin',
    confirmations: i.settings.confirmations,
    unconfirmed: latest === undefined ? undefined : { txid: latest.txid, ranges: latest.ranges, feeCapped: c.has('fee-cap'), full: countOf(latest.ranges) >= i.settings.maxCommitmentsPerTx },
    waiting: s.waiting.map((w) => {
      const v = (w.mined === null ? w.versions[0] : w.versions.find((x) => x.txid === w.mined?.txid)) as TxRef;
      return { txid: v.txid, ranges: v.ranges, depth: w.mined === null ? null : depthOf(w.mined.block.height, tipHeight) };
    }),
    paused,
    nextTxInSeconds: undefined,
  };
}
