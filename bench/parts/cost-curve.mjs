/**
 * Part 9, the cost curve of a calendar that runs for years: for journals of growing size (1M, 10M and 30M
 * commitments by default, an anchor every 3,600), what one more commitment costs on disk, and how reindex,
 * startup, GET /timestamp of proofs the caches do not hold, memory and a new mirror's catch-up scale with it.
 * Each size's data directory is written through the product's journal, measured, and removed (BENCH_KEEP=1
 * keeps them).
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { figure } from '../lib/report.mjs';
import { CLI, cliNode, httpGet, jsonLine } from '../lib/servers.mjs';
import { freePort, memoryOf, runToEnd, sleep, spawnTracked, stopProcess } from '../lib/procs.mjs';
import { buildDataDir, diskUsage, sampleHex } from '../lib/synth.mjs';
import { runWrk, summarize } from '../lib/wrk.mjs';
import { profileArgs, profileSummary, shownCommand } from './common.mjs';
import { mean, measureBare } from './digest.mjs';
import { startupOnce } from './storage.mjs';

const MB = 2 ** 20;
/** The size the startup, memory and GET targets are stated for. */
const TARGET_SIZE = 30_000_000;

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (n) => n.toLocaleString('en-US');

/** The Prometheus samples named in `names` (no labels) from the calendar's GET /metrics, in bytes; {} if it fails. */
async function metricsOf(url, names = ['nodejs_heap_size_used_bytes', 'process_resident_memory_bytes']) {
  try {
    const r = await httpGet(`${url}/metrics`, 5_000);
    if (r.status !== 200) return {};
    const text = r.body.toString('utf8');
    const out = {};
    for (const name of names) {
      const m = new RegExp(`^${name}(?:\\{\\})? ([0-9.e+]+)`, 'm').exec(text);
      if (m) out[name] = Number(m[1]);
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * Reads every file under `dirs` once, in 4 MiB reads, and returns the seconds it took: the GET run then measures
 * the calendar with its files in the page cache (as on a machine with memory for them), not what the page cache
 * happened to keep since they were written (this machine's dropped 30M's files once, and GET fell tenfold).
 */
function readThrough(dirs) {
  const started = performance.now();
  const buf = Buffer.allocUnsafe(4 << 20);
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const fd = openSync(p, 'r');
        try {
          while (readSync(fd, buf, 0, buf.length, null) > 0);
        } finally {
          closeSync(fd);
        }
      }
    }
  };
  for (const d of dirs) walk(d);
  return (performance.now() - started) / 1000;
}

