/** @module How the welcome page shows a flat status record (anchoring, mirroring): labels from the keys, units, times and explorer links from the key endings (see StatusInfo.anchoring). */
import type { StatusValue } from './status-info.js';
import { escapeHtml as esc, formatNumber, labelOf, link, parseTime, timeHtml } from './welcome-format.js';

const HEX64 = /^[0-9a-f]{64}$/i;
const UNIT = /(Sats|SatVb|_sats|_sat_vb)$/;
const TIME = /(At|Time|_at|_time)$/;

/** "walletBalanceSats" → "Wallet balance", "lastAnchorAt" → "Last anchor". */
export function recordLabel(key: string): string {
  return labelOf(key.replace(UNIT, '').replace(/(At|_at)$/, '')) || key;
}

/** One value as HTML; `explorer` is an http(s) base URL for links, or undefined for none. */
export function recordValue(key: string, value: StatusValue, explorer: string | undefined, now: Date): string {
  if (value === null) return '<span class="note">none</span>';
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
  return Object.entries(record).map(([k, v]) => [esc(recordLabel(k)), recordValue(k, v, explorer, now)]);
}
