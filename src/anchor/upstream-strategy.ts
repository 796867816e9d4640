/**
 * @module The upstream strategy (collaborative timestamping): a master calendar pays, and this calendar's commitments ride in its transaction. Only what every calendar serves is used — `POST /digest` and `GET /timestamp/<hex>` — so the master may be one of ours or a reference server.
 *
 * A cycle's life:
 *   1. Every `minTxIntervalMs`, the merkle tip of the pending commitments handed to this strategy (the tip the
 *      wallet would put in its OP_RETURN) is submitted to the master as an ordinary digest.
 *   2. Its answer (tip → the master's PendingAttestation) is saved in `state/` before anything else; a master
 *      that does not take the tip hands the commitments to the next strategy at once.
 *   3. Every `pollMs` the master is asked for the commitment at the end of that path. A complete proof is
 *      accepted only if it ends in a block-header attestation of this calendar's chain whose merkle root is the
 *      header this calendar's own node has at that height, at least `confirmations` deep; anything else is
 *      refused (and the commitments handed on) or, while not deep enough, waited for.
 *   4. The anchor record's timestamp runs from our tip through the master's path to that one attestation: an
 *      ordinary complete proof, which clients and mirrors check like any other. The anchor's block is then
 *      watched for reorgs deeper than the depth, and revoked if one undoes it.
 * No proof within `timeoutMs`: the commitments go to the next strategy, and the master is still asked (a
 * master that was merely late may still win: the first complete anchor wins, the other is dropped).
 */
import { type BitcoinRpc, type Chain, RpcFailure } from '../bitcoin/index.js';
import type { CommitRange } from '../journal/index.js';
import type { Log } from '../log/log.js';
import type { Counter, Histogram, Registry } from '../metrics/registry.js';
import { CalendarAnswerError, type CalendarClient } from '../net/calendar-client.js';
import { type Attestation, type Op, Timestamp, applyPath, encodePath, merkleRoot, verifyBlockHeaderAttestation } from '../ots/index.js';
import { type AnchorLedger, countOf } from './anchor-ledger.js';
import { CONDITION_TEXT, Conditions } from './conditions.js';
import { checkAnchoredBlocks, depthOf } from './confirmations.js';
import { StateWriteError } from './errors.js';
import { defaultReason, isClientSafeReason } from './pending-status.js';
import { contains } from './ranges.js';
import type { StatusValue } from './stamper-status.js';
import type { AnchorStrategy, StrategyContext } from './strategy.js';
import { type Submission, type UpstreamState, UpstreamStore } from './upstream-state.js';

/** vsize of the transaction the wallet would have sent instead (one segwit input, change, OP_RETURN of 32 bytes): the base of "fees not paid". */
export const TIMESTAMP_TX_VSIZE = 154;
/** A submission released to the next strategy is still asked about for this many timeouts, then forgotten. */
const LATE_TIMEOUTS = 4;

export interface UpstreamSettings {
  /** The master's URL as configured (may carry credentials; shown without them). */
  url: string;
  /** No acceptable complete proof within this: the commitments go to the next strategy. */
  timeoutMs: number;
  /** How often the master is asked about a submission. */
  pollMs: number;
  minTxIntervalMs: number;
  confirmations: number;
  maxCommitmentsPerTx: number;
  /** sat/kvB the wallet would have paid without an estimate, for the "fees not paid" figure. */
  fallbackFeeRate: number;
  feeTargetBlocks: number;
}

export type UpstreamRpc = Pick<BitcoinRpc, 'getBlockHash' | 'getBlockHeaderRaw' | 'getBestBlockHash' | 'getBlockHeader' | 'estimateSmartFee'>;

export interface UpstreamStrategyOptions {
  client: CalendarClient;
  /** 1 for the first master of the list: names it in public (status, metrics), where its address may not be shown. */
  position: number;
  rpc: UpstreamRpc;
  chain: Chain;
  ledger: AnchorLedger;
  stateDir: string;
  settings: UpstreamSettings;
  log: Log;
  /** Unix ms; injectable for tests. */
  now?: () => number;
}

