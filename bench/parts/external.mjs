/**
 * Part 7: the library and anchoring benchmarks kept in bench/ots.mjs and bench/anchor.mjs. Each is run
 * when its file exists and exports its function; its figures are reported as it returns them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { figure } from '../lib/report.mjs';
import { REPO } from '../lib/servers.mjs';

/** Flattens nested figures into "a.b.c" → number rows (strings and booleans kept as they are). */
function flatten(value, prefix = '', out = []) {
  if (value === null || value === undefined) return out;
  if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else {
    out.push([prefix, value]);
  }
  return out;
}

export async function externalPart(ctx, file, exportName) {
  const path = join(REPO, 'bench', file);
  if (!existsSync(path)) return { status: 'not available', reason: `bench/${file} does not exist` };
  const mod = await import(pathToFileURL(path).href);
  if (typeof mod[exportName] !== 'function') return { status: 'not available', reason: `bench/${file} does not export ${exportName}()` };
  const started = performance.now();
  const result = await mod[exportName]();
  const seconds = (performance.now() - started) / 1000;
  const figures = flatten(result).map(([k, v]) => figure(k, typeof v === 'number' ? v : String(v), ''));
  return { status: 'ok', figures, details: { result, seconds: Math.round(seconds * 10) / 10 } };
}
