/**
 * @module The calendar's anchoring: an ordered list of strategies polled one after the other, sharing the pending commitments so that no two take the same ones, with fail-over down the list (DESIGN §4b).
 *
 * Who may take a pending commitment: new commitments go to the first strategy. A strategy that gives
 * commitments back (`release`: its master did not answer in time, its proof was refused) hands them to the next
 * one in the list; from the last, they go back to the first. Commitments a strategy holds are never offered to
 * another. So the wallet, listed after an upstream calendar, pays only for what the upstream gave up on, and a
 * later cycle goes through the upstream again. Who may take what is kept in memory only: after a restart every
 * commitment no strategy holds (each strategy's own state says what it holds) starts again at the top.
 *
 * The first complete anchor for a commitment wins: the calendar writes no anchor record whose commitments are
 * all anchored already (`AnchorLedger.appendAnchor` answers null), and the strategy that was late drops it.
 */
import type { Chain } from '../bitcoin/index.js';
import { type CommitRange, MAX_ANCHOR_RANGES } from '../journal/index.js';
import type { Log } from '../log/log.js';
import type { Counter, Registry } from '../metrics/registry.js';
import { Timestamp } from '../ots/index.js';
import { type AnchorLedger, type AnchorNote, countOf } from './anchor-ledger.js';
import { ExternalStrategy } from './external-strategy.js';
import { intersect, normalize, subtract, take } from './ranges.js';
import type { StatusValue } from './stamper-status.js';
import type { AnchorStrategy, StrategyContext, StrategyKind } from './strategy.js';

/** Recent anchors kept for the status page. */
const RECENT_ANCHORS = 10;

export interface AnchoringOptions {
  /**
   * Makes the strategies, in priority order (the first takes new commitments). Each writes through the ledger
   * `ledgerFor(its name)` gives it: the calendar's, noting who anchored what.
   */
  strategies: (ledgerFor: (name: string) => AnchorLedger) => AnchorStrategy[];
  ledger: AnchorLedger;
  chain: Chain;
  pollIntervalMs: number;
  log: Log;
  /** Unix ms; injectable for tests. */
  now?: () => number;
  /** Called once every strategy has stopped. */
  onStopped?: () => void;
}

export interface AnchorEvent {
  seq: number;
  /** The strategy's name. */
  by: string;
  /** Who paid for the transaction: the calendar's own wallet, a master calendar, or a donor. */
  paidBy: StrategyKind;
  /** The anchoring transaction, when the strategy knows it (a master's is not known here). */
  txid: string | null;
  /** Satoshis this calendar did not pay for this anchor; null when not known. */
  feeNotPaidSats: number | null;
  /** Unix ms. */
  at: number;
  commitments: number;
  height: number | null;
}

/** The status record of the whole, plus one per strategy, for the status page and /status. */
export interface AnchoringReport {
  summary: Record<string, StatusValue>;
  strategies: Array<{ name: string; kind: string; record: Record<string, StatusValue> }>;
  recent: AnchorEvent[];
}

export class Anchoring {
  readonly #o: AnchoringOptions;
  readonly #strategies: readonly AnchorStrategy[];
  readonly #now: () => number;
  /** Ranges given back: level k means the strategy at index k may take them (index 0 takes everything else). */
  #handed: Array<{ level: number; ranges: CommitRange[] }> = [];
  readonly #recent: AnchorEvent[] = [];
  #duplicates = 0;
  #feesNotPaid = 0;
  #counters: { anchors: Counter<'strategy'>; duplicates: Counter<'strategy'> } | undefined;
  #polling: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #stopping: Promise<void> | undefined;

