/**
 * Benchmark of taking over a reference calendar, on the built code (run `npm run build` first):
 *   1. the independent writer (test/fixtures/otsd_calendar.py bench, python3-plyvel) lays out an otsd
 *      calendar directory with BENCH_TAKEOVER_COMMITMENTS commitments (1,000,000) in BENCH_TAKEOVER_TXS
 *      transactions (100), every transaction's nodes in one synced LevelDB batch as the reference writes them;
 *   2. baseline: one pass over every key and value of that LevelDB (classic-level, a fresh node process each),
 *      with the options the import opens it with (maxOpenFiles 74, 256 kB steps, fillCache false) and, for
 *      comparison, with LevelDB's defaults: time and the scan process's peak RSS;
 *   3. `ots-calendar import-otsd` into an empty data directory: wall time (target ≤ 60 s), its ratio to the
 *      first baseline, its CPU seconds, and its peak RSS (VmHWM, polled every 50 ms; target ≤ 300 MB), with its
 *      anonymous and file-backed parts (LevelDB reads its tables through mmap, which shows as file-backed RSS);
 *      the time of each phase, from the progress lines.
 * Usage: `node bench/takeover.mjs` prints the figures as JSON; `runTakeoverBench()` returns them.
 * Knobs: BENCH_TAKEOVER_COMMITMENTS, BENCH_TAKEOVER_TXS, BENCH_KEEP=1 keeps the directories.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuSecondsOf, memoryOf, runToEnd, spawnTracked } from './lib/procs.mjs';
import { CLI, REPO, cliNode } from './lib/servers.mjs';

const MB = 1024 * 1024;
const WRITER = join(REPO, 'test', 'fixtures', 'otsd_calendar.py');

/**
 * One sequential pass over the database, the least any reader of it must do; argv: the database, then the options
 * as JSON ({} for LevelDB's defaults). Prints entries, bytes, seconds and the process's peak RSS.
 */
const SCAN = `
import { readFileSync } from 'node:fs';
const { ClassicLevel } = await import('classic-level');
const o = JSON.parse(process.argv[2]);
const db = new ClassicLevel(process.argv[1], { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false, ...(o.maxOpenFiles ? { maxOpenFiles: o.maxOpenFiles } : {}) });
await db.open();
const t0 = performance.now();
const it = db.iterator({ ...(o.highWaterMarkBytes ? { highWaterMarkBytes: o.highWaterMarkBytes } : {}), ...(o.fillCache === false ? { fillCache: false } : {}) });
let n = 0, bytes = 0;
for (;;) { const b = await it.nextv(1000); if (b.length === 0) break; for (const [k, v] of b) { n++; bytes += k.length + v.length; } }
await it.close();
const seconds = (performance.now() - t0) / 1000;
const peakRss = Number(/^VmHWM:\\s+(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
await db.close();
process.stdout.write(JSON.stringify({ entries: n, bytes, seconds, peakRss }) + '\\n');
`;
/** The options import-otsd opens the reference database and reads it with (src/takeover/reference-db.ts). */
const IMPORT_SCAN = { maxOpenFiles: 74, highWaterMarkBytes: 256 << 10, fillCache: false };

