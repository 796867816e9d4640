/**
 * @module The wallet stamper: wires chain following, confirmations, the timestamp cycle, the fee policy and the persisted state into one `poll()` that never throws (a failure becomes a condition, logged once, shown in the status, retried next poll).
 *
 * One poll, in order:
 *   1. follow the chain from the last processed block: note our transactions in new blocks, put the
 *      ones of blocks that left the chain back to unconfirmed, revoke anchors of such blocks;
 *   2. safety net: anchored blocks no longer on the chain are revoked too;
 *   3. transactions back in the mempool after a reorg: still there, mined again, or gone (re-queued);
 *   4. mined transactions at the confirmation depth: proof re-checked, anchor record appended;
 *   5. once caught up with the chain: reconcile the open cycle and replace it at a new block, or start
 *      a new cycle when the interval has passed and commitments are pending.
 * Intake never waits on any of this: the aggregator and the calendar do not call the stamper.
 */
import { type BitcoinRpc, type Chain, RpcFailure, checkGenesis } from '../bitcoin/index.js';
import type { CommitRange } from '../journal/index.js';
import type { Log } from '../log/log.js';
import { type AnchorLedger, TipBuilder, countOf, pendingRanges } from './anchor-ledger.js';
import { ChainFollower } from './chain-follower.js';
import { Conditions, conditionOf } from './conditions.js';
import { checkAnchoredBlocks, depthOf, proofForMinedTx } from './confirmations.js';
import { StateWriteError } from './errors.js';
import { pendingReason } from './pending-status.js';
import type { StamperSettings } from './settings.js';
import { type AnchoredTx, type BlockRef, type StamperState, StateStore, type TxRef, type TxVersion, type WaitingTx, txRefOf } from './stamper-state.js';
import { type AnchoringStatus, pendingView, stamperStatus } from './stamper-status.js';
import { TimestampCycle, type VersionContent } from './timestamp-cycle.js';
import { reportOutcome } from './cycle-report.js';
import { anyInMempool, findMined, rebroadcast } from './wallet-lookup.js';

/** Blocks visited per poll at most, so a long catch-up still lets stop() in between polls. */
const MAX_BLOCKS_PER_POLL = 200;
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

export class WalletStamper {
  readonly #rpc: BitcoinRpc;
  readonly #chain: Chain;
  readonly #ledger: AnchorLedger;
  readonly #store: StateStore;
  readonly #s: StamperSettings;
  readonly #log: Log;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #follower: ChainFollower;
  readonly #cycle: TimestampCycle;
  readonly #tips: TipBuilder;
  readonly conditions: Conditions;
  // Owned by the poll (one at a time, see #polling); read by status() and pendingStatus().
  #state: StamperState;
  #chainVerified: boolean;
  #halted = false;
  #anchorsCheckedAt: string | undefined;
  #replaceTriedAt: string | undefined;
  #startFailed: { block: string; at: number } | undefined;
  #pendingCount = 0;
  #balance: { block: string; sats: number } | undefined;
  #rpcErrors = 0;
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
    this.#follower = new ChainFollower(o.rpc);
    this.#tips = new TipBuilder(o.ledger);
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

