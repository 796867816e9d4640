/**
 * GET /timestamp/<hex> for complete proofs, cycling through many distinct commitments of an anchored
 * journal, against the bare node:http baseline under the same wrk settings and lua script.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { figure } from '../lib/report.mjs';
import { memoryOf } from '../lib/procs.mjs';
import { httpGet, startCalendar } from '../lib/servers.mjs';
import { sampleHex } from '../lib/synth.mjs';
import { runWrk, summarize } from '../lib/wrk.mjs';
import { profileArgs, profileSummary, shownCommand } from './common.mjs';
import { mean, measureBare } from './digest.mjs';

/**
 * dataset: { dir, all } from synth.buildDataDir, anchored and indexed.
 * Two commitment lists: `distinct` (more than the calendar's proof cache holds, so most answers are
 * assembled: lookup in commits.idx, journal read, merkle path from the cached tree) and `hot`
 * (few enough to stay in the proof cache).
 */
export async function timestampPart(ctx, dataset) {
  const manyFile = join(ctx.workDir, 'timestamps-distinct.txt');
  const hotFile = join(ctx.workDir, 'timestamps-hot.txt');
  const many = sampleHex(dataset.all, ctx.getDistinct);
  writeFileSync(manyFile, many.join('\n') + '\n');
  writeFileSync(hotFile, many.slice(0, ctx.getHot).join('\n') + '\n');
  const settings = { threads: 1, connections: ctx.getConnections, seconds: ctx.seconds, timeout: 10, script: 'get-timestamps.lua', fdLimit: ctx.fdLimit };
  const path = '/timestamp/';

  ctx.log(`  baseline (bare node:http), -c${settings.connections}`);
  const before = await measureBare(ctx, settings, { path, env: { BENCH_HEX_FILE: manyFile } });

  ctx.log(`  calendar, ${many.length} distinct complete proofs`);
  const cal = await startCalendar({ dataDir: dataset.dir, tickMs: 1000, fdLimit: ctx.fdLimit, nodeArgs: profileArgs(ctx, 'timestamp') });
  let distinct;
  let hot;
  let sample;
  let mem;
  let coldMs;
  let treesMem;
  try {
    sample = await httpGet(`${cal.url}/timestamp/${many[0]}`);
    if (sample.status !== 200) throw new Error(`GET /timestamp of an anchored commitment answered ${sample.status}: ${sample.body.toString('utf8').slice(0, 200)}`);
    // One request per anchor builds its merkle tree, which the calendar then keeps in memory: the
    // measured runs see the steady state of a long-running calendar, and this pass times the cold case.
    const coldStarted = performance.now();
    for (let k = 0; k < dataset.anchors; k++) {
      const n = Math.min(k * ctx.anchorEvery, dataset.commitments - 1);
      const r = await httpGet(`${cal.url}/timestamp/${dataset.all.subarray(n * 44, n * 44 + 44).toString('hex')}`);
      if (r.status !== 200) throw new Error(`GET /timestamp of commitment ${n} answered ${r.status}`);
    }
    coldMs = (performance.now() - coldStarted) / dataset.anchors;
    treesMem = memoryOf(cal.pid);
    await runWrk(cal.url + path, { ...settings, seconds: ctx.warmupSeconds }, { env: { BENCH_HEX_FILE: manyFile } });
    distinct = await runWrk(cal.url + path, settings, { env: { BENCH_HEX_FILE: manyFile }, serverPid: cal.pid });
    ctx.log(`  calendar, ${ctx.getHot} distinct proofs (all in its proof cache)`);
    await runWrk(cal.url + path, { ...settings, seconds: ctx.warmupSeconds }, { env: { BENCH_HEX_FILE: hotFile } });
    hot = await runWrk(cal.url + path, settings, { env: { BENCH_HEX_FILE: hotFile }, serverPid: cal.pid });
    mem = memoryOf(cal.pid);
  } finally {
    await cal.stop();
  }
  const profile = profileSummary(ctx, 'timestamp');

  ctx.log('  baseline again');
  const after = await measureBare(ctx, settings, { path, env: { BENCH_HEX_FILE: manyFile } });
  const baseline = mean([before.requestsPerSecond, after.requestsPerSecond]);
  const figures = [
    figure('bare node:http, same wrk settings and script (mean of 2 runs)', baseline, 'req/s'),
    figure(`GET /timestamp, ${many.length.toLocaleString('en-US')} distinct complete proofs`, distinct.okPerSecond, 'req/s', {
      target: { op: '>=', value: 20_000 },
      ratio: distinct.okPerSecond / baseline,
      ratioTarget: { op: '>=', value: 0.5 },
    }),
    figure('  p99 latency', distinct.p99Us / 1000, 'ms'),
    figure('  non-200 responses', distinct.statusErrors, ''),
    figure(`GET /timestamp, ${ctx.getHot.toLocaleString('en-US')} distinct proofs (proof cache hits)`, hot.okPerSecond, 'req/s', {
      target: { op: '>=', value: 20_000 },
      ratio: hot.okPerSecond / baseline,
      ratioTarget: { op: '>=', value: 0.8 },
    }),
    figure('proof size', sample.body.length, 'bytes'),
    figure(`first proof from an anchor whose tree is not in memory (${ctx.anchorEvery.toLocaleString('en-US')} leaves), one request at a time`, coldMs, 'ms'),
    figure(`calendar RSS with the trees of all ${dataset.anchors} anchors in memory (${dataset.commitments.toLocaleString('en-US')} leaves)`, treesMem.rss / 2 ** 20, 'MB'),
    figure('calendar peak RSS after the GET runs', mem.peakRss / 2 ** 20, 'MB', { target: { op: '<=', value: 300 } }),
  ];
  return {
    figures,
    details: {
      connections: settings.connections,
      distinctCommitments: many.length,
      hotCommitments: ctx.getHot,
      distinct: summarize(distinct),
      hot: summarize(hot),
      baselineRuns: [summarize(before), summarize(after)],
      proofBytes: sample.body.length,
      memory: mem,
      memoryWithTrees: treesMem,
      coldProofMs: coldMs,
      wrkCommand: shownCommand(distinct.command, { port: cal.port }),
      calendarCommand: shownCommand(cal.command.join(' '), { port: cal.port, dataDir: dataset.dir }),
      ...(profile ? { profile } : {}),
    },
  };
}
