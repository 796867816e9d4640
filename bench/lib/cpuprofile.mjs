/** Reads a V8 .cpuprofile (node --cpu-prof) and lists the functions with the most self time. */
import { readFileSync } from 'node:fs';

export function topSelfTime(file, limit = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const perNode = new Map();
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    perNode.set(id, (perNode.get(id) ?? 0) + (deltas[i] ?? 0));
  }
  const perFunction = new Map();
  let total = 0;
  for (const [id, us] of perNode) {
    const frame = nodes.get(id).callFrame;
    const where = frame.url ? `${frame.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/')}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    perFunction.set(key, (perFunction.get(key) ?? 0) + us);
    total += us;
  }
  const busy = total - (perFunction.get('(idle)') ?? 0);
  return {
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    top: [...perFunction]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([fn, us]) => ({ fn, ms: Math.round(us / 1000), percentOfBusy: Math.round((1000 * us) / busy) / 10 })),
  };
}

/**
 * The share of busy time spent with a frame whose script URL matches `pattern` anywhere on the stack:
 * the whole cost of a part of the code, callees included (e.g. the metrics: every call into the registry,
 * prom-client and the observers, from wherever it is made).
 */
export function inclusiveShare(file, pattern) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map();
  const matches = (id) => {
    if (id === undefined) return false;
    if (memo.has(id)) return memo.get(id);
    const m = pattern.test(nodes.get(id).callFrame.url) || matches(parent.get(id));
    memo.set(id, m);
    return m;
  };
  const deltas = profile.timeDeltas ?? [];
  let busy = 0;
  let inside = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]);
    if (node.callFrame.functionName === '(idle)') continue;
    const us = deltas[i] ?? 0;
    busy += us;
    if (matches(node.id)) inside += us;
  }
  return { busyMs: Math.round(busy / 1000), ms: Math.round(inside / 1000), percentOfBusy: Math.round((1000 * inside) / busy) / 10 };
}

/** The metrics code: the registry and process metrics (dist/metrics), each part's metrics module, and prom-client. */
export const METRICS_CODE = /\/node_modules\/prom-client\/|\/dist\/metrics\/|\/dist\/[a-z]+\/(request-)?metrics\.js$/;