/** The page cache's size now (Cached in /proc/meminfo), in bytes; NaN where there is none to read. */
function pageCacheBytes() {
  try {
    const m = /^Cached:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** `ots-calendar reindex` as the operator runs it; returns the seconds it reports and the whole process time. */
async function reindex(dir, records) {
  const [node, ...flags] = cliNode();
  const args = [...flags, CLI, 'reindex', '--data-dir', dir, '--log-format', 'json'];
  // about 10 s a million records would be slow; allow far more before calling it hung
  const r = await runToEnd(node, args, { timeoutMs: Math.max(600_000, (records / 1e6) * 60_000) });
  if (r.code !== 0) throw new Error(`reindex exited ${r.code}: ${r.stderr.slice(-1000)}${r.stdout.slice(-1000)}`);
  const done = r.stdout
    .split('\n')
    .map((l) => jsonLine(l, 'index rebuilt'))
    .find(Boolean);
  return { seconds: done?.seconds ?? NaN, processSeconds: r.ms / 1000, command: shownCommand(['node', ...args].join(' '), { dataDir: dir }) };
}

/**
 * A new `ots-calendar mirror` from an empty data directory following `upstream`: until its "caught up" line,
 * or `windowSeconds`, whichever comes first. Rate = records it reports done / seconds since spawn.
 */
async function mirrorCatchUp(ctx, upstream, dataDir, totalRecords, windowSeconds) {
  const port = await freePort();
  const [node, ...flags] = cliNode();
  const args = [...flags, CLI, 'mirror', '--upstream', upstream, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), '--log-format', 'json', '--poll-wait-ms', '15000'];
  const t0 = performance.now();
  const child = spawnTracked(node, args);
  let last = { done: 0, atMs: 0 };
  let caughtUpMs = NaN;
  let lastLogged = 0;
  let resolveDone;
  const finished = new Promise((r) => (resolveDone = r));
  child.onLine((l) => {
    const at = performance.now() - t0;
    const p = jsonLine(l, 'catching up with the upstream');
    if (p) {
      last = { done: p.done, atMs: at, perSecond: p.perSecond };
      if (at - lastLogged >= 30_000) {
        lastLogged = at;
        ctx.log(`    mirror: ${fmt(p.done)} of ${fmt(p.total)} records after ${Math.round(at / 1000)} s`);
      }
      return;
    }
    const c = jsonLine(l, 'caught up with the upstream');
    if (c) {
      caughtUpMs = at;
      last = { done: c.records, atMs: at };
      resolveDone();
    }
  });
  const timer = setTimeout(resolveDone, windowSeconds * 1000);
  let memory;
  const died = child.exited.then(({ code }) => {
    throw new Error(`mirror exited ${code}: ${child.output().stderr.slice(-1000)}`);
  });
  // once measured, the mirror is stopped: that exit is no failure
  died.catch(() => undefined);
  try {
    await Promise.race([finished, died]);
    memory = memoryOf(child.pid);
  } finally {
    clearTimeout(timer);
    await stopProcess(child);
  }
  const full = Number.isFinite(caughtUpMs);
  return {
    full,
    records: last.done,
    totalRecords,
    seconds: last.atMs / 1000,
    recordsPerSecond: last.atMs > 0 ? last.done / (last.atMs / 1000) : NaN,
    mirrorReportedPerSecond: last.perSecond,
    mirrorPeakRssMB: Math.round(memory.peakRss / MB),
    windowSeconds,
    command: shownCommand(['node', ...args].join(' '), { dataDir, port }),
  };
}

/** One size: write, reindex, measure, remove. Returns its figures (labels prefixed with the size) and details. */
async function measureSize(ctx, n, opts) {
  const dir = join(ctx.workDir, `curve-${n}`);
  const label = (s) => `${fmt(n)} commitments: ${s}`;
  const atTarget = n === TARGET_SIZE;
  try {
    ctx.log(`  ${fmt(n)} commitments: writing the journal (an anchor every ${fmt(ctx.anchorEvery)})`);
    let nextLog = 2_000_000;
    const built = await buildDataDir(dir, {
      commitments: n,
      anchorEvery: ctx.anchorEvery,
      onProgress: (done, total, s) => {
        if (done >= nextLog && done < total) {
          ctx.log(`    ${fmt(done)} of ${fmt(total)} written, ${Math.round(s)} s`);
          nextLog += 2_000_000;
        }
      },
    });
    const records = n + built.anchors;
    ctx.log(`    written in ${built.seconds.toFixed(1)} s (${(built.seconds / (n / 1e6)).toFixed(1)} s a million)`);

    ctx.log('    reindex');
    const re = await reindex(dir, records);
    ctx.log(`    reindex: ${re.seconds} s as it reports`);
    const journal = diskUsage(join(dir, 'journal'));
    const index = diskUsage(join(dir, 'index'));

    const many = sampleHex(built.all, ctx.getDistinct);
    const hexFile = join(dir, 'timestamps-distinct.txt');
    writeFileSync(hexFile, many.join('\n') + '\n');
    const settings = { threads: 1, connections: ctx.getConnections, seconds: ctx.seconds, timeout: 10, script: 'get-timestamps.lua', fdLimit: ctx.fdLimit };
    ctx.log(`    baseline (bare node:http), -c${settings.connections}`);
    const before = await measureBare(ctx, settings, { path: '/timestamp/', env: { BENCH_HEX_FILE: hexFile } });

    ctx.log('    startup, 3 times');
    const probe = many[0];
    const runs = [];
    for (let i = 0; i < 2; i++) runs.push(await startupOnce(dir, probe));
    // the third start stays up for the memory, GET and mirror measurements
    const kept = await startupOnce(dir, probe, { keep: true });
    runs.push(kept);
    const cal = kept.child;
    let idle;
    let idleMetrics;
    let run;
    let load;
    let mirror;
    try {
      await sleep(1000);
      idle = memoryOf(cal.pid);
      idleMetrics = await metricsOf(kept.url);
      ctx.log(`    startup ${Math.round(median(runs.map((r) => r.firstAnswerMs)))} ms; idle RSS ${Math.round(idle.rss / MB)} MB`);

      const warmSeconds = readThrough([join(dir, 'journal'), join(dir, 'index')]);
      ctx.log(`    journal and index read once into the page cache: ${warmSeconds.toFixed(1)} s`);
      ctx.log(`    GET /timestamp, ${fmt(many.length)} distinct complete proofs, -c${settings.connections}`);
      await runWrk(`${kept.url}/timestamp/`, { ...settings, seconds: ctx.warmupSeconds }, { env: { BENCH_HEX_FILE: hexFile } });
      // RSS and heap sampled while wrk runs
      let sampling = true;
      load = { maxRss: 0, maxHeapUsed: NaN, maxMetricsRss: NaN };
      const sampler = (async () => {
        while (sampling) {
          load.maxRss = Math.max(load.maxRss, memoryOf(cal.pid).rss || 0);
          const m = await metricsOf(kept.url);
          if (m.nodejs_heap_size_used_bytes !== undefined) load.maxHeapUsed = Math.max(Number.isNaN(load.maxHeapUsed) ? 0 : load.maxHeapUsed, m.nodejs_heap_size_used_bytes);
          if (m.process_resident_memory_bytes !== undefined) load.maxMetricsRss = Math.max(Number.isNaN(load.maxMetricsRss) ? 0 : load.maxMetricsRss, m.process_resident_memory_bytes);
          await sleep(500);
        }
      })();
      run = await runWrk(`${kept.url}/timestamp/`, settings, { env: { BENCH_HEX_FILE: hexFile }, serverPid: cal.pid });
      sampling = false;
      await sampler;
      load.end = memoryOf(cal.pid);
      load.warmSeconds = warmSeconds;
      load.pageCacheEnd = pageCacheBytes();
      ctx.log(`    ${Math.round(run.okPerSecond)} req/s, RSS ${Math.round(load.end.rss / MB)} MB (peak ${Math.round(load.end.peakRss / MB)} MB)`);

      ctx.log(`    mirror catch-up from an empty data dir (full, or the first ${opts.mirrorSeconds} s)`);
      mirror = await mirrorCatchUp(ctx, kept.url, join(dir, 'mirror'), records, opts.mirrorSeconds);
      ctx.log(`    mirror: ${fmt(mirror.records)} records in ${mirror.seconds.toFixed(1)} s${mirror.full ? ' (caught up)' : ''}`);
    } finally {
      await stopProcess(cal);
    }

    let profile;
    if (ctx.profile) {
      const name = `cost-curve-startup-${n}`;
      ctx.log('    startup once more, with a CPU profile');
      await startupOnce(dir, probe, { nodeArgs: profileArgs(ctx, name) });
      profile = profileSummary(ctx, name);
    }

    ctx.log('    baseline again');
    const after = await measureBare(ctx, settings, { path: '/timestamp/', env: { BENCH_HEX_FILE: hexFile } });
    const baseline = mean([before.requestsPerSecond, after.requestsPerSecond]);
    const first = median(runs.map((r) => r.firstAnswerMs));
    const mirrorHow = mirror.full ? `full catch-up, ${fmt(mirror.records)} records in ${mirror.seconds.toFixed(0)} s` : `first ${mirror.seconds.toFixed(0)} s, ${fmt(mirror.records)} of ${fmt(records)} records`;
    const figures = [
      figure(label('journal + index on disk per commitment'), (journal.apparent + index.apparent) / n, 'B', { target: { op: '<=', value: 100 } }),
      figure(label('reindex (as it reports)'), re.seconds, 's'),
      figure(label('startup: spawn to first GET /timestamp answer (median of 3)'), first, 'ms', atTarget ? { target: { op: '<=', value: 500 } } : {}),
      figure(label('  spawn to "journal open" log line (median of 3)'), median(runs.map((r) => r.marks['journal open'] ?? NaN)), 'ms'),
      figure(label('RSS idle, 1 s after the first answer'), idle.rss / MB, 'MB', atTarget ? { target: { op: '<=', value: 150 } } : {}),
      figure(label('  V8 heap used idle (/metrics)'), (idleMetrics.nodejs_heap_size_used_bytes ?? NaN) / MB, 'MB'),
      figure(label('bare node:http, same wrk settings and script (mean of 2 runs)'), baseline, 'req/s'),
      figure(label('journal and index read once before the GET runs (page cache warm-up)'), load.warmSeconds, 's'),
      figure(label(`GET /timestamp, ${fmt(many.length)} distinct complete proofs (cache misses)`), run.okPerSecond, 'req/s', { ratio: run.okPerSecond / baseline }),
      figure(label('  p99 latency'), run.p99Us / 1000, 'ms'),
      figure(label('  non-200 responses'), run.statusErrors, ''),
      figure(label(`  page cache at its end (Cached in /proc/meminfo; the journal and index are ${fmt(Math.round((journal.apparent + index.apparent) / MB))} MB)`), load.pageCacheEnd / MB, 'MB'),
      figure(label('RSS under that GET load (at its end)'), load.end.rss / MB, 'MB'),
      figure(label('  RSS under that GET load (highest sample, every 0.5 s)'), load.maxRss / MB, 'MB'),
      figure(label('  peak RSS up to then (VmHWM)'), load.end.peakRss / MB, 'MB'),
      figure(label('  V8 heap used under that load (highest /metrics sample)'), load.maxHeapUsed / MB, 'MB'),
      figure(label(`mirror catch-up (${mirrorHow})`), mirror.recordsPerSecond, 'records/s'),
    ];
    return {
      n,
      getPerSecond: run.okPerSecond,
      getRatio: run.okPerSecond / baseline,
      figures,
      details: {
        commitments: n,
        anchors: built.anchors,
        records,
        writeSeconds: Math.round(built.seconds * 10) / 10,
        journalBytes: journal.apparent,
        indexBytes: index.apparent,
        journalFiles: journal.byKind,
        indexFiles: index.byKind,
        reindex: re,
        startupRuns: runs.map((r) => ({ firstAnswerMs: Math.round(r.firstAnswerMs * 10) / 10, listeningMs: Math.round(r.listeningMs * 10) / 10, logLinesMs: r.marks, rssMB: Math.round(r.rss / MB) })),
        idle: { ...idle, metrics: idleMetrics },
        load,
        get: summarize(run),
        baselineRuns: [summarize(before), summarize(after)],
        mirror,
        wrkCommand: shownCommand(run.command.replaceAll(hexFile, 'timestamps-distinct.txt'), {}),
        calendarCommand: shownCommand(['node', ...kept.command].join(' '), { dataDir: dir, port: /--port (\d+)/.exec(kept.command.join(' '))?.[1] }),
        ...(profile ? { profile } : {}),
      },
    };
  } finally {
    if (process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  }
}

/** opts: { sizes: commitments per calendar, ascending; mirrorSeconds: the catch-up window }. */
export async function costCurvePart(ctx, { sizes, mirrorSeconds = 180 }) {
  mkdirSync(ctx.workDir, { recursive: true });
  const results = [];
  for (const n of sizes) results.push(await measureSize(ctx, n, { mirrorSeconds }));
  const figures = results.flatMap((r) => r.figures);
  if (results.length > 1) {
    const small = results[0];
    const large = results.at(-1);
    figures.push(
      figure(`${fmt(large.n)} vs ${fmt(small.n)} commitments: GET /timestamp cache-miss req/s, larger / smaller`, large.getPerSecond / small.getPerSecond, '', { target: { op: '>=', value: 0.8 } }),
      figure(`  the same, each as its ratio to the bare baseline of its size`, large.getRatio / small.getRatio, '', { target: { op: '>=', value: 0.8 } }),
    );
  }
  const last = results.at(-1)?.details;
  return {
    figures,
    details: {
      sizes,
      commitmentsPerAnchor: ctx.anchorEvery,
      mirrorWindowSeconds: mirrorSeconds,
      note: 'every figure of a size is taken right after its journal was written and reindexed, so the files are in the page cache',
      bySize: Object.fromEntries(results.map((r) => [r.n, r.details])),
      ...(last ? { wrkCommand: last.wrkCommand, calendarCommand: last.calendarCommand, command: last.mirror.command } : {}),
    },
  };
}
