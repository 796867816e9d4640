#!/usr/bin/env node
/**
 * `npm run bench`: the calendar's performance figures against their targets, on this machine, with the
 * load generator (wrk) on the same cores. Prints a table and writes bench/results/latest.json and
 * bench/results/latest.md. Run after `npm run build` (the npm script does both).
 *
 * Environment knobs (defaults in parentheses):
 *   BENCH_ONLY=2,4         run only these parts (all)
 *   BENCH_SECONDS          length of each measured wrk run (8)
 *   BENCH_WARMUP           length of each warm-up run (2)
 *   BENCH_COMMITMENTS      commit records in the anchored journal (1000000)
 *   BENCH_MAX_CONNECTIONS  connections for part 3 (10000, capped by the open-file limit)
 *   BENCH_GET_CONNECTIONS  connections for the GET /timestamp runs (100)
 *   BENCH_PROFILE=1        also write CPU profiles of the calendar to bench/results/profiles
 *   BENCH_KEEP=1           keep the temporary data directories
 *   BENCH_CURVE_SIZES      part 9 (only with BENCH_ONLY=9): calendar sizes in commitments (1000000,10000000,30000000)
 *   BENCH_CURVE_MIRROR_SECONDS  part 9: longest mirror catch-up measured per size, else its first this many seconds (180)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fdLimit, runToEnd } from './lib/procs.mjs';
import { markdownTable, textTable, figure } from './lib/report.mjs';
import { REPO } from './lib/servers.mjs';
import { digestPart } from './parts/digest.mjs';
import { timestampPart } from './parts/timestamp.mjs';
import { buildAnchoredDataset, bytesPart, memoryPart, reindexPart, startupPart } from './parts/storage.mjs';
import { externalPart } from './parts/external.mjs';
import { takeoverPart } from './parts/takeover.mjs';
import { costCurvePart } from './parts/cost-curve.mjs';

const env = process.env;
const num = (name, dflt) => (env[name] === undefined || env[name] === '' ? dflt : Number(env[name]));
const only = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined;
const wanted = (id) => !only || only.has(id) || only.has(id.replace(/[a-z]$/, ''));
/** Parts that run only when BENCH_ONLY names them (they take long and write gigabytes). */
const OPT_IN = new Set(['9']);
const curveSizes = (env.BENCH_CURVE_SIZES || '1000000,10000000,30000000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0).sort((a, b) => a - b);

function log(msg) {
  process.stderr.write(`${msg}\n`);
}

function readOr(path, dflt) {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return dflt;
  }
}

async function systemDeps() {
  const r = await runToEnd('bash', [join(REPO, 'scripts', 'system-deps.sh'), 'bench'], { timeoutMs: 900_000 });
  if (r.code !== 0) log(`system-deps.sh bench exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-500)}`);
  const wrk = await runToEnd('bash', ['-c', 'command -v wrk']);
  if (wrk.code !== 0) throw new Error('wrk is not installed (apt-get install wrk) and could not be installed here');
}

