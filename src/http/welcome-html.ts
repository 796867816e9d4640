/** @module The welcome page's HTML: what this server is, who runs it, how to use it with its own URL, and its live status; static, self-contained, readable without script. */
import type { StatusInfo } from './status-info.js';
import { escapeHtml as esc, formatDuration, formatNumber, httpUrl, isoSeconds, link, parseTime, timeHtml } from './welcome-format.js';
import { recordRows } from './welcome-record.js';
import { WELCOME_CSS } from './welcome-style.js';

const ICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%23a85400'/%3E%3Cpath d='M8 4v4l3 2' stroke='%23fff' stroke-width='1.6' fill='none' stroke-linecap='round'/%3E%3C/svg%3E";

const TITLES: Readonly<Record<string, string>> = {
  calendar: 'OpenTimestamps calendar',
  aggregator: 'OpenTimestamps aggregator',
  mirror: 'OpenTimestamps calendar mirror',
  stamper: 'OpenTimestamps stamper',
};

const OTS = '<a href="https://opentimestamps.org">OpenTimestamps</a>';

/** A definition list; labels and values are HTML, escaped by the caller. */
function rows(entries: Array<[string, string]>): string {
  return `<dl>${entries.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

/** Whether this server takes submissions: a mirror that only serves proofs has no ticks. */
function aggregates(s: StatusInfo): boolean {
  return s.tickMs > 0;
}

function intro(s: StatusInfo): string {
  const upstream = s.upstreams?.[0];
  switch (s.role) {
    case 'aggregator':
      return `<p>This is an ${OTS} aggregator. Every tick it gathers the digests (hashes) submitted to it into one merkle tree and submits the tree's root to its upstream calendars, which commit it to a blockchain. The proofs it returns are pending on those calendars, and are upgraded from them.</p>`;
    case 'stamper':
      return `<p>This is an ${OTS} stamper. It pays, from its own wallet, for the ${s.chain === undefined ? '' : `${esc(s.chain)} `}transactions of the calendars below: each advertises the merkle tip of the commitments it wants timestamped, and once they have waited this stamper's delay it builds a transaction for that tip which meets the calendar's rules, posts it to the calendar and broadcasts it. It serves no proofs.</p>`;
    case 'mirror':
      return `<p>This is a mirror of the ${OTS} calendar${upstream ? ` <code>${esc(upstream)}</code>` : ''}. It follows that calendar's journal as it is written, checks it, and serves the same proofs, so upgrades keep working when the calendar is busy or away.</p>`;
    default:
      if (s.chain === undefined) {
        return `<p>This is an ${OTS} calendar. Every tick it gathers the digests (hashes) submitted to it into one commitment and stores that durably. <strong>Anchoring is off:</strong> this calendar does not put its commitments into any blockchain, so the proofs it issues stay pending here; stamp with other calendars too (<code>-c A -c B</code>) to get complete proofs.</p>`;
      }
      return `<p>This is an ${OTS} calendar. Every tick it gathers the digests (hashes) submitted to it into one commitment, stores that durably, and from time to time commits all pending commitments to the ${esc(s.chain)} blockchain in one transaction. A finished proof shows that your data existed before that block, and checking it needs only ${esc(s.chain)} block headers, not this server.</p>`;
  }
}

/** "a Bitcoin block", "a Litecoin regtest block", or the calendar's chain when this server does not know it. */
function blockWord(s: StatusInfo): string {
  return s.chain === undefined ? "a block of the calendar's chain" : `a ${esc(s.chain)} block`;
}

function usage(s: StatusInfo): string {
  if (s.role === 'stamper') return '';
  const uri = esc(s.uri);
  const upstream = s.upstreams?.[0] === undefined ? undefined : esc(s.upstreams[0]);
  const commands: string[] = [];
  if (aggregates(s)) commands.push(`ots stamp -c ${uri} -m 1 FILE`);
  if (s.role === 'mirror') commands.push(`ots upgrade -c ${uri} FILE.ots`);
  else if (s.role === 'aggregator') commands.push(upstream ? `ots -l ${upstream} upgrade FILE.ots` : 'ots upgrade FILE.ots');
  else commands.push(`ots -l ${uri} upgrade FILE.ots`);
  commands.push(`ots -l ${s.role === 'calendar' ? uri : (upstream ?? uri)} verify FILE.ots`);
  const js: string[] = ["const ots = require('opentimestamps');"];
  if (aggregates(s)) {
    js.push('const file = ots.DetachedTimestampFile.fromBytes(', '  new ots.Ops.OpSHA256(), bytes);', `await ots.stamp(file, { calendars: ['${uri}'], m: 1 });`, 'const otsBytes = file.serializeToBytes();');
  } else {
    js.push('const file = ots.DetachedTimestampFile.deserialize(otsBytes);');
  }
  js.push(`await ots.upgrade(file, { calendars: ['${s.role === 'aggregator' ? (upstream ?? uri) : uri}'] });`);
  return `<h2 id="use">Use it</h2>
<h3>Command line (<code>pip install opentimestamps-client</code>)</h3>
<pre><code>${commands.join('\n')}</code></pre>
<p class="note">${upgradeNote(s)}${aggregates(s) ? ' Stamp with more than one calendar (<code>-c A -c B -m 2</code>) so that no single one matters.' : ''}</p>
<h3>JavaScript (<code>npm install opentimestamps</code>)</h3>
<pre><code>${js.join('\n')}</code></pre>
<p class="note">Browsers may call this server from any origin (CORS).</p>`;
}

