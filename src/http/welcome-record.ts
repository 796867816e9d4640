/** @module How the welcome page shows a flat status record (anchoring, mirroring): labels from the keys, units, times and explorer links from the key endings (see StatusInfo.anchoring). */
import type { StatusValue } from './status-info.js';
import { escapeHtml as esc, formatDuration, formatNumber, labelOf, link, parseTime, timeHtml } from './welcome-format.js';

const HEX64 = /^[0-9a-f]{64}$/i;
const UNIT = /(Sats|SatVb|_sats|_sat_vb)$/;
const TIME = /(At|Time|_at|_time)$/;

type Unit = 'sats' | 'sat/vB' | 'seconds';

/**
 * How the page names the keys of the records it knows (anchoring, mirroring, submitting), with their units; a
 * key mapped to null is not shown (it is for machines, or shown elsewhere on the page). Keys it does not know
 * are labelled from their spelling (`recordLabel`).
 */
export const FIELD_LABELS: Readonly<Record<string, { label: string; unit?: Unit } | null>> = {
  // anchoring as a whole (src/anchor/anchoring.ts)
  strategies: { label: 'Who pays, in the order tried' },
  lastAnchorBy: { label: 'Last anchored by' },
  lastAnchorAt: { label: 'Last anchor' },
  duplicateAnchorsDropped: { label: 'Complete anchors not recorded (another came first)' },
  feesNotPaidSats: { label: 'Fees this calendar did not pay', unit: 'sats' },
  // the wallet strategy (src/anchor/stamper-status.ts)
  anchoring: { label: 'Kind' },
  chain: null,
  nodeReachable: { label: 'Node answering' },
  blockHeight: { label: 'Latest block seen' },
  lastBlockHash: { label: 'Latest block' },
  pendingCommitments: { label: 'Commitments waiting for a transaction' },
  unconfirmedTxid: { label: 'Transaction waiting to be mined' },
  unconfirmedVersions: { label: 'Versions of it (each a higher fee)' },
  unconfirmedFee: { label: 'Its fee', unit: 'sats' },
  unconfirmedSatPerVb: { label: 'Its fee rate', unit: 'sat/vB' },
  unconfirmedCommitments: { label: 'Commitments in it' },
  tip: { label: 'Its merkle tip' },
  txsWaitingForConfirmation: { label: 'Mined transactions waiting for confirmations' },
  txsBackInMempool: { label: 'Transactions back in the mempool after a reorg' },
  confirmations: { label: 'Confirmations before a proof is final' },
  anchorsWatched: { label: 'Recent anchors watched for reorgs' },
  lastAnchorTxid: { label: 'Last anchoring transaction' },
  lastAnchorHeight: { label: 'Last anchor, block height' },
  nextTxAt: { label: 'Next transaction' },
  walletBalanceSats: { label: 'Wallet balance', unit: 'sats' },
  walletEmpty: { label: 'Wallet empty' },
  feeCapReached: { label: 'Fee cap reached' },
  problems: null,
  problemsText: { label: 'Problems' },
  rpcErrors: { label: 'Failed calls to the node since start' },
  // the upstream strategy (src/anchor/upstream-strategy.ts)
  master: { label: 'Master calendar' },
  masterAnswering: { label: 'Master answering' },
  submissionsWaiting: { label: 'Tips waiting for its proof' },
  commitmentsSubmitted: { label: 'Commitments in them' },
  submissionsLate: { label: 'Tips past the timeout, still asked about' },
  lastSubmittedAt: { label: 'Last tip submitted' },
  lastProofSeconds: { label: 'Last proof took', unit: 'seconds' },
  lastError: { label: 'Last error' },
  anchorsFromMaster: { label: "Anchors through the master's transactions" },
  // donated transactions (src/anchor/external-strategy.ts)
  offeredTip: { label: 'Tip offered to donors' },
  offeredCommitments: { label: 'Commitments under it' },
  offeredSinceAt: { label: 'Offered since' },
  selfPayAt: { label: 'This calendar pays itself from' },
  selfFeeRateSatVb: { label: 'Fee rate it would pay itself now', unit: 'sat/vB' },
  donatedTxsWaiting: { label: 'Donated transactions waiting for confirmations' },
  donationsTaken: { label: 'Donated transactions taken since start' },
  donationsRefused: { label: 'Posted transactions refused since start' },
  lastRefusal: { label: 'Last refusal' },
  lastDonationTxid: { label: 'Last donated transaction' },
  anchorsFromDonations: { label: 'Anchors through donated transactions' },
  // the stamper role (src/stamper/stamper.ts): the whole, then each calendar
  calendarsAnswering: { label: 'Calendars answering' },
  delaySeconds: { label: 'Pays once a commitment has waited', unit: 'seconds' },
  maxFeeSats: { label: 'Most one transaction pays', unit: 'sats' },
  maxFeePerDaySats: { label: 'Most all transactions of 24 hours pay', unit: 'sats' },
  feesPaid24hSats: { label: 'Fees paid in the last 24 hours', unit: 'sats' },
  feesPaidSats: { label: 'Fees paid in all', unit: 'sats' },
  donationsPaid: { label: 'Transactions paid for, taken by their calendar' },
  refusalsReceived: { label: 'Transactions refused by a calendar' },
  txsUnconfirmed: { label: 'Transactions waiting for a block' },
  lastPaidTxid: { label: 'Last transaction paid for' },
  lastPaidAt: { label: 'Last paid' },
  calendarAnswering: { label: 'Answering' },
  lastAnswerAt: { label: 'Last answer' },
  wantedTip: { label: 'Tip it wants a transaction for' },
  wantedCommitments: { label: 'Commitments under it' },
  wantedSinceAt: { label: 'Waiting since' },
  paysAt: { label: 'This stamper pays at' },
  decision: { label: 'Last decision' },
  txsTaken: { label: 'Transactions it took from this stamper' },
  // mirroring (src/cli/mirror-command.ts)
  protocol: { label: 'Follows through' },
  state: { label: 'State' },
  following: { label: 'Following' },
  records: { label: 'Records held, verified' },
  upstreamRecords: { label: 'Records the calendar holds' },
  attestationsChecked: { label: 'Attestations checked against a node' },
  failureCode: { label: 'Stopped by (code)' },
  failure: { label: 'Stopped by' },
  // submitting (src/cli/aggregator-command.ts); calendarN… below
  required: { label: 'Calendars that must acknowledge a tick' },
  reachable: { label: 'Calendars that acknowledged the last tick' },
};