  constructor(o: AnchoringOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#strategies = o.strategies((name) => this.#ledgerFor(name));
    if (this.#strategies.length === 0) throw new RangeError('"strategies" expected at least one anchoring strategy, got none');
  }

  get strategies(): readonly AnchorStrategy[] {
    return this.#strategies;
  }

  /** The strategy that takes donated transactions, when the list has one (the donation API's routes ask it). */
  get external(): ExternalStrategy | undefined {
    return this.#strategies.find((s): s is ExternalStrategy => s instanceof ExternalStrategy);
  }

  /** The ledger a strategy writes through: the calendar's, noting who anchored what. */
  #ledgerFor(name: string): AnchorLedger {
    const ledger = this.#o.ledger;
    return {
      index: ledger.index,
      appendRevocation: (seq, reason) => ledger.appendRevocation(seq, reason),
      appendAnchor: async (anchor, note) => {
        const seq = await ledger.appendAnchor(anchor, note);
        if (seq === null) {
          this.#duplicates++;
          this.#counters?.duplicates.inc({ strategy: name });
          this.#o.log('info', 'anchor not written: its commitments were anchored first by another strategy', { by: name, commitments: countOf(anchor.ranges) });
          return null;
        }
        this.#noteAnchor(name, seq, anchor, note);
        return seq;
      },
    };
  }

  #noteAnchor(by: string, seq: number, anchor: { tip: Uint8Array; ranges: ReadonlyArray<CommitRange>; timestamp: Uint8Array }, note: AnchorNote = {}): void {
    if (this.#recent.some((e) => e.seq === seq)) return;
    const paidBy = this.#strategies.find((s) => s.name === by)?.kind ?? 'wallet';
    const feeNotPaidSats = note.feeNotPaidSats ?? (paidBy === 'wallet' ? 0 : null);
    this.#feesNotPaid += feeNotPaidSats ?? 0;
    let height: number | null = null;
    try {
      const found = Timestamp.fromBytes(anchor.timestamp, anchor.tip).allAttestations().find((a) => a.attestation.kind === 'bitcoin' || a.attestation.kind === 'litecoin');
      if (found && (found.attestation.kind === 'bitcoin' || found.attestation.kind === 'litecoin')) height = found.attestation.height;
    } catch {
      // the calendar checked the timestamp before writing it; nothing to show otherwise
    }
    this.#recent.unshift({ seq, by, paidBy, txid: note.txid ?? null, feeNotPaidSats, at: this.#now(), commitments: countOf(anchor.ranges), height });
    this.#recent.length = Math.min(this.#recent.length, RECENT_ANCHORS);
    this.#counters?.anchors.inc({ strategy: by });
  }

