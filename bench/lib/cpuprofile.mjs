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
