/**
 * @module The stamper role: it follows the tips calendars advertise (`GET /donate`) and pays for their Bitcoin transactions from its own wallet — after its own delay, within a fee cap per transaction and per day, never for a tip another transaction already covers — posts each to its calendar, broadcasts it and follows it to its depth.
 *
 * One poll, in order:
 *   1. the node: the chain checked once; its relay minimum;
 *   2. its own transactions: broadcast again if the node lacks them, their depth, `confirmed` at `confirmations`,
 *      `dropped` when another transaction spent their input;
 *   3. each calendar: its offer; a transaction it built and posted without an answer is posted again; then, if a
 *      tip is wanted, the calendar's oldest waiting commitment has waited `delay`, this stamper has no transaction
 *      of that calendar waiting for a block, the tip is not covered, and the caps allow: a transaction is built,
 *      **saved**, posted; taken (200), it is broadcast too.
 * A poll never throws: a failure becomes a condition (logged once, on the status page), retried at the next.
 */
import { type BitcoinRpc, type Chain, RPC_CODE, RpcError, RpcFailure, checkGenesis, feeForVsize } from '../bitcoin/index.js';
import { CONDITION_TEXT, Conditions, conditionOf } from '../anchor/conditions.js';
import type { DonationOffer } from '../anchor/donation-protocol.js';
import type { Log } from '../log/log.js';
import type { Counter, Registry } from '../metrics/registry.js';
import { CalendarAnswerError } from '../net/calendar-client.js';
import type { FetchFn } from '../net/http-client.js';
import { bytesToHex, hexToBytes } from '../ots/index.js';
import { DonationBuilder } from './donation-builder.js';
import { OfferClient } from './offer-client.js';
import { MAX_FINISHED_TXS, type PaidTx, type StamperState, StamperStateWriteError, StamperStore, open, spends } from './stamper-state.js';

/** The daily cap looks back this far. */
const DAY_MS = 86_400_000;
/** A transaction its calendar never answered about is given up (never broadcast, its fee not spent) after this. */
const ABANDON_AFTER_MS = 3_600_000;

export interface StamperRoleSettings {
  /** The calendars' URLs (may carry credentials; shown without them). */
  calendars: readonly string[];
  chain: Chain;
  /** How long a calendar's oldest waiting commitment waits before this stamper pays for its tip. */
  delayMs: number;
  /** Satoshis one transaction pays at most. */
  maxFeePerTx: number;
  /** Satoshis all transactions of any 24 hours pay at most. */
  maxFeePerDay: number;
  /** Depth at which a transaction of ours is done with. */
  confirmations: number;
  pollMs: number;
}

export interface StamperOptions {
  rpc: BitcoinRpc;
  settings: StamperRoleSettings;
  dataDir: string;
  log: Log;
  userAgent: string;
  fetch?: FetchFn;
  /** Unix ms; injectable for tests. */
  now?: () => number;
}

/** What the stamper knows of one calendar; public (status page). */
interface CalendarView {
  client: OfferClient;
  position: number;
  answering: boolean;
  lastAnswerAt: number | null;
  lastError: string | null;
  offer: DonationOffer | null;
  /** The last decision about its tip, in words. */
  decision: string;
  lastRefusal: string | null;
}