  /** One pass (module comment). Never rejects; concurrent calls share the pass in progress. */
  poll(): Promise<void> {
    this.#polling ??= this.#pollSafely().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  /** Polls every `intervalMs` (measured from the end of one poll to the start of the next). */
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

  /** The merkle tip of the newest unconfirmed version (GET /tip). */
  tip(): Uint8Array | undefined {
    return this.#state.cycle?.versions.at(-1)?.tip;
  }

  status(): AnchoringStatus {
    return stamperStatus({
      ...{ state: this.#state, chain: this.#chain, settings: this.#s, conditions: this.conditions },
      ...{ pendingCount: this.#pendingCount, balance: this.#balance?.sats, rpcErrors: this.#rpcErrors, now: this.#now() },
    });
  }

  async #pollSafely(): Promise<void> {
    try {
      await this.#pollOnce();
      for (const c of ['node-unavailable', 'node-warmup', 'node-auth', 'node-error', 'wallet-not-loaded', 'state-write', 'sign-failed', 'internal'] as const) this.conditions.clear(c);
    } catch (err) {
      await this.#noteFailure(err);
    }
    this.#refreshCount();
  }

  async #pollOnce(): Promise<void> {
    if (this.#halted) return;
    if (!this.#chainVerified) {
      await checkGenesis(this.#rpc, this.#chain);
      this.#chainVerified = true;
    }
    const caughtUp = await this.#follow();
    const tip = this.#state.lastBlock;
    if (tip === null) return;
    if (this.#balance?.block !== tip.hash) this.#balance = { block: tip.hash, sats: (await this.#rpc.getBalances()).trusted };
    await this.#watchAnchors(tip);
    await this.#checkBackInMempool();
    await this.#confirm(tip);
    if (caughtUp) await this.#advanceCycle(tip);
  }

  async #noteFailure(err: unknown): Promise<void> {
    if (err instanceof RpcFailure) this.#rpcErrors++;
    const { code, level, message } = conditionOf(err, this.#rpc.endpoint);
    this.conditions.raise(code, level, message, code === 'internal' || code === 'state-write' ? { err } : {});
    if (code === 'chain-mismatch') this.#halted = true;
    if (code === 'wallet-not-loaded' && this.#rpc.wallet !== undefined) await this.#rpc.loadWallet(this.#rpc.wallet).catch(() => undefined);
  }

  #save(): void {
    this.#store.save(this.#state);
  }

  // ---- 1. the chain ----

  /** Visits blocks until the node's best block; false when the per-poll budget ran out first. */
  async #follow(): Promise<boolean> {
    for (let i = 0; i < MAX_BLOCKS_PER_POLL; i++) {
      const step = await this.#follower.step(this.#state.lastBlock);
      if (step.kind === 'idle') return true;
      if (step.kind === 'start') {
        this.#state.lastBlock = step.tip;
        this.#save();
        this.#log('info', 'following the chain from its tip', { height: step.tip.height, block: step.tip.hash });
        return true;
      }
      if (step.kind === 'connect') {
        this.#onConnect(step.block, step.txids);
        this.#state.lastBlock = step.block;
      } else {
        await this.#onDisconnect(step.block, step.parent);
        this.#state.lastBlock = step.parent;
      }
      this.#save();
    }
    return false;
  }

  #onConnect(block: BlockRef, txids: readonly string[]): void {
    const ids = new Set(txids);
    const cycle = this.#state.cycle;
    const mined = cycle?.versions.find((v) => ids.has(v.txid));
    if (cycle !== null && mined !== undefined) {
      this.#state.waiting.push({ versions: cycle.versions.map(txRefOf), mined: { txid: mined.txid, block } });
      this.#state.cycle = null;
      this.#state.nextCycleAt = this.#now() + Math.round(this.#s.minTxIntervalMs * (1 + 0.5 * this.#random()));
      this.conditions.clear('fee-cap');
      this.conditions.clear('tx-rejected');
      this.#log('info', 'timestamp transaction mined', { txid: mined.txid, height: block.height, commitments: countOf(mined.ranges), fee: mined.fee, versions: cycle.versions.length });
    }
    for (const w of this.#state.waiting) {
      const again = w.mined === null ? w.versions.find((v) => ids.has(v.txid)) : undefined;
      if (again === undefined) continue;
      w.mined = { txid: again.txid, block };
      this.#log('info', 'transaction mined again after a reorg', { txid: again.txid, height: block.height });
    }
  }

  async #onDisconnect(block: BlockRef, parent: BlockRef): Promise<void> {
    this.#log('warn', 'block left the best chain', { height: block.height, block: block.hash });
    for (const w of this.#state.waiting) {
      if (w.mined !== null && w.mined.block.height > parent.height) this.#unmined(w);
    }
    for (const a of this.#state.anchored.filter((x) => x.block.height > parent.height)) await this.#revoke(a);
  }

  /** The block of a waiting transaction left the chain: tracked again from the mempool (the caller saves). */
  #unmined(w: WaitingTx): void {
    const m = w.mined;
    if (m === null) return;
    this.#log('warn', 'mined transaction unconfirmed again: its block left the chain', { txid: m.txid, height: m.block.height });
    // The version that was mined is back in the mempool (it goes first: it is the one broadcast again), but
    // a block of the new branch may hold any other version of its cycle (miners' mempools differ): all stay
    // recognised, or that block's version would be paid for a second time.
    const back = w.versions.find((v) => v.txid === m.txid) as TxRef;
    w.versions = [back, ...w.versions.filter((v) => v !== back)];
    w.mined = null;
  }

  /** Revocation record first (unless already revoked), then the state: a crash in between repeats neither wrongly. */
  async #revoke(a: AnchoredTx): Promise<void> {
    const info = this.#ledger.index.anchors.get(a.seq);
    if (info !== undefined && !info.revoked) {
      const reason = `reorg deeper than ${this.#s.confirmations} confirmations: block ${a.block.hash} at height ${a.block.height} left the best chain`;
      await this.#ledger.appendRevocation(a.seq, reason);
    }
    this.#state.anchored = this.#state.anchored.filter((x) => x !== a);
    // Tracked again like any transaction whose block left the chain (section 3 of the poll).
    if (info !== undefined) this.#state.waiting.push({ versions: [{ txid: a.txid, tip: info.tip, ranges: [...info.ranges] }], mined: null });
    this.#save();
    this.#log('error', 'anchor revoked by a deep reorg; its commitments are pending again', { seq: a.seq, txid: a.txid, height: a.block.height });
  }