interface UpstreamMetrics {
  submissions: Counter<'upstream'>;
  failures: Counter<'upstream'>;
  refusals: Counter<'upstream' | 'reason'>;
  saved: Counter<'upstream'>;
  latency: Histogram;
}

/** The metric families of every master registered with one registry, and the masters they read. */
const SHARED_METRICS = new WeakMap<Registry, { masters: UpstreamStrategy[]; metrics: UpstreamMetrics }>();

/** Why a master's complete proof is not taken. */
type Verdict = { kind: 'accept'; ops: Op[]; attestation: Attestation; height: number; blockHash: string; blockTime: number } | { kind: 'wait'; why: string } | { kind: 'refuse'; code: string; why: string };

export class UpstreamStrategy implements AnchorStrategy {
  readonly kind = 'upstream';
  readonly name: string;
  readonly #o: UpstreamStrategyOptions;
  readonly #store: UpstreamStore;
  readonly #now: () => number;
  readonly conditions: Conditions;
  #state: UpstreamState;
  /** Unix ms of the last question per submission tip (hex): the master is asked every pollMs at most. */
  readonly #askedAt = new Map<string, number>();
  #anchorsCheckedAt: string | undefined;
  #lastError: string | null = null;
  #lastLatencyMs: number | null = null;
  #lastAnswerAt: number | null = null;
  #feesSaved = 0;
  /** The host the master's pending attestations name (its public URI), once one was seen. */
  #masterHost: string | undefined;
  #anchors = 0;
  #metrics: UpstreamMetrics | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;