async function main() {
  if (!existsSync(join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  log('checking system packages (scripts/system-deps.sh bench)');
  await systemDeps();
  const limit = await fdLimit();
  const workDir = mkdtempSync(join(tmpdir(), 'ots-calendar-bench-'));
  try {
    await runAll(limit, workDir);
  } finally {
    if (env.BENCH_KEEP === '1') log(`data kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

async function runAll(limit, workDir) {
  const resultsDir = join(REPO, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const ctx = {
    seconds: num('BENCH_SECONDS', 8),
    warmupSeconds: num('BENCH_WARMUP', 2),
    commitments: num('BENCH_COMMITMENTS', 1_000_000),
    anchorEvery: 3_600,
    pendingCommitments: 100_000,
    getConnections: num('BENCH_GET_CONNECTIONS', 100),
    getDistinct: 100_000,
    getHot: 5_000,
    maxConnections: Math.min(num('BENCH_MAX_CONNECTIONS', 10_000), limit - 500),
    fdLimit: limit,
    profile: env.BENCH_PROFILE === '1',
    profileDir: join(resultsDir, 'profiles'),
    workDir,
    log,
  };
  const wrkVersion = (await runToEnd('wrk', ['-v'])).stdout.split('\n')[0];
  const machine = {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    wrk: wrkVersion.replace(/ Copyright.*/, '').trim(),
    openFileLimit: limit,
    somaxconn: Number(readOr('/proc/sys/net/core/somaxconn', 'NaN')),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
  const head = await runToEnd('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']);
  const dirty = await runToEnd('git', ['-C', REPO, 'status', '--porcelain', '--', 'src']);
  const build = { commit: head.stdout.trim() || 'unknown', uncommittedSourceFiles: dirty.stdout.split('\n').filter(Boolean).length };
  log(`machine: ${machine.nproc} × ${machine.cpu}, node ${machine.node}, ${machine.wrk}, open files ${limit}, load ${machine.loadAverageAtStart.join(' ')}`);

  const parts = new Map();
  const baselines = [];
  const run = async (id, title, fn, always = false) => {
    if (!always && !wanted(id)) return;
    if (OPT_IN.has(id) && !only?.has(id)) return;
    log(`\n[${id}] ${title}`);
    const started = performance.now();
    try {
      const r = await fn();
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      // a shared machine: the 1-minute load average says how much else was running meanwhile
      const loadAverage = Math.round(loadavg()[0] * 100) / 100;
      parts.set(id, { id, title, status: r.status ?? 'ok', seconds, loadAverage, ...r });
      if (r.status === 'not available') log(`  not available: ${r.reason}`);
      for (const f of r.figures ?? []) log(`  ${f.label}: ${typeof f.value === 'number' ? Math.round(f.value * 1000) / 1000 : f.value} ${f.unit}`);
      log(`  (${seconds} s)`);
      return r;
    } catch (err) {
      log(`  failed: ${err?.stack ?? err}`);
      parts.set(id, { id, title, status: 'failed', error: String(err?.message ?? err) });
      return undefined;
    }
  };
  const splitBaseline = (r, what) => {
    if (!r) return r;
    const [base, ...rest] = r.figures;
    baselines.push(figure(what, base.value, base.unit));
    return { ...r, figures: rest };
  };

  await run('2', 'POST /digest, tick 100 ms, 2,000 keep-alive connections', async () =>
    splitBaseline(
      await digestPart(ctx, { id: '2', tickMs: 100, connections: 2_000, targets: { okPerSecond: 20_000, p99Ms: 350, ratio: 0.5 } }),
      'POST, wrk -t1 -c2000 (part 2 settings)',
    ),
  );
  await run('2b', 'POST /digest through a stand-alone aggregator in front of the calendar (both tick 100 ms), 2,000 connections', async () =>
    splitBaseline(await digestPart(ctx, { id: '2b', tickMs: 100, connections: 2_000, via: 'aggregator' }), 'POST, wrk -t1 -c2000 (part 2b settings)'),
  );
  await run('3', `POST /digest, tick 1 s, ${ctx.maxConnections.toLocaleString('en-US')} keep-alive connections`, async () =>
    splitBaseline(await digestPart(ctx, { id: '3', tickMs: 1_000, connections: ctx.maxConnections }), `POST, wrk -t1 -c${ctx.maxConnections} (part 3 settings)`),
  );

  let dataset;
  const needData = ['4', '5', '6a', '6b'].some(wanted);
  if (needData) {
    await run('setup', 'anchored journal for parts 4, 5 and 6', async () => {
      dataset = await buildAnchoredDataset(ctx);
      return { status: 'setup', figures: [] };
    }, true);
    parts.delete('setup');
  }
  if (dataset) {
    // reindex builds the index that parts 4, 5 and 6b use, so it runs whenever any of them does
    const reindex = await run('6a', 'reindex of the anchored journal', () => reindexPart(ctx, dataset), true);
    if (!reindex && !wanted('6a')) throw new Error('reindex failed');
    if (!wanted('6a')) parts.delete('6a');
    await run('5', 'bytes on disk per anchored commitment', async () => bytesPart(ctx, dataset));
    await run('6b', 'startup time to the first answer', () => startupPart(ctx, dataset));
    await run('4', 'GET /timestamp of complete proofs', async () =>
      splitBaseline(await timestampPart(ctx, dataset), `GET /timestamp cycling, wrk -t1 -c${ctx.getConnections} (part 4 settings)`),
    );
  }
  await run('6c', 'memory with 100,000 pending commitments', () => memoryPart(ctx));
  await run('7a', 'bench/ots.mjs: runOtsBench()', () => externalPart(ctx, 'ots.mjs', 'runOtsBench'));
  await run('7b', 'bench/anchor.mjs: runAnchorBench()', () => externalPart(ctx, 'anchor.mjs', 'runAnchorBench'));
  await run('7c', 'bench/mirror.mjs: runMirrorBench()', () => externalPart(ctx, 'mirror.mjs', 'runMirrorBench'));
  await run('8', 'import-otsd of a reference calendar directory (bench/takeover.mjs)', () => takeoverPart());
  await run('9', `cost curve: calendars of ${curveSizes.map((n) => n.toLocaleString('en-US')).join(', ')} commitments`, () =>
    costCurvePart(ctx, { sizes: curveSizes, mirrorSeconds: num('BENCH_CURVE_MIRROR_SECONDS', 180) }),
  );
  if (baselines.length > 0) parts.set('1', { id: '1', title: 'bare node:http baseline (fixed 200-byte body)', status: 'ok', figures: baselines });

  machine.loadAverageAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  const order = ['1', '2', '2b', '3', '4', '5', '6a', '6b', '6c', '7a', '7b', '7c', '8', '9'];
  const list = order.filter((id) => parts.has(id)).map((id) => parts.get(id));
  const result = {
    finishedAt: new Date().toISOString(),
    build,
    machine,
    settings: {
      wrkThreads: 1,
      seconds: ctx.seconds,
      warmupSeconds: ctx.warmupSeconds,
      commitments: ctx.commitments,
      commitmentsPerAnchor: ctx.anchorEvery,
      pendingCommitments: ctx.pendingCommitments,
      part3Connections: ctx.maxConnections,
      getConnections: ctx.getConnections,
      getDistinct: ctx.getDistinct,
      getHot: ctx.getHot,
      ...(parts.has('9') ? { curveSizes } : {}),
      profiled: ctx.profile,
    },
    parts: list,
  };
  writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
  const commands = list
    .flatMap((p) => [p.details?.wrkCommand, p.details?.calendarCommand, p.details?.aggregatorCommand, p.details?.command].filter(Boolean).map((c) => `- part ${p.id}: \`${c.replaceAll(workDir, '$WORK')}\``))
    .join('\n');
  writeFileSync(
    join(resultsDir, 'latest.md'),
    `# Benchmark run ${result.finishedAt}\n\ncommit ${build.commit}${build.uncommittedSourceFiles ? ` + ${build.uncommittedSourceFiles} uncommitted files under src/` : ''}; ${machine.nproc} × ${machine.cpu}, node ${machine.node}, ${machine.wrk}; load average ${machine.loadAverageAtStart.join(' ')} at start, ${machine.loadAverageAtEnd.join(' ')} at end\n\n${markdownTable(list)}\n\n${commands}\n`,
  );
  process.stdout.write(`\n${textTable(list)}\n\nload average: ${machine.loadAverageAtStart.join(' ')} at start, ${machine.loadAverageAtEnd.join(' ')} at end\n`);
  process.stdout.write(`results: bench/results/latest.json, bench/results/latest.md\n`);
}

main().catch((err) => {
  log(`bench failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
});
