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
  entries.push(['Commitments', formatNumber(s.commitments)]);
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
      return `<li>${formatNumber(a.commitments)} commitments${block}, by ${esc(a.by)}, ${at ? timeHtml(at, now) : esc(a.at)}</li>`;
    });
    html += `<h3>Latest anchors</h3>\n<ul>${items.join('')}</ul>\n`;
  }
  if (s.mirror && Object.keys(s.mirror).length > 0) html += `<h2 id="mirroring">Mirroring</h2>\n${rows(recordRows(s.mirror, explorer, now))}\n`;
  if (s.aggregator && Object.keys(s.aggregator).length > 0) html += `<h2 id="submitting">Submitting to calendars</h2>\n${rows(recordRows(s.aggregator, explorer, now))}\n`;
  return html;
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
    html += `<h2 id="upstreams">${s.role === 'mirror' ? 'Mirrored calendar' : 'Upstream calendars'}</h2>\n${urlList(s.upstreams)}\n`;
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
