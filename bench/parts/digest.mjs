/**
 * POST /digest under many keep-alive connections, against the bare node:http baseline with the same wrk
 * settings: baseline, calendar, baseline again (the baseline figure is the mean of the two, so drift on a
 * shared machine shows up as a spread instead of skewing the ratio).
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { figure } from '../lib/report.mjs';
import { memoryOf } from '../lib/procs.mjs';
import { getJson, startAggregator, startBare, startCalendar } from '../lib/servers.mjs';
import { runWrk, summarize } from '../lib/wrk.mjs';
import { profileArgs, profileSummary, shownCommand } from './common.mjs';

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * From the calendar's per-tick log lines: the whole run, and its second half, where every connection is
 * open and the ramp-up (connections waiting in the accept queue) is over. Rates are taken between the
 * first and the last tick start of a window: the digests of every tick after the first, over that time.
 */
function tickFigures(log, from, to, tickMs) {
  const window = (a, b) => {
    const t = log.map((x) => ({ ...x, start: x.at - x.ms })).filter((x) => x.start >= a && x.start < b);
    const span = t.length > 1 ? (t[t.length - 1].start - t[0].start) / 1000 : NaN;
    const later = t.slice(1).reduce((s, x) => s + x.digests, 0);
    const per = t.map((x) => x.digests).sort((x, y) => x - y);
    const ms = t.map((x) => x.ms).sort((x, y) => x - y);
    return {
      ticks: t.length,
      ticksPerSecond: (t.length - 1) / span,
      digests: t.reduce((s, x) => s + x.digests, 0),
      digestsPerSecond: later / span,
      digestsPerTickMedian: percentile(per, 50),
      tickMsP50: percentile(ms, 50),
      tickMsP99: percentile(ms, 99),
      tickMsMax: ms.at(-1),
    };
  };
  return { idealTicksPerSecond: 1000 / tickMs, run: window(from, to), steady: window(from + (to - from) / 2, to) };
}

/** Warm-up run, then the measured run, against a bare server started for it. */
export async function measureBare(ctx, settings, { path, env } = {}) {
  const bare = await startBare({ fdLimit: ctx.fdLimit });
  try {
    await runWrk(bare.url + path, { ...settings, seconds: ctx.warmupSeconds }, { env });
    const r = await runWrk(bare.url + path, settings, { env, serverPid: bare.pid });
    return { ...r, memory: memoryOf(bare.pid) };
  } finally {
    await bare.stop();
  }
}

