/**
 * Part 7: the library and anchoring benchmarks kept in bench/ots.mjs and bench/anchor.mjs. Each is run
 * when its file exists and exports its function; its figures are reported as it returns them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { figure } from '../lib/report.mjs';
import { runToEnd } from '../lib/procs.mjs';
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

/**
 * Calls the exported function in a fresh node process, so its time and memory figures are its own and
 * not those of a runner that already held the other parts' data.
 */
export async function externalPart(ctx, file, exportName) {
  const path = join(REPO, 'bench', file);
  if (!existsSync(path)) return { status: 'not available', reason: `bench/${file} does not exist` };
  const script = [
    `const m = await import(${JSON.stringify(pathToFileURL(path).href)});`,
    `if (typeof m[${JSON.stringify(exportName)}] !== 'function') { process.stdout.write('BENCH_MISSING\\n'); process.exit(0); }`,
    `const r = await m[${JSON.stringify(exportName)}]();`,
    `process.stdout.write('BENCH_RESULT ' + JSON.stringify(r) + '\\n');`,
  ].join('\n');
  const r = await runToEnd(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO, timeoutMs: 600_000 });
  const lines = r.stdout.split('\n');
  if (lines.includes('BENCH_MISSING')) return { status: 'not available', reason: `bench/${file} does not export ${exportName}()` };
  const line = lines.find((l) => l.startsWith('BENCH_RESULT '));
  if (r.code !== 0 || !line) throw new Error(`${exportName}() failed (exit ${r.code}): ${r.stderr.slice(-1500)}`);
  const result = JSON.parse(line.slice('BENCH_RESULT '.length));
  const figures = flatten(result).map(([k, v]) => figure(k, typeof v === 'number' ? v : String(v), ''));
  return { status: 'ok', figures, details: { result, seconds: Math.round(r.ms / 100) / 10 } };
}