function upgradeNote(s: StatusInfo): string {
  const stamping = aggregates(s) ? 'Stamping writes <code>FILE.ots</code> at once; the' : 'The';
  if (s.role === 'calendar' && s.chain === undefined) return `${aggregates(s) ? 'Stamping writes <code>FILE.ots</code> at once. ' : ''}No upgrade from this calendar completes while its anchoring is off.`;
  return `${stamping} upgrade succeeds once the commitment is in ${blockWord(s)} with enough confirmations (hours). Verifying needs a node of that chain (pruned is fine; <code>--bitcoin-node URL</code> if it is not local).`;
}

function status(s: StatusInfo, now: Date): string {
  const entries: Array<[string, string]> = [
    ['Software', `${esc(s.software)} ${esc(s.version)}`],
    ['Role', esc(s.role)],
  ];
  if (s.operator) entries.push(['Operator', esc(s.operator)]);
  const started = parseTime(s.startedAt);
  entries.push(['Running since', started ? timeHtml(started, now) : `${esc(s.startedAt)} <span class="age">(up ${formatDuration(s.uptimeSeconds)})</span>`]);
  if (s.role !== 'stamper') entries.push(['Commitments', formatNumber(s.commitments)]);
  if (s.chain !== undefined) entries.push(['Chain', esc(s.chain)]);
  if (s.pendingCommitments !== undefined) {
    const waiting = s.chain !== undefined ? `waiting for a ${esc(s.chain)} transaction` : s.role === 'calendar' ? 'anchoring is off: they stay pending' : 'not yet anchored';
    entries.push(['Pending commitments', `${formatNumber(s.pendingCommitments)} <span class="note">${waiting}</span>`]);
  }
  if (aggregates(s)) {
    entries.push(['Digests since start', `${formatNumber(s.digests)} <span class="note">in ${formatNumber(s.ticks)} ticks</span>`]);
    const last = s.lastTickAt === null ? undefined : parseTime(s.lastTickAt);
    entries.push(['Last tick', last ? timeHtml(last, now) : s.lastTickAt === null ? '<span class="note">none yet</span>' : esc(s.lastTickAt)]);
    entries.push(['Tick interval', s.tickMs % 1000 === 0 ? `${s.tickMs / 1000} s` : `${formatNumber(s.tickMs)} ms`]);
    entries.push(['Waiting for the next tick', `${formatNumber(s.queued)} digests`]);
  }
  if (s.lagSeconds !== undefined) entries.push(['Behind upstream', formatDuration(s.lagSeconds)]);
  return `<h2 id="status">Status</h2>\n${rows(entries)}`;
}

function records(s: StatusInfo, now: Date): string {
  const explorer = httpUrl(s.explorerUrl);
  let html = '';
  if (s.anchoring && Object.keys(s.anchoring).length > 0) html += `<h2 id="anchoring">${esc(s.chain ?? 'Blockchain')} anchoring</h2>\n${rows(recordRows(s.anchoring, explorer, now))}\n`;
  for (const st of s.anchoringStrategies ?? []) html += `<h3>${esc(strategyTitle(st.kind, st.name))}</h3>\n${rows(recordRows(st.record, explorer, now))}\n`;
  if (s.recentAnchors && s.recentAnchors.length > 0) {
    const items = s.recentAnchors.map((a) => {
      const at = parseTime(a.at);
      const block = a.height === null ? '' : ` in block ${a.height}`;
      return `<li>${formatNumber(a.commitments)} commitments${block}, by ${esc(a.by)}, ${at ? timeHtml(at, now) : esc(a.at)}; ${paidByHtml(a, explorer)}</li>`;
    });
    html += `<h3>Latest anchors</h3>\n<ul>${items.join('')}</ul>\n`;
  }
  if (s.mirror && Object.keys(s.mirror).length > 0) html += `<h2 id="mirroring">Mirroring</h2>\n${rows(recordRows(s.mirror, explorer, now))}\n`;
  if (s.aggregator && Object.keys(s.aggregator).length > 0) html += `<h2 id="submitting">Submitting to calendars</h2>\n${rows(recordRows(s.aggregator, explorer, now))}\n`;
  if (s.stamper && Object.keys(s.stamper).length > 0) html += `<h2 id="paying">Paying for calendars' transactions</h2>\n${rows(recordRows(s.stamper, explorer, now))}\n`;
  for (const c of s.stamperCalendars ?? []) html += `<h3>Calendar ${link(httpUrl(c.url), `<code>${esc(c.url)}</code>`)}</h3>\n${rows(recordRows(c.record, explorer, now))}\n`;
  return html;
}

