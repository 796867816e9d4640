/** @module The calendar's metrics: intake, ticks, journal, index and HTTP latency, plus gauges any other part adds. */
import { Registry, routeOf, type Histogram, type Counter } from './metrics.js';
import type { HttpRequest, HttpResponse } from './types.js';

/** The journal's gauges are left out where there is no journal (a stand-alone aggregator). */
export interface CalendarMetricsSources {
  commitments?: () => number;
  pendingCommitments?: () => number | undefined;
  journalRecords?: () => number;
  journalBytes?: () => number | undefined;
  queued: () => number;
  /** A numeric anchoring status value by key (booleans as 0/1), when anchoring runs. */
  anchoring: ((key: string) => number | undefined) | undefined;
}

export interface CalendarMetrics extends TickObserver {
  registry: Registry;
  onRequest(req: HttpRequest, res: HttpResponse, ms: number): void;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000];

/** What an aggregator reports per tick. */
export interface TickObserver {
  onTick(info: { digests: number; ms: number }): void;
  onTickFailed(): void;
}

/** The aggregator's counters, in any registry (the calendar's, or a mirror's that takes digests). */
export function tickMetrics(r: Registry): TickObserver {
  const digests: Counter = r.counter('ots_digests_total', 'Digests acknowledged (their commitment durable)');
  const ticks: Counter = r.counter('ots_ticks_total', 'Aggregator ticks that committed a merkle root');
  const tickFailures: Counter = r.counter('ots_tick_failures_total', 'Ticks whose commitment could not be stored (their digests got 503)');
  const batch: Histogram = r.histogram('ots_tick_batch_size', 'Digests per tick', BATCH_BUCKETS);
  const tickSeconds: Histogram = r.histogram('ots_tick_duration_seconds', 'Time to build a tick\'s tree and make its commitment durable', LATENCY_BUCKETS);
  return {
    onTick: ({ digests: n, ms }) => {
      digests.inc({}, n);
      ticks.inc();
      batch.observe(n);
      tickSeconds.observe(ms / 1000);
    },
    onTickFailed: () => tickFailures.inc(),
  };
}

export function calendarMetrics(src: CalendarMetricsSources): CalendarMetrics {
  const r = new Registry();
  const tick = tickMetrics(r);
  if (src.commitments) r.gauge('ots_commitments', 'Commitments in the journal', src.commitments);
  if (src.pendingCommitments) r.gauge('ots_pending_commitments', 'Commitments not yet anchored', src.pendingCommitments);
  if (src.journalRecords) r.gauge('ots_journal_records', 'Records in the journal', src.journalRecords);
  if (src.journalBytes) r.gauge('ots_journal_bytes', 'Bytes of journal on disk', src.journalBytes);
  r.gauge('ots_queued_digests', 'Digests waiting for the next tick', src.queued);
  const a = src.anchoring;
  if (a) {
    r.gauge('ots_anchor_node_reachable', '1 while the Bitcoin node answers', () => a('nodeReachable'));
    r.gauge('ots_anchor_block_height', 'Height of the last block the stamper processed', () => a('blockHeight'));
    r.gauge('ots_anchor_unconfirmed_versions', 'Versions (RBF replacements) of the transaction being confirmed', () => a('unconfirmedVersions'));
    r.gauge('ots_anchor_unconfirmed_fee_sats', 'Fee of the newest unconfirmed version, in satoshis', () => a('unconfirmedFee'));
    r.gauge('ots_anchor_unconfirmed_fee_rate_sat_per_vb', 'Fee rate of the newest unconfirmed version', () => a('unconfirmedSatPerVb'));
    r.gauge('ots_anchor_txs_waiting_for_confirmations', 'Mined transactions waiting for the confirmation depth', () => a('txsWaitingForConfirmation'));
    r.gauge('ots_anchor_confirmations_required', 'Confirmation depth before a proof is complete', () => a('confirmations'));
    r.gauge('ots_anchor_wallet_empty', '1 while the wallet has nothing to spend', () => a('walletEmpty'));
    r.gauge('ots_anchor_fee_cap_reached', '1 while the fee policy\'s cap blocks a replacement', () => a('feeCapReached'));
    r.gauge('ots_anchor_wallet_balance_sats', 'Wallet balance in satoshis', () => a('walletBalanceSats'));
    r.gauge('ots_anchor_rpc_errors_total', 'Failed calls to the Bitcoin node since start', () => a('rpcErrors'));
  }
  const requests: Counter = r.counter('ots_http_requests_total', 'HTTP requests by route, method and status');
  const latency: Histogram = r.histogram('ots_http_request_duration_seconds', 'HTTP request latency by route and status', LATENCY_BUCKETS);
  return {
    registry: r,
    onTick: tick.onTick,
    onTickFailed: tick.onTickFailed,
    onRequest: (req, res, ms) => {
      const labels = { route: routeOf(req.path), status: String(res.status) };
      requests.inc({ ...labels, method: req.method });
      latency.observe(ms / 1000, labels);
    },
  };
}
