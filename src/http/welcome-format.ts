/** @module How the welcome page writes values: HTML escaping, counts, UTC ISO times with their age, durations, and status keys as labels. */

export type Scalar = string | number | boolean | null;

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: Scalar | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 1234567 → "1,234,567"; non-integers keep up to two decimals. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const [int = '0', frac] = (Number.isInteger(n) ? String(Math.abs(n)) : Math.abs(n).toFixed(2).replace(/\.?0+$/, '')).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${frac === undefined ? '' : `.${frac}`}`;
}

/** "2026-11-23T14:05:09Z": UTC, to the second. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** 42 → "42 s", 3725 → "1 h 2 min", 200000 → "2 d 7 h": the two largest units. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const units: Array<[number, string]> = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor((s % 86_400) / 3_600), 'h'],
    [Math.floor((s % 3_600) / 60), 'min'],
    [s % 60, 's'],
  ];
  const first = units.findIndex(([n]) => n > 0);
  if (first < 0) return '0 s';
  return units
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(' ');
}

/** How long ago (or how far ahead) `then` is from `now`, in the largest whole unit: "3 min ago", "in 2 h". */
export function formatAge(then: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - then.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 2) return 'just now';
  const [n, unit] =
    abs < 60 ? [abs, 's'] : abs < 3_600 ? [Math.floor(abs / 60), 'min'] : abs < 86_400 ? [Math.floor(abs / 3_600), 'h'] : [Math.floor(abs / 86_400), abs < 172_800 ? 'day' : 'days'];
  return seconds >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

/**
 * A time value from a status record: an ISO 8601 string, or a unix time in seconds (as Bitcoin
 * reports block times). Anything else is not a time.
 */
export function parseTime(value: Scalar): Date | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    const d = new Date(value * 1000);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

/** A `<time>` element with the UTC ISO time, followed by its age. */
export function timeHtml(d: Date, now: Date): string {
  const iso = isoSeconds(d);
  return `<time datetime="${iso}">${iso}</time> <span class="age">(${formatAge(d, now)})</span>`;
}

const WORDS: Readonly<Record<string, string>> = { txid: 'transaction', tx: 'transaction', txs: 'transactions', btc: 'BTC', url: 'URL', uri: 'URI' };

/**
 * A status key as a label: "lastAnchorHeight" → "Last anchor height", "current_txid" → "Current transaction",
 * "calendar2Failures" → "Calendar 2 failures".
 */
export function labelOf(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([a-z])([0-9])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .map((w) => WORDS[w] ?? w);
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An http(s) URL without trailing slashes, or undefined for anything else (which is then shown as text, never linked). */
export function httpUrl(url: string | undefined): string | undefined {
  if (url === undefined || !/^https?:\/\/[^\s"'<>]+$/i.test(url)) return undefined;
  return url.replace(/\/+$/, '');
}

/** `html` inside a link to `href`, or `html` alone when there is no href. */
export function link(href: string | undefined, html: string): string {
  return href === undefined ? html : `<a href="${escapeHtml(href)}">${html}</a>`;
}