  // ---- 2. anchors ----

  async #watchAnchors(tip: BlockRef): Promise<void> {
    if (this.#anchorsCheckedAt === tip.hash) return;
    const { gone, watched } = await checkAnchoredBlocks(this.#rpc, this.#state.anchored, tip.height);
    for (const a of gone) await this.#revoke(a);
    if (watched.length !== this.#state.anchored.length) {
      this.#state.anchored = watched;
      this.#save();
    }
    this.#anchorsCheckedAt = tip.hash;
  }

  // ---- 3. back in the mempool ----

  async #checkBackInMempool(): Promise<void> {
    for (const w of [...this.#state.waiting]) {
      if (w.mined !== null || (await anyInMempool(this.#rpc, w.versions))) continue;
      const mined = await findMined(this.#rpc, w.versions);
      const tx = w.versions[0] as TxRef;
      if (mined !== null) w.mined = mined;
      else if (await rebroadcast(this.#rpc, tx.txid)) continue;
      else {
        this.#state.waiting = this.#state.waiting.filter((x) => x !== w);
        this.#log('warn', 'transaction dropped after a reorg; its commitments go into the next transaction', { txid: tx.txid, commitments: countOf(tx.ranges) });
      }
      this.#save();
    }
  }

  // ---- 4. depth ----

  async #confirm(tip: BlockRef): Promise<void> {
    for (const w of [...this.#state.waiting]) {
      const m = w.mined;
      if (m === null || depthOf(m.block.height, tip.height) < this.#s.confirmations) continue;
      const v = w.versions.find((x) => x.txid === m.txid) as TxRef;
      try {
        const proof = await proofForMinedTx(this.#rpc, { txid: m.txid, block: m.block, tip: v.tip, attestation: this.#chain.attestation });
        if (proof.kind === 'stale') {
          // A block the follower never disconnects (found ahead of it in the mempool check, or left behind by
          // a node that lost it): without this the transaction would wait on it forever.
          this.#unmined(w);
          this.#save();
          continue;
        }
        const seq = await this.#ledger.appendAnchor({ tip: v.tip, ranges: v.ranges, timestamp: proof.timestamp });
        this.#state.waiting = this.#state.waiting.filter((x) => x !== w);
        this.#state.anchored.push({ seq, txid: m.txid, block: m.block });
        this.#save();
        this.conditions.clear('anchor-failed');
        this.#log('info', 'commitments anchored', { txid: m.txid, height: m.block.height, commitments: countOf(v.ranges), seq, bytes: proof.timestamp.length });
      } catch (err) {
        if (err instanceof RpcFailure || err instanceof StateWriteError) throw err;
        this.conditions.raise('anchor-failed', 'error', `cannot anchor transaction ${m.txid}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  // ---- 5. the cycle ----

  #excluded(): CommitRange[] {
    const out: CommitRange[] = [];
    for (const w of this.#state.waiting) {
      const held = w.mined === null ? w.versions : w.versions.filter((v) => v.txid === w.mined?.txid);
      for (const v of held) out.push(...v.ranges);
    }
    return out;
  }

  #content(block: BlockRef): VersionContent | undefined {
    const ranges = pendingRanges(this.#ledger, this.#s.maxCommitmentsPerTx, this.#excluded());
    return ranges.length === 0 ? undefined : { ranges, tip: this.#tips.tip(ranges), block };
  }

  async #advanceCycle(tip: BlockRef): Promise<void> {
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
      const content = this.#content(tip);
      if (content !== undefined) reportOutcome(await this.#cycle.replace(cycle, content), latest, this.conditions, this.#log);
      return;
    }
    if (this.#now() < this.#state.nextCycleAt) return;
    const failed = this.#startFailed;
    if (failed !== undefined && failed.block === tip.hash && this.#now() - failed.at < START_RETRY_MS) return;
    const content = this.#content(tip);
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