  /** One pass of every strategy, in order. Never rejects; concurrent calls share the pass in progress. */
  poll(): Promise<void> {
    this.#polling ??= (async () => {
      const list = this.#strategies;
      for (let k = 0; k < list.length; k++) {
        if (this.#stopped) return;
        await (list[k] as AnchorStrategy).poll(this.#context(k));
      }
      this.#forgetAnchored();
    })().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  /** Polls every `pollIntervalMs`, from the end of one pass to the start of the next. */
  start(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    const loop = async (): Promise<void> => {
      await this.poll();
      if (!this.#stopped) this.#timer = setTimeout(() => void loop(), this.#o.pollIntervalMs);
    };
    this.#timer = setTimeout(() => void loop(), 0);
  }

  /** Stops polling and every strategy (each waits for its poll in progress, within its bound). Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      clearTimeout(this.#timer);
      await Promise.all(this.#strategies.map((s) => s.stop()));
      this.#o.onStopped?.();
    })();
    return this.#stopping;
  }

  #context(k: number): StrategyContext {
    return {
      pending: (limit, exclude = []) => {
        const others = this.#strategies.flatMap((s, i) => (i === k ? [] : s.held()));
        const index = this.#o.ledger.index;
        const free = index.anchors.uncovered(index.commitCount, Number.MAX_SAFE_INTEGER, normalize([...others, ...exclude]));
        const mine = k === 0 ? subtract(free, this.#handed.flatMap((h) => h.ranges)) : intersect(free, this.#handed.find((h) => h.level === k)?.ranges ?? []);
        return take(mine, limit, MAX_ANCHOR_RANGES);
      },
      release: (ranges, why) => {
        if (ranges.length === 0) return;
        const next = k + 1 < this.#strategies.length ? k + 1 : 0;
        this.#handed = this.#handed.map((h) => ({ level: h.level, ranges: subtract(h.ranges, ranges) })).filter((h) => h.ranges.length > 0);
        if (next > 0) {
          const at = this.#handed.find((h) => h.level === next);
          if (at) at.ranges = normalize([...at.ranges, ...ranges]);
          else this.#handed.push({ level: next, ranges: normalize(ranges) });
        }
        const to = this.#strategies[next] as AnchorStrategy;
        this.#o.log('warn', `commitments handed from ${(this.#strategies[k] as AnchorStrategy).name} to ${to.name}`, { commitments: countOf(ranges), why });
      },
    };
  }

  /** Hand-overs of commitments anchored since are forgotten. */
  #forgetAnchored(): void {
    if (this.#handed.length === 0) return;
    const index = this.#o.ledger.index;
    const free = index.anchors.uncovered(index.commitCount, Number.MAX_SAFE_INTEGER);
    this.#handed = this.#handed.map((h) => ({ level: h.level, ranges: intersect(h.ranges, free) })).filter((h) => h.ranges.length > 0);
  }

  /** The level (who may take it) of commit number `n` when no strategy holds it. */
  #levelOf(n: number): number {
    return this.#handed.find((h) => h.ranges.some((r) => n >= r.start && n < r.end))?.level ?? 0;
  }

  /** The 404 reason for pending commit number `n`: the holder's, or the reason of the strategy that takes it next. */
  pendingReason(n: number): string | undefined {
    for (const s of this.#strategies) if (s.held().some((r) => n >= r.start && n < r.end)) return s.pendingReason(n);
    return this.#strategies[this.#levelOf(n)]?.pendingReason(n);
  }

  /** The newest anchor any strategy wrote and still watches (by journal order): what /metrics reports as the last anchor. */
  lastAnchor(): { seq: number; height: number; blockTime: number | undefined } | undefined {
    let best: ReturnType<AnchorStrategy['lastAnchor']>;
    for (const s of this.#strategies) {
      const a = s.lastAnchor();
      if (a !== undefined && (best === undefined || a.seq > best.seq)) best = a;
    }
    return best;
  }

  /** GET /tip: the tip of a transaction being built, the first strategy's that has one. */
  tip(): Uint8Array | undefined {
    for (const s of this.#strategies) {
      const t = s.tip();
      if (t !== undefined) return t;
    }
    return undefined;
  }

  /** Client-safe descriptions of what keeps anchoring from working, each named by its strategy. */
  problems(): string[] {
    return this.#strategies.flatMap((s) => s.problems().map((p) => `${s.name}: ${p}`));
  }

  report(): AnchoringReport {
    const last = this.#recent[0];
    const index = this.#o.ledger.index;
    const summary: Record<string, StatusValue> = {
      strategies: this.#strategies.map((s) => s.name).join(', '),
      pendingCommitments: countOf(index.anchors.uncovered(index.commitCount, Number.MAX_SAFE_INTEGER)),
      lastAnchorBy: last?.by ?? null,
      lastAnchorAt: last === undefined ? null : new Date(last.at).toISOString(),
      duplicateAnchorsDropped: this.#duplicates,
      feesNotPaidSats: this.#feesNotPaid,
    };
    return {
      summary,
      strategies: this.#strategies.map((s) => ({ name: s.name, kind: s.kind, record: s.status() })),
      recent: [...this.#recent],
    };
  }

  registerMetrics(r: Registry): void {
    for (const s of this.#strategies) s.registerMetrics(r);
    this.#counters = {
      anchors: r.counter('ots_anchors_total', 'Anchor records written, by the strategy that anchored them', { labels: ['strategy'] }),
      duplicates: r.counter('ots_anchor_duplicates_total', 'Complete anchors not written: another strategy anchored their commitments first', { labels: ['strategy'] }),
    };
    r.gauge('ots_last_anchor_block_height', 'Height of the block of the newest anchor written to the journal and not revoked', { read: () => this.lastAnchor()?.height });
    r.gauge('ots_last_anchor_time_seconds', 'Block time (unix seconds) of the newest anchor written to the journal and not revoked: the time its proofs attest', {
      read: () => this.lastAnchor()?.blockTime,
    });
  }
}
