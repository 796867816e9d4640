/** @module GET / and GET /status: what this calendar is and how it is doing, as HTML for people and JSON for machines. */
import { CACHE } from './cache-policy.js';
import type { HttpRequest, HttpResponse } from './types.js';

export interface StatusInfo {
  software: string;
  version: string;
  role: string;
  uri: string;
  operator?: string;
  startedAt: string;
  uptimeSeconds: number;
  commitments: number;
  digests: number;
  ticks: number;
  tickMs: number;
  lastTickAt: string | null;
  queued: number;
  anchoring?: Record<string, string | number | boolean | null>;
}

export type StatusSource = () => StatusInfo;

export function statusPage(source: StatusSource, req: HttpRequest, jsonOnly: boolean): HttpResponse {
  const info = source();
  const accept = String(req.headers['accept'] ?? '');
  const wantsJson = jsonOnly || (/\bapplication\/json\b/i.test(accept) && !/\btext\/html\b/i.test(accept));
  const headers: Record<string, string> = { 'cache-control': CACHE.status, vary: 'Accept' };
  if (wantsJson) {
    return { status: 200, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(info, null, 2) + '\n' };
  }
  return {
    status: 200,
    headers: {
      ...headers,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
    },
    body: renderHtml(info),
  };
}

function esc(s: string | number | boolean | null | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderHtml(s: StatusInfo): string {
  const rows: Array<[string, string | number | null]> = [
    ['Role', s.role],
    ['Version', `${s.software} ${s.version}`],
    ['Up since', s.startedAt],
    ['Commitments in the journal', s.commitments],
    ['Digests aggregated since start', s.digests],
    ['Last tick', s.lastTickAt ?? 'none yet'],
    ['Tick interval', `${s.tickMs} ms`],
  ];
  for (const [k, v] of Object.entries(s.anchoring ?? {})) rows.push([k, v === null ? 'none' : String(v)]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>OpenTimestamps calendar ${esc(s.uri)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:1rem auto;padding:0 1rem;color:#222}code,pre{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px;overflow-x:auto}table{border-collapse:collapse;width:100%}td{padding:.25rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}td:first-child{color:#555;width:45%}</style>
</head><body>
<h1>OpenTimestamps calendar</h1>
<p>This is an <a href="https://opentimestamps.org">OpenTimestamps</a> calendar server at <code>${esc(s.uri)}</code>${s.operator ? `, run by ${esc(s.operator)}` : ''}. It aggregates the digests it receives into one Bitcoin transaction and serves each submitter the proof from its digest to a Bitcoin block header.</p>
<h2>Use it</h2>
<pre>ots stamp -c ${esc(s.uri)} -m 1 FILE
ots -l ${esc(s.uri)} upgrade FILE.ots
ots -l ${esc(s.uri)} verify FILE.ots</pre>
<h2>Status</h2>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
<p><a href="/status">This status as JSON</a></p>
</body></html>
`;
}