async function scan(dbPath, options) {
  const r = await runToEnd(process.execPath, ['--input-type=module', '-e', SCAN, dbPath, JSON.stringify(options)], { cwd: REPO, timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`database scan exited ${r.code}: ${r.stderr.slice(-1000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

/** Seconds from the start to the last progress line of each phase, in the order the phases began. */
function phaseEnds(lines, startedAt) {
  const ends = new Map();
  for (const l of lines) {
    if (typeof l.done !== 'number' || typeof l.time !== 'string') continue;
    ends.set(l.msg, Math.round((Date.parse(l.time) - startedAt) / 100) / 10);
  }
  return Object.fromEntries(ends);
}

/** Anonymous and file-backed resident memory now (LevelDB maps its table files, so reading them shows as the latter). */
function rssParts(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return { anon: NaN, file: NaN };
  }
}

async function timedWithPeak(command, args) {
  const started = performance.now();
  const startedAt = Date.now();
  const child = spawnTracked(command, args);
  let peak = 0;
  let cpu = 0;
  let peakAnon = 0;
  let fileAtPeak = 0;
  const poll = setInterval(() => {
    const m = memoryOf(child.pid);
    if (Number.isFinite(m.peakRss)) peak = Math.max(peak, m.peakRss);
    const c = cpuSecondsOf(child.pid);
    if (Number.isFinite(c)) cpu = Math.max(cpu, c);
    const p = rssParts(child.pid);
    if (Number.isFinite(p.anon) && p.anon > peakAnon) {
      peakAnon = p.anon;
      fileAtPeak = p.file;
    }
  }, 50);
  const { code } = await child.exited;
  clearInterval(poll);
  return { code, seconds: (performance.now() - started) / 1000, startedAt, cpuSeconds: cpu, peakRss: peak, peakAnon, fileAtPeak, ...child.output() };
}

export async function runTakeoverBench() {
  const commitments = Number(process.env.BENCH_TAKEOVER_COMMITMENTS || 1_000_000);
  const txs = Number(process.env.BENCH_TAKEOVER_TXS || 100);
  const work = mkdtempSync(join(tmpdir(), 'ots-calendar-takeover-bench-'));
  try {
    const from = join(work, 'otsd-calendar');
    const gen = await runToEnd('/usr/bin/python3', [WRITER, 'bench', from, String(commitments), String(txs)], { timeoutMs: 900_000 });
    if (gen.code !== 0) throw new Error(`otsd_calendar.py bench exited ${gen.code}: ${gen.stderr.slice(-1000)}`);
    const du = await runToEnd('du', ['-sb', join(from, 'db')]);
    const base = await scan(join(from, 'db'), IMPORT_SCAN);
    const defaults = await scan(join(from, 'db'), {});
    const dataDir = join(work, 'data');
    const [node, ...flags] = cliNode();
    const args = [...flags, CLI, 'import-otsd', '--from', from, '--data-dir', dataDir, '--log-format', 'json'];
    const imp = await timedWithPeak(node, args);
    if (imp.code !== 0) throw new Error(`import-otsd exited ${imp.code}: ${imp.stderr.slice(-2000)}`);
    const lines = imp.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const done = lines.find((o) => o.msg === 'import-otsd: done');
    const read = lines.find((o) => o.msg === 'the reference database is read');
    return {
      figures: [
        { label: 'baseline: one pass over the reference LevelDB (every key and value), opened as the import opens it (maxOpenFiles 74)', value: base.seconds, unit: 's' },
        { label: 'baseline peak RSS; the same pass with LevelDB defaults (maxOpenFiles 1000): time, peak RSS', value: `${Math.round(base.peakRss / MB)} MB; ${defaults.seconds.toFixed(1)} s, ${Math.round(defaults.peakRss / MB)}`, unit: 'MB' },
        { label: `import-otsd, ${commitments.toLocaleString('en-US')} commitments in ${txs} transactions`, value: imp.seconds, unit: 's', target: { op: '<=', value: 60 }, ratio: imp.seconds / base.seconds },
        { label: 'import-otsd CPU (user + system, all threads)', value: imp.cpuSeconds, unit: 's' },
        { label: 'import-otsd peak RSS (VmHWM)', value: imp.peakRss / MB, unit: 'MB', target: { op: '<=', value: 300 } },
        { label: 'import-otsd peak anonymous RSS (heap, buffers, tables), file-backed RSS then', value: `${Math.round(imp.peakAnon / MB)} / ${Math.round(imp.fileAtPeak / MB)}`, unit: 'MB' },
        { label: 'import-otsd rate', value: commitments / imp.seconds, unit: 'commitments/s' },
      ],
      details: {
        commitments,
        transactions: txs,
        databaseEntries: base.entries,
        databaseBytes: Number(du.stdout.split(/\s/)[0]),
        writerSeconds: Math.round((gen.ms / 1000) * 10) / 10,
        anchors: done?.anchors,
        readByKey: read?.readByKey,
        phaseEndSeconds: phaseEnds(lines, imp.startedAt),
        baselineDefaults: { seconds: defaults.seconds, peakRssMB: Math.round(defaults.peakRss / MB) },
        command: ['node', ...args].join(' ').replaceAll(work, '$WORK'),
        note: 'the database was just written, so it is in the page cache; the import also builds the index',
      },
    };
  } finally {
    if (process.env.BENCH_KEEP === '1') process.stderr.write(`data kept in ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify(await runTakeoverBench(), null, 2) + '\n');
}