/** Who paid for an anchor's transaction, and what this calendar did not pay. */
function paidByHtml(a: NonNullable<StatusInfo['recentAnchors']>[number], explorer: string | undefined): string {
  const tx = a.txid !== null && /^[0-9a-f]{64}$/.test(a.txid) ? ` (transaction ${link(explorer && `${explorer}/tx/${a.txid}`, `<code>${a.txid}</code>`)})` : '';
  const saved = a.feeNotPaidSats === null || a.feeNotPaidSats === 0 ? '' : `, ${formatNumber(a.feeNotPaidSats)} sats this calendar did not pay`;
  if (a.paidBy === 'wallet') return `paid by this calendar's own wallet${tx}`;
  if (a.paidBy === 'upstream') return `paid by a master calendar${saved}`;
  if (a.paidBy === 'external') return `paid by a donor${tx}${saved}`;
  return `paid by ${esc(a.paidBy)}`;
}

/** How a strategy is introduced: the wallet pays itself, a master calendar pays for this calendar's commitments. */
function strategyTitle(kind: string, name: string): string {
  if (kind === 'wallet') return "This calendar's own wallet";
  if (kind === 'upstream') return `A master calendar pays (${name})`;
  if (kind === 'external') return 'Donated transactions';
  return name;
}

function urlList(urls: string[]): string {
  return `<ul>${urls.map((u) => `<li>${link(httpUrl(u), `<code>${esc(u)}</code>`)}</li>`).join('')}</ul>`;
}

function network(s: StatusInfo): string {
  let html = '';
  if (s.upstreams && s.upstreams.length > 0) {
    html += `<h2 id="upstreams">${s.role === 'mirror' ? 'Mirrored calendar' : s.role === 'stamper' ? 'Calendars it pays for' : 'Upstream calendars'}</h2>\n${urlList(s.upstreams)}\n`;
  }
  if (s.mirrors && s.mirrors.length > 0) {
    html += `<h2 id="mirrors">Mirrors</h2>\n<p>These servers follow this calendar's journal and serve the same proofs.</p>\n${urlList(s.mirrors)}\n`;
  }
  return html;
}

function lightning(s: StatusInfo): string {
  if (!s.lightningInvoice) return '';
  return `<h2 id="donate">Support this calendar</h2>
<p>Bitcoin transactions cost fees. Donations over Lightning: ${link(`lightning:${s.lightningInvoice}`, 'open in a wallet')}</p>
<pre><code>${esc(s.lightningInvoice)}</code></pre>
`;
}

function api(s: StatusInfo): string {
  const entries: Array<[string, string]> = [];
  if (aggregates(s)) entries.push(['<code>POST /digest</code>', 'body: the raw digest (at most 64 bytes); answer: its pending proof']);
  if (s.role !== 'aggregator') entries.push(['<code>GET /timestamp/<i>hex</i></code>', 'the proof onward from a commitment; 404 with the reason while pending']);
  if (s.role === 'calendar') entries.push(['<code>GET /tip</code>', s.chain === undefined ? 'the merkle tip of a transaction being built (none while anchoring is off)' : `the merkle tip waiting for a ${esc(s.chain)} transaction`]);
  if (s.role === 'calendar' && (s.anchoringStrategies ?? []).some((x) => x.kind === 'external')) {
    entries.push(['<code>GET <a href="/donate">/donate</a></code>', 'which tip this calendar wants a donated transaction for, since when, what it would pay itself and when, and the rules a transaction must meet (JSON)']);
    entries.push(['<code>POST /donate</code>', 'body: a raw transaction (witness included) paying for that tip; 200 when taken, 400 with the rule it breaks']);
  }
  entries.push(['<code>GET <a href="/status">/status</a></code>', 'this status as JSON']);
  return `<h2 id="api">HTTP API</h2>\n${rows(entries)}`;
}

/** The whole page for `s`, with times aged relative to `now`. */
export function renderWelcome(s: StatusInfo, now: Date): string {
  const title = TITLES[s.role] ?? `OpenTimestamps ${s.role}`;
  const at = isoSeconds(now);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(title)} ${esc(s.uri)}</title>
<link rel="icon" href="${ICON}">
<style>${WELCOME_CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(title)}</h1>
<p class="url"><code>${esc(s.uri)}</code></p>
${s.operator ? `<p>Run by ${esc(s.operator)}</p>` : ''}
</header>
${intro(s)}
${usage(s)}
${status(s, now)}
${records(s, now)}${network(s)}${lightning(s)}${api(s)}
<footer>Status as of <time datetime="${at}">${at}</time>; reload for fresh values. The same data as JSON: <a href="/status">/status</a>.</footer>
</main>
</body>
</html>
`;
}