/** The aggregator's per-calendar keys: calendar1, calendar1Acknowledged, … */
const CALENDAR_KEY = /^calendar(\d+)(Acknowledged|Failures|LastError)?$/;
const CALENDAR_SUFFIX: Readonly<Record<string, string>> = { '': '', Acknowledged: ': ticks acknowledged', Failures: ': ticks not acknowledged', LastError: ': last error' };

function known(key: string): { label: string; unit?: Unit } | null | undefined {
  if (Object.hasOwn(FIELD_LABELS, key)) return FIELD_LABELS[key];
  const m = CALENDAR_KEY.exec(key);
  return m ? { label: `Calendar ${m[1]}${CALENDAR_SUFFIX[m[2] ?? ''] ?? ''}` } : undefined;
}

/** Keys of a record that the page would label only from their spelling (a test keeps this empty for our own records). */
export function unlabelledKeys(record: Readonly<Record<string, StatusValue>>): string[] {
  return Object.keys(record).filter((k) => known(k) === undefined);
}

/** "walletBalanceSats" → "Wallet balance", "lastAnchorAt" → "Last anchor". */
export function recordLabel(key: string): string {
  const k = known(key);
  if (k) return k.label;
  return labelOf(key.replace(UNIT, '').replace(/(At|_at)$/, '')) || key;
}

/** One value as HTML; `explorer` is an http(s) base URL for links, or undefined for none. */
export function recordValue(key: string, value: StatusValue, explorer: string | undefined, now: Date): string {
  if (value === null) return '<span class="note">none</span>';
  const unit = known(key)?.unit;
  if (unit === 'seconds' && typeof value === 'number') return formatDuration(value);
  if (unit !== undefined && typeof value === 'number') return `${formatNumber(value)} ${unit}`;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  const k = key.toLowerCase();
  if (TIME.test(key)) {
    const d = parseTime(value);
    if (d) return timeHtml(d, now);
  }
  if (typeof value === 'number') {
    if (/sats$/.test(k)) return `${formatNumber(value)} sats`;
    if (/(satvb|sat_vb)$/.test(k)) return `${formatNumber(value)} sat/vB`;
    return /height$/.test(k) ? String(value) : formatNumber(value);
  }
  const code = `<code>${esc(value)}</code>`;
  if (/txid$/.test(k) && HEX64.test(value)) return link(explorer && `${explorer}/tx/${value.toLowerCase()}`, code);
  if (/block_?hash$/.test(k) && HEX64.test(value)) return link(explorer && `${explorer}/block/${value.toLowerCase()}`, code);
  if (/address$/.test(k) && /^[0-9A-Za-z]+$/.test(value)) return link(explorer && `${explorer}/address/${value}`, code);
  if (/invoice$/.test(k)) return link(`lightning:${value}`, code);
  return /^[0-9a-f]{16,}$/i.test(value) ? code : esc(value);
}

/** The record's entries in key order, as [label HTML, value HTML] rows. */
export function recordRows(record: Readonly<Record<string, StatusValue>>, explorer: string | undefined, now: Date): Array<[string, string]> {
  return Object.entries(record)
    .filter(([k]) => known(k) !== null)
    .map(([k, v]) => [esc(recordLabel(k)), recordValue(k, v, explorer, now)]);
}
