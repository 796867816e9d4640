/**
 * @module The wallet strategy: the calendar pays for its own transactions. It wires the shared chain watching (tx-tracker.ts), the timestamp cycle, the fee policy and its persisted state into one `poll()` that never throws (a failure becomes a condition, logged once, shown in the status, retried next poll).
 *
 * One poll, in order:
 *   1. follow the chain from the last processed block: note our transactions in new blocks, put the
 *      ones of blocks that left the chain back to unconfirmed, revoke anchors of such blocks;
 *   2. safety net: anchored blocks no longer on the chain are revoked too;
 *   3. transactions back in the mempool after a reorg: still there, mined again, or gone (re-queued);
 *   4. mined transactions at the confirmation depth: proof re-checked, anchor record appended;
 *   5. once caught up with the chain: reconcile the open cycle and replace it at a new block, or start
 *      a new cycle when the interval has passed and commitments are pending.
 * Intake never waits on any of this: the aggregator and the calendar do not call the stamper. Beside other
 * strategies it takes only the commitments handed to it (`StrategyContext.pending`).
 */
import { type BitcoinRpc, type Chain, RpcFailure, checkGenesis } from '../bitcoin/index.js';
import type { CommitRange } from '../journal/index.js';
import type { Log } from '../log/log.js';
import type { Registry } from '../metrics/registry.js';
import { type AnchorLedger, TipBuilder, countOf, pendingRanges } from './anchor-ledger.js';
import { CONDITION_TEXT, Conditions, conditionOf } from './conditions.js';
import { walletMetrics } from './metrics.js';
import { pendingReason } from './pending-status.js';
import type { StamperSettings } from './settings.js';
import { type BlockRef, type StamperState, StateStore, type TxVersion, txRefOf } from './stamper-state.js';
import { type AnchoringStatus, pendingView, stamperStatus } from './stamper-status.js';
import type { AnchorStrategy, StrategyContext } from './strategy.js';
import { TimestampCycle, type VersionContent } from './timestamp-cycle.js';
import { reportOutcome } from './cycle-report.js';
import { TxTracker } from './tx-tracker.js';
import { anyInMempool, findMined, rebroadcast } from './wallet-lookup.js';

/** After a cycle could not start (no funds, fee cap, refusal): try again at the next block or after this. */
const START_RETRY_MS = 60_000;

export interface WalletStamperOptions {
  rpc: BitcoinRpc;
  chain: Chain;
  ledger: AnchorLedger;
  /** The data directory's `state/`. */
  stateDir: string;
  settings: StamperSettings;
  log: Log;
  /** The node was already checked to be on `chain`; otherwise the first poll that reaches it checks. */
  chainVerified?: boolean;
  /** Unix ms; injectable for tests. */
  now?: () => number;
  /** U[0, 1) for the interval jitter; injectable for tests. */
  random?: () => number;
}

