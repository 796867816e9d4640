/**
 * @module The external strategy: anyone may pay. The calendar advertises the merkle tip of the commitments handed to it (`GET /tip`, and `GET /donate` with the rules), takes a donated transaction for that tip under strict checks (`POST /donate`), and follows it with the chain watching the wallet uses (tx-tracker.ts) until its anchor is written. No acceptable transaction within the wait: the commitments go to the next strategy (the calendar's own wallet, if any).
 *
 * A round's life:
 *   1. Commitments handed to this strategy start a round: their tip is saved in `state/`, then advertised. While
 *      more arrive, a newer tip covering all of them is advertised at most every `tipRefreshMs`; the round's
 *      recent tips all stay taken (bounded), each with the commitments it covers.
 *   2. A posted transaction is checked (donation-check.ts); taken, it is saved (with its bytes) before it is
 *      broadcast and answered 200. The round ends: the tip's commitments wait for the transaction, the others
 *      (newer than that tip) start the next round.
 *   3. A transaction that carries a tip of the round (or a recent one) and reaches a block without being posted is
 *      recognised when the block is processed, under the same standardness rules.
 *   4. The shared chain watching follows the transaction: mined, reorged, broadcast again from the bytes kept,
 *      at `confirmations` the proof re-checked against the header and the anchor record written; a reorg deeper
 *      than the depth revokes it and it is followed again.
 *   5. No transaction taken within `waitMs` of the round's first tip, or a taken one not in a block within
 *      `waitMs`: the commitments are handed to the next strategy. A late transaction is still followed, and
 *      anchors them if it is first (the first complete anchor wins).
 */
import {
  type BitcoinRpc,
  type Chain,
  RPC_CODE,
  RpcError,
  RpcFailure,
  RpcUnavailableError,
  type Tx,
  checkGenesis,
  internalToDisplayHex,
} from '../bitcoin/index.js';
import { type CommitRange, MAX_ANCHOR_RANGES } from '../journal/index.js';
import type { Log } from '../log/log.js';
import type { Counter, Registry } from '../metrics/registry.js';
import { bytesToHex } from '../ots/index.js';
import { type AnchorLedger, TipBuilder, countOf } from './anchor-ledger.js';
import { CONDITION_TEXT, Conditions, conditionOf } from './conditions.js';
import { depthOf } from './confirmations.js';
import { type CheckedDonation, checkDonation, satPerVb, type TipVerdict } from './donation-check.js';
import { DonationGate } from './donation-gate.js';
import { DONATION_PROTOCOL_VERSION, type DonationAnswer, type DonationOffer, donationRules } from './donation-protocol.js';
import { DonationPushbackError, DonationRefusedError } from './errors.js';
import { type AdvertisedTip, type Donation, type ExternalState, ExternalStore, type PastTip, type Round } from './external-state.js';
import { pastAfter, rangesOf, roundRanges, sameRanges, tipVerdict, withTip } from './external-round.js';
import { donationsInBlock } from './donations-in-block.js';
import { nodeLookup } from './node-lookup.js';
import { defaultReason, isClientSafeReason } from './pending-status.js';
import { contains, normalize, take } from './ranges.js';
import type { BlockRef, WaitingTx } from './stamper-state.js';
import type { StatusValue } from './stamper-status.js';
import type { AnchorStrategy, StrategyContext } from './strategy.js';
import { TxTracker } from './tx-tracker.js';

const DEFAULT_TIP_REFRESH_MS = 10_000;

export interface ExternalSettings {
  /** How long a round's commitments wait for a donated transaction, and a taken one for its block. */
  waitMs: number;
  confirmations: number;
  maxCommitmentsPerTx: number;
  /** sat/kvB the calendar would pay itself when its node has no estimate. */
  fallbackFeeRate: number;
  /** sat/kvB it never pays above. */
  maxFeeRate: number;
  feeTargetBlocks: number;
  /** Least time between two tips of a round (default 10 s). */
  tipRefreshMs?: number;
}