  constructor(o: UpstreamStrategyOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.name = `upstream calendar ${o.position}`;
    this.#store = new UpstreamStore(o.stateDir, o.client.url);
    this.#state = this.#store.load();
    this.conditions = new Conditions(o.log, this.#now);
  }

  get state(): Readonly<UpstreamState> {
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
    return this.#state.submissions.filter((s) => s.releasedAt === null).flatMap((s) => s.ranges);
  }

  pendingReason(n: number): string | undefined {
    const s = this.#state.submissions.find((x) => x.releasedAt === null && contains(x.ranges, n));
    const base = defaultReason(this.#o.chain.label.startsWith('Litecoin') ? 'Litecoin' : 'Bitcoin');
    if (s === undefined) return undefined;
    const minutes = Math.max(1, Math.round((this.#now() - s.submittedAt) / 60_000));
    const host = masterHost(s) ?? 'the master';
    const reason = `${base}; submitted to calendar ${host} ${minutes} min ago`;
    return isClientSafeReason(reason) ? reason : `${base}; submitted to another calendar ${minutes} min ago`;
  }

  tip(): Uint8Array | undefined {
    return undefined;
  }

  lastAnchor(): { seq: number; height: number; blockTime: number | undefined } | undefined {
    const a = this.#state.anchored.at(-1);
    return a === undefined ? undefined : { seq: a.seq, height: a.block.height, blockTime: a.blockTime };
  }

  problems(): string[] {
    return this.conditions.list().map((c) => CONDITION_TEXT[c.code]);
  }

  status(): Record<string, StatusValue> {
    const waiting = this.#state.submissions.filter((s) => s.releasedAt === null);
    const last = this.#state.submissions.at(-1);
    return {
      anchoring: 'upstream',
      master: masterHost(last) ?? this.#masterHost ?? null,
      masterAnswering: this.#lastAnswerAt !== null && !this.conditions.has('upstream-unreachable'),
      submissionsWaiting: waiting.length,
      commitmentsSubmitted: waiting.reduce((n, s) => n + countOf(s.ranges), 0),
      submissionsLate: this.#state.submissions.length - waiting.length,
      lastSubmittedAt: last === undefined ? null : new Date(last.submittedAt).toISOString(),
      lastProofSeconds: this.#lastLatencyMs === null ? null : Math.round(this.#lastLatencyMs / 1000),
      lastError: this.#lastError,
      anchorsFromMaster: this.#anchors,
      feesNotPaidSats: this.#feesSaved,
      problemsText: this.problems().length === 0 ? null : this.problems().join('; '),
    };
  }

  registerMetrics(r: Registry): void {
    // one set of metric families for every master (a name is registered once), labelled by place in the list
    let shared = SHARED_METRICS.get(r);
    if (shared === undefined) {
      const masters: UpstreamStrategy[] = [];
      shared = {
        masters,
        metrics: {
          submissions: r.counter('ots_upstream_submissions_total', 'Tips submitted to a master calendar, by its place in the list', { labels: ['upstream'] }),
          failures: r.counter('ots_upstream_submission_failures_total', 'Tips a master calendar did not take, by its place in the list', { labels: ['upstream'] }),
          refusals: r.counter('ots_upstream_proofs_refused_total', "Master calendars' complete proofs refused, by place in the list and reason", { labels: ['upstream', 'reason'] }),
          saved: r.counter('ots_anchor_fees_not_paid_sats_total', 'Satoshis this calendar did not pay: what its own transaction would have cost, for each anchor a master paid for', { labels: ['upstream'] }),
          latency: r.histogram('ots_upstream_proof_seconds', "From a tip's submission to the master's acceptable complete proof", [60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400]),
        },
      };
      r.gauge('ots_upstream_master_answering', '1 while the master calendar answers, by its place in the list', {
        labels: ['upstream'],
        read: () => masters.map((m) => ({ labels: m.#label, value: m.conditions.has('upstream-unreachable') ? 0 : 1 })),
      });
      r.gauge('ots_upstream_submissions_waiting', 'Tips waiting for a master calendar to complete their proof, by its place in the list', {
        labels: ['upstream'],
        read: () => masters.map((m) => ({ labels: m.#label, value: m.#state.submissions.filter((x) => x.releasedAt === null).length })),
      });
      SHARED_METRICS.set(r, shared);
    }
    shared.masters.push(this);
    this.#metrics = shared.metrics;
  }

  /** Metric labels: the master's place in the list, never its address. */
  get #label(): { upstream: string } {
    return { upstream: String(this.#o.position) };
  }

  async #pollSafely(ctx: StrategyContext): Promise<void> {
    try {
      await this.#pollOnce(ctx);
      this.conditions.clear('state-write');
    } catch (err) {
      if (err instanceof StateWriteError) this.conditions.raise('state-write', 'error', `${err.message}; nothing is submitted until it can be written`, { err });
      else if (err instanceof RpcFailure) this.conditions.raise('node-unavailable', 'warn', `the node does not answer (${err.message}); proofs from the master wait for it`);
      else this.conditions.raise('internal', 'error', `upstream step failed: ${err instanceof Error ? err.message : String(err)}`, { err });
    }
  }

  #save(): void {
    this.#store.save(this.#state);
  }

  async #pollOnce(ctx: StrategyContext): Promise<void> {
    const best = await this.#o.rpc.getBlockHeader(await this.#o.rpc.getBestBlockHash());
    this.conditions.clear('node-unavailable');
    await this.#watchAnchors(best.height, best.hash);
    for (const s of [...this.#state.submissions]) await this.#follow(s, best.height, ctx);
    await this.#cycle(ctx);
  }

  /** Anchors whose block a reorg deeper than the depth undid: revoked, their commitments pending again. */
  async #watchAnchors(tipHeight: number, tipHash: string): Promise<void> {
    if (this.#anchorsCheckedAt === tipHash || this.#state.anchored.length === 0) return;
    const newest = this.#state.anchored.at(-1);
    const { gone, watched } = await checkAnchoredBlocks(this.#o.rpc, this.#state.anchored, tipHeight);
    // the newest anchor stays in the state however deep it is: it is the last anchor that /metrics reports
    if (newest !== undefined && !gone.includes(newest) && !watched.includes(newest)) watched.push(newest);
    for (const a of gone) {
      const info = this.#o.ledger.index.anchors.get(a.seq);
      if (info !== undefined && !info.revoked) {
        await this.#o.ledger.appendRevocation(a.seq, `reorg deeper than ${this.#o.settings.confirmations} confirmations: block ${a.block.hash} at height ${a.block.height} left the best chain`);
      }
      this.#o.log('error', "anchor from the master's proof revoked by a deep reorg; its commitments are pending again", { seq: a.seq, height: a.block.height });
    }
    if (watched.length !== this.#state.anchored.length) {
      this.#state.anchored = watched;
      this.#save();
    }
    this.#anchorsCheckedAt = tipHash;
  }

  /** One submission: forgotten once anchored (by anyone), asked about every pollMs, released on a refusal or the timeout. */
  async #follow(s: Submission, tipHeight: number, ctx: StrategyContext): Promise<void> {
    const now = this.#now();
    // A released submission whose commitments another strategy anchored is of no use any more. A held one is
    // only ever anchored by this strategy (no other takes held commitments): it is asked about as usual, and
    // writing its anchor again (after a crash between the record and the state) finds the same record.
    if (s.releasedAt !== null && s.ranges.every((r) => this.#o.ledger.index.anchors.uncovered(r.end, 1, [{ start: 0, end: r.start }]).length === 0)) {
      this.#forget(s);
      return;
    }
    if (s.releasedAt === null && now - s.submittedAt > this.#o.settings.timeoutMs) {
      this.#release(s, ctx, 'upstream-late', `no acceptable complete proof within ${Math.round(this.#o.settings.timeoutMs / 1000)} s`);
    }
    if (s.releasedAt !== null && now - s.submittedAt > this.#o.settings.timeoutMs * LATE_TIMEOUTS) {
      this.#forget(s);
      return;
    }
    const key = Buffer.from(s.tip).toString('hex');
    if (now - (this.#askedAt.get(key) ?? 0) < this.#o.settings.pollMs) return;
    this.#askedAt.set(key, now);
    const pending = Timestamp.fromBytes(s.path, s.tip).attestationPaths().filter((p) => p.attestation.kind === 'pending');
    for (const p of pending) {
      let answer;
      try {
        answer = await this.#o.client.getTimestamp(p.msg);
        this.#answered();
      } catch (err) {
        if (!(err instanceof CalendarAnswerError)) throw err;
        this.#failed(err);
        if (err.problem === 'unreachable') continue;
        this.#refuse(s, ctx, 'upstream-invalid', `its answer is not usable (${err.reason})`);
        return;
      }
      if (answer.kind === 'unknown') {
        this.#refuse(s, ctx, 'upstream-unknown', 'it no longer knows the commitment it gave for our tip');
        return;
      }
      if (answer.kind === 'pending') continue;
      const verdict = await this.#verify(answer.timestamp, tipHeight);
      if (verdict.kind === 'wait') {
        this.#o.log('debug', "master's proof not taken yet", { master: this.#o.client.url, why: verdict.why });
        continue;
      }
      if (verdict.kind === 'refuse') {
        this.#refuse(s, ctx, verdict.code, verdict.why);
        return;
      }
      await this.#anchor(s, [...p.ops, ...verdict.ops], verdict);
      return;
    }
  }

  /**
   * Checks a complete proof from the master's commitment: one of its attestations must be this chain's, its
   * merkle root the header our node has at that height, at least `confirmations` deep.
   */
  async #verify(proof: Timestamp, tipHeight: number): Promise<Verdict> {
    const kind = this.#o.chain.attestation;
    const paths = proof.attestationPaths();
    const ours = paths.filter((p) => p.attestation.kind === kind);
    if (ours.length === 0) {
      const kinds = [...new Set(paths.map((p) => p.attestation.kind))].join(', ');
      return { kind: 'refuse', code: 'upstream-wrong-chain', why: `its proof ends in no ${kind} attestation (only ${kinds})` };
    }
    let why = '';
    for (const p of ours) {
      const height = (p.attestation as Attestation & { height: number }).height;
      const hash = await this.#o.rpc.getBlockHash(height);
      if (hash === null) {
        why = `block ${height} is not on our node's chain yet`;
        continue;
      }
      let blockTime: number;
      try {
        blockTime = verifyBlockHeaderAttestation(p.msg, await this.#o.rpc.getBlockHeaderRaw(hash));
      } catch {
        return { kind: 'refuse', code: 'upstream-header-mismatch', why: `its attestation for block ${height} is not that block's merkle root on our node` };
      }
      const depth = depthOf(height, tipHeight);
      if (depth < this.#o.settings.confirmations) {
        why = `block ${height} is ${depth} of ${this.#o.settings.confirmations} confirmations deep`;
        continue;
      }
      return { kind: 'accept', ops: p.ops, attestation: p.attestation, height, blockHash: hash, blockTime };
    }
    return { kind: 'wait', why };
  }

  async #anchor(s: Submission, ops: Op[], v: Extract<Verdict, { kind: 'accept' }>): Promise<void> {
    // re-checked end to end from our tip: the path is ours up to the master's commitment, theirs after it
    if (v.attestation.kind !== 'bitcoin' && v.attestation.kind !== 'litecoin') return;
    const msg = applyPath(ops, s.tip);
    const timestamp = encodePath(ops, v.attestation);
    const saved = await this.#feeNotPaid();
    const seq = await this.#o.ledger.appendAnchor({ tip: s.tip, ranges: s.ranges, timestamp }, { feeNotPaidSats: saved });
    const latency = this.#now() - s.submittedAt;
    this.#state.submissions = this.#state.submissions.filter((x) => x !== s);
    if (seq !== null) this.#state.anchored.push({ seq, block: { height: v.height, hash: v.blockHash }, blockTime: v.blockTime });
    this.#save();
    this.conditions.clear('upstream-proof-refused');
    this.conditions.clear('upstream-late');
    if (seq === null) {
      this.#o.log('info', "master's proof not recorded: its commitments were anchored first by another strategy", { master: this.#o.client.url, commitments: countOf(s.ranges) });
      return;
    }
    this.#feesSaved += saved;
    this.#anchors++;
    this.#lastLatencyMs = latency;
    this.#metrics?.saved.inc(this.#label, saved);
    this.#metrics?.latency.observe(latency / 1000);
    this.#o.log('info', "commitments anchored through the master's transaction", {
      master: this.#o.client.url,
      height: v.height,
      commitments: countOf(s.ranges),
      seq,
      seconds: Math.round(latency / 1000),
      feeNotPaidSats: saved,
      root: Buffer.from(msg).toString('hex'),
    });
  }

  /** What the wallet would have paid for this anchor's transaction, from the node's estimate. */
  async #feeNotPaid(): Promise<number> {
    let rate = this.#o.settings.fallbackFeeRate;
    try {
      rate = (await this.#o.rpc.estimateSmartFee(this.#o.settings.feeTargetBlocks)).satPerKvB ?? rate;
    } catch {
      // an estimate only: the fallback rate serves
    }
    return Math.round((rate * TIMESTAMP_TX_VSIZE) / 1000);
  }

  /** Step 1 and 2: a new cycle when the interval has passed and commitments are handed to this strategy. */
  async #cycle(ctx: StrategyContext): Promise<void> {
    const now = this.#now();
    if (this.#stopped || now - this.#state.lastCycleAt < this.#o.settings.minTxIntervalMs) return;
    const ranges = ctx.pending(this.#o.settings.maxCommitmentsPerTx, this.held());
    if (ranges.length === 0) return;
    const tip = merkleRoot(this.#o.ledger.index.anchorLeaves({ ranges }));
    this.#metrics?.submissions.inc(this.#label);
    let answer;
    try {
      answer = await this.#o.client.submit(tip);
      this.#answered();
    } catch (err) {
      if (!(err instanceof CalendarAnswerError)) throw err;
      this.#failed(err);
      this.#metrics?.failures.inc(this.#label);
      this.conditions.raise(err.problem === 'unreachable' ? 'upstream-unreachable' : 'upstream-refused', 'warn', `master ${this.#o.client.url} did not take the tip: ${err.reason}`);
      ctx.release(ranges, `master ${this.#o.client.url} did not take the tip (${err.reason})`);
      return;
    }
    if (!answer.timestamp.allAttestations().some((a) => a.attestation.kind === 'pending')) {
      this.#metrics?.failures.inc(this.#label);
      this.conditions.raise('upstream-refused', 'warn', `master ${this.#o.client.url} answered the tip with no pending attestation`);
      ctx.release(ranges, `master ${this.#o.client.url} answered without a pending attestation`);
      return;
    }
    // before anything else happens with it
    const submission: Submission = { tip, ranges, path: answer.bytes, submittedAt: now, releasedAt: null };
    this.#state.submissions.push(submission);
    this.#masterHost = masterHost(submission) ?? this.#masterHost;
    this.#state.lastCycleAt = now;
    this.#save();
    this.conditions.clear('upstream-refused');
    this.#o.log('info', 'tip submitted to the master calendar', { master: this.#o.client.url, commitments: countOf(ranges), tip: Buffer.from(tip).toString('hex') });
  }

  #release(s: Submission, ctx: StrategyContext, code: 'upstream-late' | 'upstream-proof-refused', why: string): void {
    s.releasedAt = this.#now();
    this.#save();
    ctx.release(s.ranges, `master ${this.#o.client.url}: ${why}`);
    this.conditions.raise(code, 'warn', `master ${this.#o.client.url}: ${why}; its commitments go to the next strategy`);
  }

  /** A proof that must not be taken: handed on now, and this submission forgotten (its master is not asked again about it). */
  #refuse(s: Submission, ctx: StrategyContext, code: string, why: string): void {
    this.#metrics?.refusals.inc({ ...this.#label, reason: code });
    this.#lastError = `${code}: ${why}`;
    if (s.releasedAt === null) this.#release(s, ctx, 'upstream-proof-refused', `${why} (${code})`);
    this.#o.log('warn', "master's answer refused", { master: this.#o.client.url, code, why });
    this.#forget(s);
  }

  #forget(s: Submission): void {
    this.#state.submissions = this.#state.submissions.filter((x) => x !== s);
    this.#askedAt.delete(Buffer.from(s.tip).toString('hex'));
    this.#save();
  }

  #answered(): void {
    this.#lastAnswerAt = this.#now();
    this.conditions.clear('upstream-unreachable');
  }

  #failed(err: CalendarAnswerError): void {
    this.#lastError = err.reason;
    if (err.problem === 'unreachable') this.conditions.raise('upstream-unreachable', 'warn', `master ${this.#o.client.url} does not answer: ${err.reason}`);
  }
}

/** The host a submission's pending attestation names: the master's own public URI (not the address we reach it at). */
function masterHost(s: Submission | undefined): string | undefined {
  if (s === undefined) return undefined;
  try {
    const found = Timestamp.fromBytes(s.path, s.tip).allAttestations().find((a) => a.attestation.kind === 'pending');
    return found?.attestation.kind === 'pending' ? hostOf(found.attestation.uri) : undefined;
  } catch {
    return undefined;
  }
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}