export class WalletStamper implements AnchorStrategy {
  readonly kind = 'wallet';
  readonly name = 'wallet';
  readonly #rpc: BitcoinRpc;
  readonly #chain: Chain;
  readonly #ledger: AnchorLedger;
  readonly #store: StateStore;
  readonly #s: StamperSettings;
  readonly #log: Log;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #tracker: TxTracker;
  readonly #cycle: TimestampCycle;
  readonly #tips: TipBuilder;
  /** When this wallet is the only strategy: every pending commitment is its to take. */
  readonly #alone: StrategyContext;
  readonly conditions: Conditions;
  // Owned by the poll (one at a time, see #polling); read by status() and pendingStatus().
  #state: StamperState;
  #chainVerified: boolean;
  #halted = false;
  #replaceTriedAt: string | undefined;
  #startFailed: { block: string; at: number } | undefined;
  #pendingCount = 0;
  #balance: { block: string; sats: number } | undefined;
  #rpcErrors = 0;
  /** A poll has gone through with the node since start. */
  #answered = false;
  #polling: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(o: WalletStamperOptions, store: StateStore, state: StamperState) {
    this.#rpc = o.rpc;
    this.#chain = o.chain;
    this.#ledger = o.ledger;
    this.#store = store;
    this.#state = state;
    this.#s = o.settings;
    this.#log = o.log;
    this.#now = o.now ?? Date.now;
    this.#random = o.random ?? Math.random;
    this.#chainVerified = o.chainVerified ?? false;
    this.conditions = new Conditions(o.log, this.#now);
    this.#tips = new TipBuilder(o.ledger);
    this.#tracker = new TxTracker({
      rpc: o.rpc,
      lookup: { anyInMempool: (v) => anyInMempool(o.rpc, v), findMined: (v) => findMined(o.rpc, v), rebroadcast: (txid) => rebroadcast(o.rpc, txid) },
      ledger: o.ledger,
      chain: o.chain,
      confirmations: o.settings.confirmations,
      state: () => this.#state,
      save: () => this.#save(),
      log: o.log,
      conditions: this.conditions,
      onBlock: (block, ids) => this.#onBlock(block, ids),
    });
    this.#cycle = new TimestampCycle({
      rpc: o.rpc,
      fees: o.settings.fees,
      feeTargetBlocks: o.settings.feeTargetBlocks,
      now: this.#now,
      persist: (cycle) => {
        const before = this.#state.cycle;
        this.#state.cycle = cycle;
        try {
          this.#save();
        } catch (err) {
          this.#state.cycle = before;
          throw err;
        }
      },
    });
    this.#alone = { pending: (limit, exclude = []) => pendingRanges(this.#ledger, limit, exclude), release: () => undefined };
    this.#refreshCount();
  }

  /** Loads the persisted state (throws StamperStateError if it is unusable); polls nothing yet. */
  static open(o: WalletStamperOptions): WalletStamper {
    const store = new StateStore(o.stateDir);
    return new WalletStamper(o, store, store.load(o.chain.name));
  }

  /** The state as last recorded in memory (saved before every act on it). */
  get state(): Readonly<StamperState> {
    return this.#state;
  }

  /**
   * One pass (module comment). Never rejects; concurrent calls share the pass in progress. Without a context
   * (the wallet alone, as in its own tests) every pending commitment is its to take.
   */
  poll(ctx: StrategyContext = this.#alone): Promise<void> {
    this.#polling ??= this.#pollSafely(ctx).finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  /** Polls every `intervalMs` on its own (measured from the end of one poll to the start of the next). */
  start(intervalMs: number): void {
    if (this.#timer !== undefined || this.#stopped) return;
    const loop = async (): Promise<void> => {
      await this.poll();
      if (!this.#stopped) this.#timer = setTimeout(() => void loop(), intervalMs);
    };
    this.#timer = setTimeout(() => void loop(), 0);
  }

  /** Stops polling; waits for the poll in progress at most `waitMs` (an RPC may hang up to its timeout). */
  async stop(waitMs = 5_000): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const current = this.#polling;
    if (current === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([current, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  /** The 404 reason for a pending commitment, from the state as it is now (a poll may be half way). */
  pendingStatus(commitNumber: number): string {
    const view = pendingView({ state: this.#state, chain: this.#chain, settings: this.#s, conditions: this.conditions });
    const wait = this.#state.cycle === null ? (this.#state.nextCycleAt - this.#now()) / 1000 : undefined;
    return pendingReason({ ...view, nextTxInSeconds: wait }, commitNumber);
  }

  pendingReason(commitNumber: number): string | undefined {
    return this.pendingStatus(commitNumber);
  }

  held(): CommitRange[] {
    return [...this.#tracker.held(), ...(this.#state.cycle?.versions.at(-1)?.ranges ?? [])];
  }

  /** Whether `txid` is one of this wallet's timestamp transactions (any version of its open cycle, waiting or anchored). */
  owns(txid: string): boolean {
    const s = this.#state;
    return (s.cycle?.versions.some((v) => v.txid === txid) ?? false) || s.waiting.some((w) => w.versions.some((v) => v.txid === txid)) || s.anchored.some((a) => a.txid === txid);
  }

  /** The merkle tip of the newest unconfirmed version (GET /tip). */
  tip(): Uint8Array | undefined {
    return this.#state.cycle?.versions.at(-1)?.tip;
  }

  lastAnchor(): { seq: number; height: number; blockTime: number | undefined } | undefined {
    return this.#tracker.lastAnchor();
  }

  problems(): string[] {
    const out = this.conditions.list().map((c) => CONDITION_TEXT[c.code]);
    return this.#answered || out.length > 0 ? out : ['the node has not answered yet'];
  }

  status(): AnchoringStatus {
    return stamperStatus({
      ...{ state: this.#state, chain: this.#chain, settings: this.#s, conditions: this.conditions },
      ...{ pendingCount: this.#pendingCount, balance: this.#balance?.sats, rpcErrors: this.#rpcErrors, now: this.#now() },
    });
  }

  registerMetrics(r: Registry): void {
    walletMetrics(r, () => this.status());
  }

  async #pollSafely(ctx: StrategyContext): Promise<void> {
    try {
      await this.#pollOnce(ctx);
      this.#answered = true;
      for (const c of ['node-unavailable', 'node-warmup', 'node-auth', 'node-error', 'wallet-not-loaded', 'wallet-load-failed', 'state-write', 'sign-failed', 'internal'] as const) this.conditions.clear(c);
    } catch (err) {
      await this.#noteFailure(err);
    }
    this.#refreshCount();
  }

  async #pollOnce(ctx: StrategyContext): Promise<void> {
    if (this.#halted) return;
    if (!this.#chainVerified) {
      await checkGenesis(this.#rpc, this.#chain);
      this.#chainVerified = true;
    }
    const caughtUp = await this.#tracker.follow();
    const tip = this.#state.lastBlock;
    if (tip === null) return;
    if (this.#balance?.block !== tip.hash) this.#balance = { block: tip.hash, sats: (await this.#rpc.getBalances()).trusted };
    await this.#tracker.watchAnchors(tip);
    await this.#tracker.checkBackInMempool();
    await this.#tracker.confirm(tip);
    if (caughtUp) await this.#advanceCycle(tip, ctx);
  }

  async #noteFailure(err: unknown): Promise<void> {
    if (err instanceof RpcFailure) this.#rpcErrors++;
    const { code, level, message } = conditionOf(err, this.#rpc.endpoint);
    this.conditions.raise(code, level, message, code === 'internal' || code === 'state-write' ? { err } : {});
    if (code === 'chain-mismatch') this.#halted = true;
    if (code === 'wallet-not-loaded' && this.#rpc.wallet !== undefined) {
      try {
        await this.#rpc.loadWallet(this.#rpc.wallet);
        this.conditions.clear('wallet-load-failed');
      } catch (loadErr) {
        // the node's own reason (a wallet that does not exist, a locked file): the operator must see it
        const reason = loadErr instanceof Error ? loadErr.message : String(loadErr);
        this.conditions.raise('wallet-load-failed', 'error', `the node cannot load wallet ${JSON.stringify(this.#rpc.wallet)}: ${reason}; check --rpc-wallet (createwallet makes a new one)`);
      }
    }
  }

  #save(): void {
    this.#store.save(this.#state);
  }

  /** A new block: if it holds a version of the open cycle, the cycle is closed and its transaction waits for depth (the tracker saves). */
  #onBlock(block: BlockRef, ids: ReadonlySet<string>): void {
    const cycle = this.#state.cycle;
    const mined = cycle?.versions.find((v) => ids.has(v.txid));
    if (cycle === null || mined === undefined) return;
    this.#state.waiting.push({ versions: cycle.versions.map(txRefOf), mined: { txid: mined.txid, block } });
    this.#state.cycle = null;
    this.#state.nextCycleAt = this.#now() + Math.round(this.#s.minTxIntervalMs * (1 + 0.5 * this.#random()));
    this.conditions.clear('fee-cap');
    this.conditions.clear('tx-rejected');
    this.#log('info', 'timestamp transaction mined', { txid: mined.txid, height: block.height, commitments: countOf(mined.ranges), fee: mined.fee, versions: cycle.versions.length });
  }

  // ---- 5. the cycle ----

  #content(block: BlockRef, ctx: StrategyContext): VersionContent | undefined {
    const ranges = ctx.pending(this.#s.maxCommitmentsPerTx, this.#tracker.held());
    return ranges.length === 0 ? undefined : { ranges, tip: this.#tips.tip(ranges), block };
  }

  async #advanceCycle(tip: BlockRef, ctx: StrategyContext): Promise<void> {
    const cycle = this.#state.cycle;
    if (cycle !== null) {
      const r = await this.#cycle.reconcile(cycle);
      if (r.kind === 'mined') return;
      if (r.kind === 'abandon') {
        this.#state.cycle = null;
        this.#save();
        this.#log('warn', 'timestamp transaction abandoned; its commitments go into a new one', { reason: r.reason });
        return;
      }
      if (r.kind === 'rebroadcast') this.#log('info', 'timestamp transaction broadcast again', { txid: cycle.versions.at(-1)?.txid });
      const latest = cycle.versions.at(-1) as TxVersion;
      // At most one attempt per block, a dropped version's included: a refusal is not retried every poll.
      const due = r.kind === 'bump' || latest.sentAtBlock !== tip.hash;
      if (!due || this.#replaceTriedAt === tip.hash) return;
      this.#replaceTriedAt = tip.hash;
      const content = this.#content(tip, ctx);
      if (content !== undefined) reportOutcome(await this.#cycle.replace(cycle, content), latest, this.conditions, this.#log);
      return;
    }
    if (this.#now() < this.#state.nextCycleAt) return;
    const failed = this.#startFailed;
    if (failed !== undefined && failed.block === tip.hash && this.#now() - failed.at < START_RETRY_MS) return;
    const content = this.#content(tip, ctx);
    if (content === undefined) return;
    const outcome = await this.#cycle.start(content);
    this.#startFailed = outcome.kind === 'sent' ? undefined : { block: tip.hash, at: this.#now() };
    reportOutcome(outcome, undefined, this.conditions, this.#log);
  }

  /** Pending commitments for the status; computed once per poll, not per status request. */
  #refreshCount(): void {
    this.#pendingCount = countOf(this.#ledger.index.anchors.uncovered(this.#ledger.index.commitCount, Number.MAX_SAFE_INTEGER));
  }
}