export class Stamper {
  readonly #o: StamperOptions;
  readonly #s: StamperRoleSettings;
  readonly #store: StamperStore;
  readonly #builder: DonationBuilder;
  readonly #now: () => number;
  readonly #calendars: CalendarView[];
  readonly #abort = new AbortController();
  readonly conditions: Conditions;
  readonly #unlock: () => void;
  #state: StamperState;
  #chainVerified = false;
  #halted = false;
  #nodeAnswered = false;
  #height: number | null = null;
  #balance: number | null = null;
  #floor: number | undefined;
  #metrics: { donations: Counter<'calendar'>; refusals: Counter<'calendar' | 'code'>; fees: Counter } | undefined;
  #polling: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(o: StamperOptions, store: StamperStore, state: StamperState, unlock: () => void) {
    this.#o = o;
    this.#s = o.settings;
    this.#store = store;
    this.#state = state;
    this.#unlock = unlock;
    this.#now = o.now ?? Date.now;
    this.#builder = new DonationBuilder(o.rpc);
    this.conditions = new Conditions(o.log, this.#now);
    this.#calendars = o.settings.calendars.map((url, i) => ({
      client: new OfferClient(url, { userAgent: o.userAgent, timeoutMs: 15_000, signal: this.#abort.signal, ...(o.fetch ? { fetch: o.fetch } : {}) }),
      position: i + 1,
      answering: false,
      lastAnswerAt: null,
      lastError: null,
      offer: null,
      decision: 'not asked yet',
      lastRefusal: null,
    }));
  }

  /** Takes the data directory (one stamper per directory) and loads its state; throws if either is not possible. */
  static open(o: StamperOptions): Stamper {
    const store = new StamperStore(o.dataDir);
    const unlock = store.lock();
    try {
      return new Stamper(o, store, store.load(o.settings.chain.name), unlock);
    } catch (err) {
      unlock();
      throw err;
    }
  }

  get state(): Readonly<StamperState> {
    return this.#state;
  }

  /** Polls every pollMs, from the end of one pass to the start of the next. */
  start(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    const loop = async (): Promise<void> => {
      await this.poll();
      if (!this.#stopped) this.#timer = setTimeout(() => void loop(), this.#s.pollMs);
    };
    this.#timer = setTimeout(() => void loop(), 0);
  }

  /** One pass (module comment). Never rejects; concurrent calls share the pass in progress. */
  poll(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#polling ??= this.#pollSafely().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  /** Stops polling, fails the requests in flight, waits for the pass in progress (within `waitMs`), lets the directory go. */
  async stop(waitMs = 5_000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    const current = this.#polling;
    if (current !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([current, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    }
    this.#unlock();
  }

  /** Reasons it cannot pay now (readiness); empty when it can. */
  problems(): string[] {
    const out = this.conditions.list().map((c) => CONDITION_TEXT[c.code]);
    return this.#nodeAnswered || out.length > 0 ? out : ['the node has not answered yet'];
  }

  /** Satoshis of transactions built in the last 24 hours that are, or may be, in a block. */
  feesLastDay(): number {
    const since = this.#now() - DAY_MS;
    return this.#state.txs.filter((t) => spends(t) && t.builtAt > since).reduce((n, t) => n + t.fee, 0);
  }

  /** The flat public record of the status page (no node address, wallet name or error detail). */
  status(): Record<string, string | number | boolean | null> {
    const last = [...this.#state.txs].reverse().find((t) => t.status === 'taken' || t.status === 'confirmed');
    const problems = this.problems();
    return {
      nodeReachable: this.#nodeAnswered && !this.conditions.has('node-unavailable'),
      blockHeight: this.#height,
      calendarsAnswering: this.#calendars.filter((c) => c.answering).length,
      delaySeconds: Math.round(this.#s.delayMs / 1000),
      maxFeeSats: this.#s.maxFeePerTx,
      maxFeePerDaySats: this.#s.maxFeePerDay,
      feesPaid24hSats: this.feesLastDay(),
      feesPaidSats: this.#state.totals.feesSats,
      donationsPaid: this.#state.totals.donations,
      refusalsReceived: this.#state.totals.refusals,
      txsUnconfirmed: this.#state.txs.filter((t) => t.status === 'taken' && t.minedHeight === null).length,
      lastPaidTxid: last?.txid ?? null,
      lastPaidAt: last === undefined ? null : new Date(last.builtAt).toISOString(),
      walletBalanceSats: this.#balance,
      problemsText: problems.length === 0 ? null : problems.join('; '),
    };
  }

  /** One public record per calendar, in the order given. */
  calendars(): Array<{ url: string; record: Record<string, string | number | boolean | null> }> {
    return this.#calendars.map((c) => {
      const since = c.offer?.since ?? null;
      return {
        url: c.client.url,
        record: {
          calendarAnswering: c.answering,
          lastAnswerAt: c.lastAnswerAt === null ? null : new Date(c.lastAnswerAt).toISOString(),
          lastError: c.lastError,
          wantedTip: c.offer?.tip ?? null,
          wantedCommitments: c.offer?.commitments ?? 0,
          wantedSinceAt: since,
          paysAt: since === null || c.offer?.tip === null ? null : new Date(Date.parse(since) + this.#s.delayMs).toISOString(),
          decision: c.decision,
          txsTaken: this.#state.txs.filter((t) => t.calendar === c.client.url && (t.status === 'taken' || t.status === 'confirmed')).length,
          lastRefusal: c.lastRefusal,
        },
      };
    });
  }

  registerMetrics(r: Registry): void {
    this.#metrics = {
      donations: r.counter('ots_stamper_donations_total', 'Transactions this stamper paid for that a calendar took, by calendar', { labels: ['calendar'] }),
      refusals: r.counter('ots_stamper_refusals_total', 'Transactions a calendar refused, by calendar and the rule it named', { labels: ['calendar', 'code'] }),
      fees: r.counter('ots_stamper_fees_spent_sats_total', 'Satoshis paid in fees for transactions calendars took'),
    };
    const day = r.gauge('ots_stamper_fees_spent_24h_sats', 'Satoshis paid in fees in the last 24 hours (the daily cap counts these)');
    const answering = r.gauge('ots_stamper_calendar_answering', '1 while the calendar answers its offer, by calendar', { labels: ['calendar'] });
    const unconfirmed = r.gauge('ots_stamper_txs_unconfirmed', 'Transactions of this stamper taken and not yet in a block');
    const node = r.gauge('ots_stamper_node_reachable', '1 while the node answers');
    const balance = r.gauge('ots_stamper_wallet_balance_sats', 'Confirmed wallet balance, satoshis');
    r.beforeRender(() => {
      day.set(this.feesLastDay());
      for (const c of this.#calendars) answering.set(c.answering ? 1 : 0, { calendar: c.client.url });
      unconfirmed.set(this.#state.txs.filter((t) => t.status === 'taken' && t.minedHeight === null).length);
      node.set(this.#nodeAnswered && !this.conditions.has('node-unavailable') ? 1 : 0);
      if (this.#balance !== null) balance.set(this.#balance);
    });
  }

  // ---- the poll ----

  async #pollSafely(): Promise<void> {
    try {
      await this.#pollOnce();
      this.#nodeAnswered = true;
      for (const c of ['node-unavailable', 'node-warmup', 'node-auth', 'node-error', 'wallet-not-loaded', 'state-write', 'internal'] as const) this.conditions.clear(c);
    } catch (err) {
      if (err instanceof StamperStateWriteError) {
        this.conditions.raise('state-write', 'error', `${err.message}; nothing is paid until it can be written`, { err });
        return;
      }
      const { code, level, message } = conditionOf(err, this.#o.rpc.endpoint);
      this.conditions.raise(code, level, message, code === 'internal' ? { err } : {});
      if (code === 'chain-mismatch') this.#halted = true;
      if (code === 'wallet-not-loaded' && this.#o.rpc.wallet !== undefined) await this.#o.rpc.loadWallet(this.#o.rpc.wallet).catch(() => undefined);
    }
  }

  async #pollOnce(): Promise<void> {
    if (this.#halted) return;
    const rpc = this.#o.rpc;
    if (!this.#chainVerified) {
      await checkGenesis(rpc, this.#s.chain);
      this.#chainVerified = true;
    }
    this.#height = await rpc.getBlockCount();
    const [net, pool, balances] = await Promise.all([rpc.getNetworkInfo(), rpc.getMempoolInfo(), rpc.getBalances()]);
    this.#floor = Math.max(net.relayFee, pool.minFee);
    this.#balance = balances.trusted;
    await this.#follow(this.#height);
    for (const c of this.#calendars) {
      if (this.#stopped) return;
      await this.#visit(c);
    }
    if (this.#calendars.some((c) => c.answering)) this.conditions.clear('calendars-unreachable');
    else this.conditions.raise('calendars-unreachable', 'warn', 'no calendar answers its offer (GET /donate)');
    this.#prune();
  }

  /** Step 2: our transactions taken by their calendar, broadcast and followed to their depth. */
  async #follow(height: number): Promise<void> {
    const rpc = this.#o.rpc;
    for (const t of this.#state.txs.filter((x) => x.status === 'taken')) {
      if (!t.broadcast) await this.#broadcast(t);
      let confirmations: number;
      try {
        confirmations = (await rpc.getTransaction(t.txid)).confirmations;
      } catch (err) {
        // -5: the wallet has not seen it (not broadcast yet, or the node lost it): broadcast again next time
        if (!(err instanceof RpcError && err.rpcCode === RPC_CODE.INVALID_ADDRESS_OR_KEY)) throw err;
        if (t.broadcast) this.#set(t, { broadcast: false });
        continue;
      }
      if (confirmations < 0) {
        this.#set(t, { status: 'dropped', minedHeight: null });
        this.#o.log('warn', 'donated transaction dropped: another transaction spent its input', { calendar: t.calendar, txid: t.txid });
      } else if (confirmations >= this.#s.confirmations) {
        this.#set(t, { status: 'confirmed', minedHeight: height - confirmations + 1 });
        this.#o.log('info', 'donated transaction confirmed', { calendar: t.calendar, txid: t.txid, height: height - confirmations + 1, fee: t.fee });
      } else if (confirmations > 0) {
        if (t.minedHeight !== height - confirmations + 1) this.#set(t, { minedHeight: height - confirmations + 1 });
      } else {
        if (t.minedHeight !== null) this.#set(t, { minedHeight: null });
        if ((await rpc.getMempoolEntry(t.txid)) === null) await this.#broadcast(t);
      }
    }
  }

  async #broadcast(t: PaidTx): Promise<void> {
    try {
      await this.#o.rpc.sendRawTransaction(t.raw);
      this.#set(t, { broadcast: true });
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      if (err.rpcCode === RPC_CODE.VERIFY_ALREADY_IN_CHAIN) this.#set(t, { broadcast: true });
      else this.#o.log('warn', 'the node did not take a donated transaction; tried again at the next poll', { calendar: t.calendar, txid: t.txid, reason: err.rpcMessage });
    }
  }

  /** Step 3, for one calendar. */
  async #visit(c: CalendarView): Promise<void> {
    let offer: DonationOffer;
    try {
      offer = await c.client.offer();
    } catch (err) {
      if (!(err instanceof CalendarAnswerError)) throw err;
      if (c.answering) this.#o.log('warn', 'calendar does not answer its offer', { calendar: c.client.url, reason: err.reason });
      c.answering = false;
      c.lastError = err.reason;
      c.decision = err.problem === 'refused' ? 'this calendar takes no donated transactions' : 'the calendar does not answer';
      return;
    }
    c.answering = true;
    c.lastAnswerAt = this.#now();
    c.lastError = null;
    c.offer = offer;
    if (offer.chain !== this.#s.chain.name) {
      c.decision = `the calendar anchors on ${offer.chain}, this stamper on ${this.#s.chain.name}`;
      return;
    }
    for (const t of this.#state.txs.filter((x) => x.calendar === c.client.url && x.status === 'built')) await this.#post(c, t);
    if (offer.tip === null || offer.since === null) {
      c.decision = 'nothing waits for a transaction';
      return;
    }
    if (offer.covered.some((x) => x.tip === offer.tip)) {
      c.decision = 'its tip is covered by another transaction';
      return;
    }
    // one of ours not in a block yet, that the calendar still counts on (one it handed on after its wait, because it
    // was not mined in time, no longer holds up the next)
    const waiting = this.#state.txs.find(
      (t) => t.calendar === c.client.url && open(t) && t.minedHeight === null && (t.status === 'built' || bytesToHex(t.tip) === offer.tip || offer.covered.some((x) => x.txid === t.txid)),
    );
    if (waiting !== undefined) {
      c.decision = bytesToHex(waiting.tip) === offer.tip ? `its tip is covered by our transaction ${waiting.txid}` : `our transaction ${waiting.txid} waits for a block first`;
      return;
    }
    const paysAt = Date.parse(offer.since) + this.#s.delayMs;
    if (this.#now() < paysAt) {
      c.decision = `pays at ${new Date(paysAt).toISOString()} unless another transaction covers it first`;
      return;
    }
    await this.#pay(c, offer, offer.tip);
  }

  async #pay(c: CalendarView, offer: DonationOffer, tipHex: string): Promise<void> {
    const floor = Math.max(this.#floor ?? 0, Math.round((offer.minFeeRateSatPerVb ?? 0) * 1000));
    const rate = offer.feeRateSatPerVb === null ? floor : Math.round(offer.feeRateSatPerVb * 1000);
    const room = Math.min(this.#s.maxFeePerTx, this.#s.maxFeePerDay - this.feesLastDay());
    if (room < feeForVsize(1, floor)) {
      c.decision = 'the daily fee cap is reached';
      this.conditions.raise('daily-cap', 'warn', `daily fee cap reached: ${this.feesLastDay()} of ${this.#s.maxFeePerDay} sats paid in the last 24 hours; paying resumes as they leave it`);
      return;
    }
    const inUse = this.#state.txs.filter(open).map((t) => t.spends);
    const out = await this.#builder.build({ tip: hexToBytes(tipHex), rate, floor, maxFee: room, inUse });
    if (out.kind === 'fee-cap') {
      const daily = out.needed <= this.#s.maxFeePerTx;
      c.decision = daily ? `the daily fee cap leaves ${out.cap} sats, a transaction needs ${out.needed}` : `a transaction needs ${out.needed} sats, the cap per transaction is ${this.#s.maxFeePerTx}`;
      this.conditions.raise(daily ? 'daily-cap' : 'fee-cap', 'warn', c.decision);
      return;
    }
    if (out.kind === 'no-funds') {
      c.decision = 'the wallet has nothing to spend';
      this.conditions.raise('wallet-empty', 'warn', `the wallet cannot pay for a transaction: ${out.detail}`);
      return;
    }
    if (out.kind === 'unfit') {
      c.decision = "the wallet's transaction would break the calendar's rules";
      this.conditions.raise('tx-unfit', 'error', out.detail);
      return;
    }
    for (const code of ['daily-cap', 'fee-cap', 'wallet-empty', 'tx-unfit'] as const) this.conditions.clear(code);
    const t: PaidTx = { calendar: c.client.url, tip: hexToBytes(tipHex), txid: out.txid, raw: out.raw, fee: out.fee, vsize: out.vsize, spends: out.spends, builtAt: this.#now(), status: 'built', refusal: null, broadcast: false, minedHeight: null };
    // saved before it leaves: a restart posts it again instead of paying for the tip a second time
    this.#state.txs.push(t);
    try {
      this.#save();
    } catch (err) {
      this.#state.txs.pop();
      this.#builder.giveBack(t.raw);
      throw err;
    }
    this.#o.log('info', 'transaction built for a calendar\'s tip', { calendar: c.client.url, txid: t.txid, tip: tipHex, commitments: offer.commitments, fee: t.fee, vsize: t.vsize });
    await this.#post(c, t);
  }

  /** Posts a built transaction; taken, it is broadcast too; refused, it is never sent. */
  async #post(c: CalendarView, t: PaidTx): Promise<void> {
    let answer;
    try {
      answer = await c.client.donate(t.raw);
    } catch (err) {
      if (!(err instanceof CalendarAnswerError)) throw err;
      c.lastError = err.reason;
      if (this.#now() - t.builtAt > ABANDON_AFTER_MS) await this.#abandon(t);
      return;
    }
    if (answer.accepted || answer.code === 'already-accepted') {
      this.#set(t, { status: 'taken' });
      this.#state.totals.donations++;
      this.#state.totals.feesSats += t.fee;
      this.#save();
      this.#metrics?.donations.inc({ calendar: c.client.url });
      this.#metrics?.fees.inc(t.fee);
      c.decision = `paid: transaction ${t.txid}`;
      this.#o.log('info', 'donated transaction taken by the calendar', { calendar: c.client.url, txid: t.txid, fee: t.fee, commitments: answer.accepted ? answer.commitments : null });
      await this.#broadcast(t);
      return;
    }
    this.#set(t, { status: 'refused', refusal: `${answer.code}: ${answer.reason}` });
    this.#state.totals.refusals++;
    this.#save();
    this.#builder.giveBack(t.raw);
    c.lastRefusal = `${answer.code}: ${answer.reason}`;
    c.decision = `the calendar refused our transaction (${answer.code})`;
    this.#metrics?.refusals.inc({ calendar: c.client.url, code: answer.code });
    this.#o.log(answer.code === 'tip-covered' || answer.code === 'tip-expired' ? 'info' : 'warn', 'the calendar refused our transaction; it is not broadcast', { calendar: c.client.url, txid: t.txid, code: answer.code, reason: answer.reason });
  }

  /** A built transaction its calendar never answered about: given up, unless the node has it (then the calendar took it). */
  async #abandon(t: PaidTx): Promise<void> {
    try {
      await this.#o.rpc.getTransaction(t.txid);
      this.#set(t, { status: 'taken', broadcast: true });
      this.#state.totals.donations++;
      this.#state.totals.feesSats += t.fee;
    } catch (err) {
      if (!(err instanceof RpcFailure)) throw err;
      this.#set(t, { status: 'abandoned' });
      this.#builder.giveBack(t.raw);
      this.#o.log('warn', 'transaction given up: its calendar did not answer in time; it was never broadcast', { calendar: t.calendar, txid: t.txid });
    }
    this.#save();
  }

  #set(t: PaidTx, change: Partial<PaidTx>): void {
    Object.assign(t, change);
    this.#save();
  }

  /** Finished transactions beyond the bound go, oldest first, once they are out of the daily cap's window. */
  #prune(): void {
    const finished = this.#state.txs.filter((t) => !open(t));
    if (finished.length <= MAX_FINISHED_TXS) return;
    const since = this.#now() - DAY_MS;
    const drop = new Set(finished.slice(0, finished.length - MAX_FINISHED_TXS).filter((t) => t.builtAt <= since));
    if (drop.size === 0) return;
    this.#state.txs = this.#state.txs.filter((t) => !drop.has(t));
    this.#save();
  }

  #save(): void {
    this.#store.save(this.#state);
  }
}