export interface ExternalStrategyOptions {
  rpc: BitcoinRpc;
  chain: Chain;
  ledger: AnchorLedger;
  stateDir: string;
  settings: ExternalSettings;
  log: Log;
  /**
   * The calendar's own wallet, next in the list: when it would start a transaction, and which transactions are
   * its own (they carry the same tips once it pays for commitments handed on: never taken for donated ones).
   * Absent: no wallet.
   */
  wallet?: { nextCycleAt(): number; owns(txid: string): boolean };
  /** The node was already checked to be on `chain`. */
  chainVerified?: boolean;
  gate?: DonationGate;
  /** Unix ms; injectable for tests. */
  now?: () => number;
}

/** What the node says about fees at the last block seen, sat/kvB. */
interface FeeFacts {
  block: string;
  /** The least it relays: its relay minimum or its mempool's minimum, whichever is higher. */
  floor: number;
  estimate: number | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class ExternalStrategy implements AnchorStrategy {
  readonly kind = 'external';
  readonly name = 'donated transactions';
  readonly #o: ExternalStrategyOptions;
  readonly #store: ExternalStore;
  readonly #tracker: TxTracker;
  readonly #tips: TipBuilder;
  readonly #gate: DonationGate;
  readonly #now: () => number;
  readonly #refreshMs: number;
  readonly conditions: Conditions;
  // Owned by the poll and by submit's synchronous steps; read by the status, the offer and the 404 reasons.
  #state: ExternalState;
  #facts: FeeFacts | undefined;
  #chainVerified: boolean;
  #halted = false;
  #answered = false;
  #stats = { taken: 0, refused: 0, anchors: 0, feesNotPaid: 0, lastRefusal: null as string | null, lastTxid: null as string | null };
  #metrics: { taken: Counter<'source'>; refused: Counter<'code'>; notPaid: Counter; handedOn: Counter<'why'> } | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;

  private constructor(o: ExternalStrategyOptions, store: ExternalStore, state: ExternalState) {
    this.#o = o;
    this.#store = store;
    this.#state = state;
    this.#now = o.now ?? Date.now;
    this.#refreshMs = o.settings.tipRefreshMs ?? DEFAULT_TIP_REFRESH_MS;
    this.#gate = o.gate ?? new DonationGate();
    this.#chainVerified = o.chainVerified ?? false;
    this.conditions = new Conditions(o.log, this.#now);
    this.#tips = new TipBuilder(o.ledger);
    this.#tracker = new TxTracker({
      rpc: o.rpc,
      lookup: nodeLookup(o.rpc, (txid) => this.#donation(txid)?.raw),
      ledger: o.ledger,
      chain: o.chain,
      confirmations: o.settings.confirmations,
      state: () => this.#state,
      save: () => this.#save(),
      log: o.log,
      conditions: this.conditions,
      onBlock: (block, ids) => this.#onBlock(block, ids),
      noteOf: (v) => ({ feeNotPaidSats: this.#donation(v.txid)?.fee ?? null }),
      onAnchored: (a) => {
        const fee = this.#donation(a.txid)?.fee ?? 0;
        this.#stats.anchors++;
        this.#stats.feesNotPaid += fee;
        this.#metrics?.notPaid.inc(fee);
      },
    });
  }

  /** Loads the persisted state (throws StamperStateError if it is unusable); polls nothing yet. */
  static open(o: ExternalStrategyOptions): ExternalStrategy {
    const store = new ExternalStore(o.stateDir);
    return new ExternalStrategy(o, store, store.load(o.chain.name));
  }

  get state(): Readonly<ExternalState> {
    return this.#state;
  }

  poll(ctx: StrategyContext): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#polling ??= this.#pollSafely(ctx).finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  async stop(waitMs = 5_000): Promise<void> {
    this.#stopped = true;
    const current = this.#polling;
    if (current === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([current, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  held(): CommitRange[] {
    const round = this.#state.round === null ? [] : roundRanges(this.#state.round);
    return normalize([...round, ...this.#heldWaiting().flatMap((w) => rangesOf(w))]);
  }

  /** The newest tip of the round: what `GET /tip` serves. */
  tip(): Uint8Array | undefined {
    return this.#state.round?.tips.at(-1)?.tip;
  }

  pendingReason(n: number): string | undefined {
    const base = defaultReason(this.#o.chain.attestation === 'litecoin' ? 'Litecoin' : 'Bitcoin');
    let reason: string | undefined;
    for (const w of this.#heldWaiting()) {
      if (!contains(rangesOf(w), n)) continue;
      const txid = (w.mined?.txid ?? w.versions[0]?.txid) as string;
      const tipHeight = this.#state.lastBlock?.height ?? 0;
      reason = w.mined === null ? `${base}; in donated transaction ${txid}` : `Timestamped by donated transaction ${txid}; ${depthOf(w.mined.block.height, tipHeight)} of ${this.#o.settings.confirmations} confirmations`;
    }
    const round = this.#state.round;
    if (reason === undefined && round !== null && contains(roundRanges(round), n)) {
      reason = `${base}; waiting for a donated transaction, tip advertised ${Math.max(0, Math.round((this.#now() - round.startedAt) / 60_000))} min ago`;
    }
    if (reason === undefined) return undefined;
    return isClientSafeReason(reason) ? reason : base;
  }

  lastAnchor(): { seq: number; height: number; blockTime: number | undefined } | undefined {
    return this.#tracker.lastAnchor();
  }

  problems(): string[] {
    const out = this.conditions.list().map((c) => CONDITION_TEXT[c.code]);
    return this.#answered || out.length > 0 ? out : ['the node has not answered yet'];
  }

  status(): Record<string, StatusValue> {
    const round = this.#state.round;
    const newest = round?.tips.at(-1);
    const selfPay = this.#selfPayAt();
    const problems = this.problems();
    const rate = this.#selfFeeRate();
    return {
      anchoring: 'external',
      nodeReachable: this.#answered && !this.conditions.has('node-unavailable'),
      blockHeight: this.#state.lastBlock?.height ?? null,
      offeredTip: newest === undefined ? null : bytesToHex(newest.tip),
      offeredCommitments: newest === undefined ? 0 : countOf(newest.ranges),
      offeredSinceAt: round === null ? null : iso(round.startedAt),
      selfPayAt: selfPay === null ? null : iso(selfPay),
      selfFeeRateSatVb: rate === null ? null : satPerVb(rate),
      donatedTxsWaiting: this.#heldWaiting().length,
      donationsTaken: this.#stats.taken,
      donationsRefused: this.#stats.refused,
      lastRefusal: this.#stats.lastRefusal,
      lastDonationTxid: this.#stats.lastTxid,
      anchorsFromDonations: this.#stats.anchors,
      feesNotPaidSats: this.#stats.feesNotPaid,
      problemsText: problems.length === 0 ? null : problems.join('; '),
    };
  }

  registerMetrics(r: Registry): void {
    this.#metrics = {
      taken: r.counter('ots_external_donations_total', 'Donated transactions taken, by how they came (posted, or seen in a block)', { labels: ['source'] }),
      refused: r.counter('ots_external_refusals_total', 'Donated transactions refused, by the rule they broke', { labels: ['code'] }),
      notPaid: r.counter('ots_external_fees_not_paid_sats_total', 'Satoshis donors paid for the anchors of this calendar'),
      handedOn: r.counter('ots_external_handed_on_total', 'Commitments handed to the next strategy, by why (no transaction in time, a taken one not mined in time)', { labels: ['why'] }),
    };
    const offered = r.gauge('ots_external_offered_commitments', 'Commitments whose tip is advertised for a donated transaction');
    const waiting = r.gauge('ots_external_txs_waiting', 'Donated transactions taken and not anchored yet');
    r.beforeRender(() => {
      offered.set(countOf(this.#state.round?.tips.at(-1)?.ranges ?? []));
      waiting.set(this.#heldWaiting().length);
    });
  }

  // ---- the offer (GET /donate) ----

  /** What this calendar wants a transaction for, and the rules (donation-protocol.ts). */
  offer(): DonationOffer {
    const round = this.#state.round;
    const newest = round?.tips.at(-1);
    const selfPay = this.#selfPayAt();
    const rate = this.#selfFeeRate();
    const tipHeight = this.#state.lastBlock?.height ?? 0;
    return {
      version: DONATION_PROTOCOL_VERSION,
      chain: this.#o.chain.name,
      tip: newest === undefined ? null : bytesToHex(newest.tip),
      commitments: newest === undefined ? 0 : countOf(newest.ranges),
      since: round === null ? null : iso(round.startedAt),
      tipAt: newest === undefined ? null : iso(newest.at),
      selfPayAt: selfPay === null ? null : iso(selfPay),
      feeRateSatPerVb: rate === null ? null : satPerVb(rate),
      minFeeRateSatPerVb: this.#facts === undefined ? null : satPerVb(this.#facts.floor),
      covered: this.#heldWaiting().map((w) => {
        const v = w.versions[0] as WaitingTx['versions'][number];
        return { tip: bytesToHex(v.tip), txid: v.txid, confirmations: w.mined === null ? 0 : depthOf(w.mined.block.height, tipHeight) };
      }),
      rules: donationRules(),
    };
  }

  /** When the wallet would start paying for the round's commitments: the round's end, or its own next cycle if later. */
  #selfPayAt(): number | null {
    const round = this.#state.round;
    if (round === null || this.#o.wallet === undefined) return null;
    return Math.max(round.startedAt + this.#o.settings.waitMs, this.#o.wallet.nextCycleAt());
  }

  /** What the wallet's first version would pay now, sat/kvB (fee-policy.ts's rule); null before the node answered. */
  #selfFeeRate(): number | null {
    const f = this.#facts;
    if (f === undefined) return null;
    return Math.min(Math.max(f.estimate ?? this.#o.settings.fallbackFeeRate, f.floor), this.#o.settings.maxFeeRate);
  }

  // ---- a posted transaction (POST /donate) ----

  /**
   * Checks `raw` and takes it, or rejects with {@link DonationRefusedError} (nothing changed) or
   * {@link DonationPushbackError} (not looked at). Taken means saved, then given to the node.
   */
  async submit(raw: Uint8Array): Promise<Extract<DonationAnswer, { accepted: true }>> {
    if (this.#stopped) throw new DonationPushbackError('unavailable', 5, 'this calendar is stopping; post it again shortly');
    if (this.#halted) throw new DonationPushbackError('unavailable', 60, "this calendar's node is on another chain; anchoring is stopped");
    this.#gate.enter();
    try {
      const checked = await checkDonation(raw, { rpc: this.#o.rpc, tip: (tip, txid) => this.#tipVerdict(tip, txid), minFeeRate: () => this.#floor() });
      // the state may have moved while the node answered: the tip is asked about again, now
      const again = this.#tipVerdict(checked.tip, checked.txid);
      if (!again.wanted) throw again.refusal;
      const undo = this.#take({ ...checked, ranges: again.ranges, raw, source: 'posted', mined: null });
      await this.#broadcast(checked, raw, undo);
      this.#stats.taken++;
      this.#stats.lastTxid = checked.txid;
      this.#metrics?.taken.inc({ source: 'posted' });
      this.#o.log('info', 'donated transaction taken', { txid: checked.txid, tip: bytesToHex(checked.tip), commitments: countOf(again.ranges), fee: checked.fee, vsize: checked.vsize });
      return { accepted: true, txid: checked.txid, tip: bytesToHex(checked.tip), commitments: countOf(again.ranges) };
    } catch (err) {
      if (err instanceof DonationRefusedError) {
        this.#stats.refused++;
        this.#stats.lastRefusal = `${err.refusal}: ${err.reason}`;
        this.#metrics?.refused.inc({ code: err.refusal });
        this.#o.log('info', 'donated transaction refused', { code: err.refusal, reason: err.reason });
        throw err;
      }
      if (err instanceof RpcFailure) throw new DonationPushbackError('unavailable', 10, "this calendar's node does not answer; post it again later");
      throw err;
    } finally {
      this.#gate.leave();
    }
  }

  /** Whether `tip` is wanted for transaction `txid`, with the exact commitments it covers (external-round.ts). */
  #tipVerdict(tip: Uint8Array, txid: string): TipVerdict {
    return tipVerdict(this.#state, tip, txid, { held: this.#heldWaiting(), allAnchored: (r) => this.#allAnchored(r) });
  }

  async #floor(): Promise<number> {
    if (this.#facts !== undefined) return this.#facts.floor;
    const [net, pool] = await Promise.all([this.#o.rpc.getNetworkInfo(), this.#o.rpc.getMempoolInfo()]);
    return Math.max(net.relayFee, pool.minFee);
  }

  /**
   * Takes a transaction (synchronously: nothing else runs between the decision and the record): it waits for its
   * depth, holding its tip's commitments when `held`; the round ends. Saved before returning (throws a pushback if it
   * cannot be, changing nothing). Returns what undoes it.
   */
  #take(t: { txid: string; tip: Uint8Array; ranges: CommitRange[]; raw: Uint8Array; fee: number | null; vsize: number; source: Donation['source']; mined: WaitingTx['mined']; held?: boolean }): () => void {
    const s = this.#state;
    const now = this.#now();
    const held = t.held ?? true;
    const donation: Donation = { txid: t.txid, tip: t.tip, raw: t.raw, fee: t.fee, vsize: t.vsize, source: t.source, takenAt: now, unminedSince: t.mined === null ? now : null, releasedAt: held ? null : now };
    const waiting: WaitingTx = { versions: [{ txid: t.txid, tip: t.tip, ranges: t.ranges }], mined: t.mined };
    const round = s.round;
    const before = { donations: s.donations, waiting: s.waiting, past: s.past, round };
    s.donations = [...s.donations, donation];
    s.waiting = [...s.waiting, waiting];
    if (held && round !== null) {
      s.past = pastAfter(s.past, round, 'covered', now);
      s.round = null;
    }
    try {
      this.#save();
    } catch {
      Object.assign(s, before);
      throw new DonationPushbackError('unavailable', 30, 'this calendar cannot record it now (its state cannot be written); post it again later');
    }
    // pastAfter put the round's tips first
    const covered = new Set(held && round !== null ? s.past.slice(0, round.tips.length) : []);
    return () => {
      s.donations = s.donations.filter((d) => d !== donation);
      s.waiting = s.waiting.filter((w) => w !== waiting);
      s.past = s.past.filter((p) => !covered.has(p));
      if (s.round === null && round !== null) s.round = round;
      this.#save();
    };
  }

  /** Gives a taken transaction to the node; a refusal now undoes the taking, a lost answer leaves it to the chain watching. */
  async #broadcast(c: CheckedDonation, raw: Uint8Array, undo: () => void): Promise<void> {
    try {
      await this.#o.rpc.sendRawTransaction(raw);
    } catch (err) {
      if (err instanceof RpcUnavailableError) {
        this.#o.log('warn', 'donated transaction recorded, its broadcast unanswered: the next poll broadcasts it again if the node lacks it', { txid: c.txid });
        return;
      }
      if (err instanceof RpcError && err.rpcCode !== RPC_CODE.VERIFY_ALREADY_IN_CHAIN) {
        undo();
        throw new DonationRefusedError('node-refused', `the node refused it when it was broadcast: ${err.rpcMessage}`);
      }
      if (!(err instanceof RpcError)) throw err;
    }
  }

  // ---- the poll ----

  async #pollSafely(ctx: StrategyContext): Promise<void> {
    try {
      await this.#pollOnce(ctx);
      this.#answered = true;
      for (const c of ['node-unavailable', 'node-warmup', 'node-auth', 'node-error', 'state-write', 'internal'] as const) this.conditions.clear(c);
    } catch (err) {
      const { code, level, message } = conditionOf(err, this.#o.rpc.endpoint);
      this.conditions.raise(code, level, message, code === 'internal' || code === 'state-write' ? { err } : {});
      if (code === 'chain-mismatch') this.#halted = true;
    }
  }

  async #pollOnce(ctx: StrategyContext): Promise<void> {
    if (this.#halted) return;
    if (!this.#chainVerified) {
      await checkGenesis(this.#o.rpc, this.#o.chain);
      this.#chainVerified = true;
    }
    const caughtUp = await this.#tracker.follow();
    const tip = this.#state.lastBlock;
    if (tip === null) return;
    await this.#refreshFacts(tip);
    await this.#tracker.watchAnchors(tip);
    await this.#tracker.checkBackInMempool();
    await this.#tracker.confirm(tip);
    this.#reconcile(ctx);
    if (caughtUp && !this.#stopped) this.#advanceRound(ctx);
  }

  async #refreshFacts(tip: BlockRef): Promise<void> {
    if (this.#facts?.block === tip.hash) return;
    const [net, pool, est] = await Promise.all([this.#o.rpc.getNetworkInfo(), this.#o.rpc.getMempoolInfo(), this.#o.rpc.estimateSmartFee(this.#o.settings.feeTargetBlocks, 'ECONOMICAL')]);
    this.#facts = { block: tip.hash, floor: Math.max(net.relayFee, pool.minFee), estimate: est.satPerKvB };
  }

  /**
   * Donated transactions against the chain watching's view: how long each has been out of a block, the
   * commitments of one not mined within the wait handed on, and the bytes of those no longer followed forgotten.
   */
  #reconcile(ctx: StrategyContext): void {
    const s = this.#state;
    const now = this.#now();
    let changed = false;
    const handOn: Array<{ ranges: CommitRange[]; txid: string }> = [];
    for (const w of s.waiting) {
      const d = w.versions.map((v) => this.#donation(v.txid)).find((x) => x !== undefined);
      if (d === undefined) continue;
      const unminedSince = w.mined === null ? (d.unminedSince ?? now) : null;
      if (unminedSince !== d.unminedSince) {
        d.unminedSince = unminedSince;
        changed = true;
      }
      if (d.releasedAt === null && unminedSince !== null && now - unminedSince >= this.#o.settings.waitMs) {
        d.releasedAt = now;
        changed = true;
        handOn.push({ ranges: rangesOf(w), txid: d.txid });
      }
    }
    const followed = new Set([...s.waiting.flatMap((w) => w.versions.map((v) => v.txid)), ...s.anchored.map((a) => a.txid)]);
    if (s.donations.some((d) => !followed.has(d.txid))) {
      s.donations = s.donations.filter((d) => followed.has(d.txid));
      changed = true;
    }
    if (!changed) return;
    this.#save();
    for (const h of handOn) {
      ctx.release(h.ranges, `donated transaction ${h.txid} not in a block within ${Math.round(this.#o.settings.waitMs / 1000)} s`);
      this.#metrics?.handedOn.inc({ why: 'not-mined' }, countOf(h.ranges));
      this.conditions.raise('donation-stalled', 'warn', `donated transaction ${h.txid} is not in a block after ${Math.round(this.#o.settings.waitMs / 1000)} s; its commitments go to the next strategy, and it is still followed`);
    }
  }

  /** Steps 1 and 5: the round ends at its wait, or takes the commitments handed over since (a newer tip). */
  #advanceRound(ctx: StrategyContext): void {
    const s = this.#state;
    const now = this.#now();
    const round = s.round;
    const max = this.#o.settings.maxCommitmentsPerTx;
    if (round !== null && now - round.startedAt >= this.#o.settings.waitMs) {
      this.#endRound(round, 'expired');
      const ranges = roundRanges(round);
      ctx.release(ranges, `no donated transaction within ${Math.round(this.#o.settings.waitMs / 1000)} s of its tip`);
      this.#metrics?.handedOn.inc({ why: 'no-transaction' }, countOf(ranges));
      this.#o.log('info', 'tip no longer advertised: no donated transaction in time; its commitments go to the next strategy', { tip: bytesToHex(round.tips.at(-1)?.tip ?? new Uint8Array(0)), commitments: countOf(ranges) });
      return;
    }
    const newest = round?.tips.at(-1);
    if (newest !== undefined && now - newest.at < this.#refreshMs) return;
    const inRound = round === null ? [] : this.#unanchored(roundRanges(round));
    const room = max - countOf(inRound);
    const more = room > 0 ? ctx.pending(room, this.held()) : [];
    const ranges = take(normalize([...inRound, ...more]), max, MAX_ANCHOR_RANGES);
    if (ranges.length === 0) {
      if (round !== null) this.#endRound(round, 'expired'); // every commitment anchored by someone else
      return;
    }
    if (newest !== undefined && sameRanges(ranges, newest.ranges)) return;
    const entry: AdvertisedTip = { tip: this.#tips.tip(ranges), ranges, at: now };
    const before = { round: s.round, past: s.past };
    Object.assign(s, withTip(s, entry, now));
    try {
      this.#save(); // before it is advertised
    } catch (err) {
      Object.assign(s, before);
      throw err;
    }
    this.#o.log('info', round === null ? 'tip advertised for a donated transaction' : 'newer tip advertised for a donated transaction', { tip: bytesToHex(entry.tip), commitments: countOf(ranges) });
  }

  #endRound(round: Round, why: PastTip['why']): void {
    const s = this.#state;
    const now = this.#now();
    const before = { round: s.round, past: s.past };
    s.past = pastAfter(s.past, round, why, now);
    s.round = null;
    try {
      this.#save();
    } catch (err) {
      Object.assign(s, before);
      throw err;
    }
  }

  /** Step 3: a transaction carrying a tip of the round or a recent one, mined without being posted (the tracker saves after the block). */
  async #onBlock(block: BlockRef, ids: ReadonlySet<string>): Promise<void> {
    const s = this.#state;
    const tips = [...(s.round?.tips ?? []).map((t) => ({ ...t, live: true })), ...s.past.map((t) => ({ ...t, live: false }))];
    if (tips.length === 0) return;
    for (const found of donationsInBlock(await this.#o.rpc.getBlockRaw(block.hash), tips)) {
      const { txid: id, verdict: v, hit } = found;
      if (!ids.has(id) || this.#donation(id) !== undefined || this.#o.wallet?.owns(id) === true) continue;
      if (!v.ok) {
        this.#metrics?.refused.inc({ code: v.code });
        this.conditions.raise('donation-in-block-refused', 'warn', `transaction ${id} in block ${block.height} carries an advertised tip but breaks the rules (${v.code}: ${v.reason}); it is not used`);
        continue;
      }
      const verdict = hit.live ? this.#tipVerdict(v.tip, id) : undefined;
      const held = verdict?.wanted === true;
      this.#take({ txid: id, tip: v.tip, ranges: held ? verdict.ranges : hit.ranges, raw: found.raw, fee: await this.#feeOf(found.tx, v.outputsValue), vsize: v.vsize, source: 'block', mined: { txid: id, block }, held });
      this.#stats.taken++;
      this.#stats.lastTxid = id;
      this.#metrics?.taken.inc({ source: 'block' });
      this.#o.log('info', 'donated transaction found in a block without being posted', { txid: id, height: block.height, tip: bytesToHex(v.tip), held });
    }
  }

  /** A mined transaction's fee, when the node still has the transaction it spends (-txindex); null otherwise. */
  async #feeOf(tx: Tx, outputsValue: number): Promise<number | null> {
    const input = tx.inputs[0];
    if (input === undefined) return null;
    try {
      const prev = await this.#o.rpc.getRawTransaction(internalToDisplayHex(input.prevTxid));
      const spent = prev.tx.outputs[input.vout];
      return spent === undefined ? null : Math.max(0, spent.value - outputsValue);
    } catch {
      return null; // only for the status: the anchor does not need it
    }
  }

  // ---- what it holds ----

  #save(): void {
    this.#store.save(this.#state);
  }

  #donation(txid: string): Donation | undefined {
    return this.#state.donations.find((d) => d.txid === txid);
  }

  /** Waiting transactions whose commitments this strategy holds (not handed on). */
  #heldWaiting(): WaitingTx[] {
    return this.#state.waiting.filter((w) => w.versions.some((v) => this.#donation(v.txid)?.releasedAt === null));
  }

  #unanchored(ranges: readonly CommitRange[]): CommitRange[] {
    const anchors = this.#o.ledger.index.anchors;
    return normalize(ranges.flatMap((r) => anchors.uncovered(r.end, Number.MAX_SAFE_INTEGER, [{ start: 0, end: r.start }])));
  }

  #allAnchored(ranges: readonly CommitRange[]): boolean {
    return this.#unanchored(ranges).length === 0;
  }
}