export function mean(values) {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/**
 * opts: { id, title, tickMs, connections, targets: { okPerSecond, p99Ms, ratio }, via } (targets optional).
 * via 'aggregator': wrk sends to a stand-alone aggregator (same tick) in front of the calendar, and the tick
 * figures are the aggregator's.
 */
export async function digestPart(ctx, opts) {
  const settings = { threads: 1, connections: opts.connections, seconds: ctx.seconds, timeout: 10, script: 'post-digest.lua', fdLimit: ctx.fdLimit };
  // with long ticks a run holds few of them: the calendar run is longer, so its second half has enough
  const calendarSettings = { ...settings, seconds: Math.max(ctx.seconds, Math.ceil((16 * opts.tickMs) / 1000)) };
  ctx.log(`  baseline (bare node:http), -c${opts.connections}`);
  const before = await measureBare(ctx, settings, { path: '/digest' });

  const dataDir = join(ctx.workDir, `digest-${opts.id}`);
  mkdirSync(dataDir, { recursive: true });
  ctx.log(`  calendar, tick ${opts.tickMs} ms, -c${opts.connections}`);
  const cal = await startCalendar({
    dataDir,
    tickMs: opts.tickMs,
    maxQueue: 10_000_000,
    fdLimit: ctx.fdLimit,
    nodeArgs: profileArgs(ctx, `digest-${opts.id}`),
    // one log line per tick: how many digests it carried and how long it took
    extra: ['--log-level', 'debug'],
  });
  let agg;
  try {
    if (opts.via === 'aggregator') {
      ctx.log(`  aggregator in front of it, tick ${opts.tickMs} ms`);
      agg = await startAggregator({
        upstreams: [cal.url],
        tickMs: opts.tickMs,
        maxQueue: 10_000_000,
        fdLimit: ctx.fdLimit,
        nodeArgs: profileArgs(ctx, `digest-${opts.id}-aggregator`),
        extra: ['--log-level', 'debug'],
      });
    }
  } catch (err) {
    await cal.stop();
    throw err;
  }
  const front = agg ?? cal;
  const tickLog = [];
  front.child.onLine((line) => {
    if (!line.includes('"aggregated digests"')) return;
    const o = JSON.parse(line);
    tickLog.push({ at: Date.parse(o.time), digests: o.digests, ms: o.ms });
  });
  let run;
  let ticks;
  let mem;
  try {
    await runWrk(front.url + '/digest', { ...settings, seconds: ctx.warmupSeconds });
    const s0 = await getJson(front.url + '/status');
    const from = Date.now();
    run = await runWrk(front.url + '/digest', calendarSettings, { serverPid: front.pid });
    const to = Date.now();
    const s1 = await getJson(front.url + '/status');
    mem = memoryOf(front.pid);
    ticks = tickFigures(tickLog, from, to, opts.tickMs);
    ticks.digestsCommittedInRun = s1.digests - s0.digests;
  } finally {
    if (agg) await agg.stop();
    await cal.stop();
  }
  const profile = profileSummary(ctx, agg ? `digest-${opts.id}-aggregator` : `digest-${opts.id}`);

  ctx.log('  baseline again');
  const after = await measureBare(ctx, settings, { path: '/digest' });
  const baseline = mean([before.requestsPerSecond, after.requestsPerSecond]);
  const t = opts.targets ?? {};
  const ratio = run.okPerSecond / baseline;
  const figures = [
    figure(`bare node:http, same wrk settings (mean of 2 runs)`, baseline, 'req/s'),
    figure(`acknowledged digests/s (200s only)`, run.okPerSecond, '/s', {
      target: t.okPerSecond ? { op: '>=', value: t.okPerSecond } : undefined,
      // the ratio is asked for where a target exists for it
      ratio: t.ratio ? ratio : undefined,
      ratioTarget: t.ratio ? { op: '>=', value: t.ratio } : undefined,
    }),
    figure('p50 latency', run.p50Us / 1000, 'ms'),
    figure('p99 latency', run.p99Us / 1000, 'ms', { target: t.p99Ms ? { op: '<=', value: t.p99Ms } : undefined }),
    figure('non-2xx responses', run.statusErrors, ''),
    figure('steady state (2nd half of the run, from the tick log): digests/s', ticks.steady.digestsPerSecond, '/s'),
    figure('  digests per commitment (median; at most one per connection and --max-batch)', ticks.steady.digestsPerTickMedian, ''),
    figure(`  commitments/s (${1000 / opts.tickMs} on the tick grid, more with full batches)`, ticks.steady.ticksPerSecond, '/s'),
    figure('  tick time, commit + fsync + answers (p99)', ticks.steady.tickMsP99, 'ms'),
    figure(agg ? 'aggregator peak RSS under this load' : 'calendar peak RSS under this load', mem.peakRss / 2 ** 20, 'MB', {
      target: { op: '<=', value: 300 },
      ratio: mem.peakRss / Math.max(before.memory.peakRss, after.memory.peakRss),
      ratioTarget: { op: '<=', value: 1.5 },
    }),
    figure('  bare node:http peak RSS, same load', Math.max(before.memory.peakRss, after.memory.peakRss) / 2 ** 20, 'MB'),
  ];
  return {
    figures,
    details: {
      connections: opts.connections,
      tickMs: opts.tickMs,
      calendar: summarize(run),
      baselineRuns: [summarize(before), summarize(after)],
      ticks,
      ratioToBaseline: ratio,
      memory: mem,
      wrkCommand: shownCommand(run.command, { port: cal.port }),
      calendarCommand: shownCommand(cal.command.join(' '), { port: cal.port, dataDir }),
      ...(agg ? { aggregatorCommand: shownCommand(agg.command.join(' '), { port: agg.port }) } : {}),
      ...(profile ? { profile } : {}),
    },
  };
}
