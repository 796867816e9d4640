/**
 * Storage and process figures on synthetic journals: bytes on disk per anchored commitment, reindex
 * time, startup time to the first answer, and resident memory with many pending commitments.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { figure } from '../lib/report.mjs';
import { memoryOf, freePort, runToEnd, sleep, spawnTracked, stopProcess } from '../lib/procs.mjs';
import { CLI, cliNode, httpGet, startCalendar } from '../lib/servers.mjs';
import { buildDataDir, diskUsage, sampleHex } from '../lib/synth.mjs';
import { runWrk, summarize } from '../lib/wrk.mjs';
import { shownCommand } from './common.mjs';

const MB = 2 ** 20;

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The anchored journal shared by parts 4, 5 and 6 (written through the journal, index not built yet). */
export async function buildAnchoredDataset(ctx) {
  const dir = join(ctx.workDir, 'anchored');
  ctx.log(`  writing ${ctx.commitments.toLocaleString('en-US')} commit records, an anchor every ${ctx.anchorEvery.toLocaleString('en-US')}`);
  const built = await buildDataDir(dir, { commitments: ctx.commitments, anchorEvery: ctx.anchorEvery });
  return { dir, ...built };
}

/** Part 6a: `ots-calendar reindex` on the anchored journal (this also builds the index parts 4 and 5 use). */
export async function reindexPart(ctx, dataset) {
  const [node, ...flags] = cliNode();
  const args = [...flags, CLI, 'reindex', '--data-dir', dataset.dir, '--log-format', 'json'];
  const r = await runToEnd(node, args, { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`reindex exited ${r.code}: ${r.stderr.slice(-1000)}${r.stdout.slice(-1000)}`);
  const done = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .find((o) => o.msg === 'index rebuilt');
  const records = ctx.commitments + dataset.anchors;
  return {
    figures: [
      figure(`reindex, ${records.toLocaleString('en-US')}-record journal (as it reports)`, done?.seconds ?? NaN, 's', { target: { op: '<=', value: 10 } }),
      figure('reindex, whole process (spawn to exit)', r.ms / 1000, 's'),
      figure('reindex rate', records / (done?.seconds ?? NaN), 'records/s'),
    ],
    details: {
      records,
      commitments: done?.commitments,
      anchors: done?.anchors,
      command: shownCommand(['node', ...args].join(' '), { dataDir: dataset.dir }),
      datasetWriteSeconds: Math.round(dataset.seconds * 10) / 10,
      note: 'the journal was just written, so it is in the page cache (a cold-cache reindex also reads ~61 MB from disk)',
    },
  };
}

/** Part 5: bytes of journal + index per anchored commitment. */
export function bytesPart(ctx, dataset) {
  const journal = diskUsage(join(dataset.dir, 'journal'));
  const index = diskUsage(join(dataset.dir, 'index'));
  const n = ctx.commitments;
  const per = (journal.apparent + index.apparent) / n;
  return {
    figures: [
      figure('journal + index per anchored commitment', per, 'B', { target: { op: '<=', value: 100 } }),
      figure('  journal per commitment', journal.apparent / n, 'B'),
      figure('  index per commitment', index.apparent / n, 'B'),
      figure('journal + index per commitment, allocated blocks', (journal.allocated + index.allocated) / n, 'B'),
    ],
    details: {
      commitments: n,
      anchors: dataset.anchors,
      commitmentsPerAnchor: ctx.anchorEvery,
      journalBytes: journal.apparent,
      indexBytes: index.apparent,
      journalFiles: journal.byKind,
      indexFiles: index.byKind,
      allocatedBytes: journal.allocated + index.allocated,
    },
  };
}

/**
 * Spawn to the first 200 answer to GET /timestamp of an anchored commitment, polling every 2 ms. Also
 * returns when each JSON log line's msg first appeared (ms after spawn). opts: `nodeArgs` go to node itself
 * (e.g. --cpu-prof); with `keep` the calendar is left running and returned as `child` (with its `url`).
 */
export async function startupOnce(dataDir, hex, { keep = false, nodeArgs = [] } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [CLI, 'calendar', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), '--uri', url, '--log-format', 'json'];
  const t0 = performance.now();
  const [node, ...flags] = cliNode();
  const child = spawnTracked(node, [...flags, ...nodeArgs, ...args]);
  let listeningMs = NaN;
  const marks = {};
  child.onLine((l) => {
    const at = performance.now() - t0;
    if (Number.isNaN(listeningMs) && l.includes('"calendar listening"')) listeningMs = at;
    const msg = /"msg":"([^"]*)"/.exec(l)?.[1];
    if (msg !== undefined && !(msg in marks)) marks[msg] = Math.round(at * 10) / 10;
  });
  let answered = false;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`calendar exited ${child.exitCode}: ${child.output().stderr.slice(-1000)}`);
      if (performance.now() - t0 > 60_000) throw new Error('calendar did not answer within 60 s');
      try {
        const r = await httpGet(`${url}/timestamp/${hex}`, 2_000);
        if (r.status === 200) {
          answered = true;
          return { firstAnswerMs: performance.now() - t0, listeningMs, marks, rss: memoryOf(child.pid).rss, command: args, ...(keep ? { child, url } : {}) };
        }
        throw new Error(`GET /timestamp answered ${r.status}`);
      } catch (err) {
        if (!/ECONNREFUSED|ECONNRESET/.test(String(err?.code ?? err))) throw err;
        await sleep(2);
      }
    }
  } finally {
    if (!keep || !answered) await stopProcess(child);
  }
}

/** Part 6b: startup time with the anchored journal and its index, against `node -e 0`. */
export async function startupPart(ctx, dataset) {
  const hex = sampleHex(dataset.all, 1)[0];
  const nodeRuns = [];
  for (let i = 0; i < 5; i++) nodeRuns.push((await runToEnd(process.execPath, ['-e', '0'])).ms);
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await startupOnce(dataset.dir, hex));
  const first = median(runs.map((r) => r.firstAnswerMs));
  const nodeMs = median(nodeRuns);
  return {
    figures: [
      figure('startup: spawn to first GET /timestamp answer (median of 3)', first, 'ms', { target: { op: '<=', value: 500 } }),
      figure('  spawn to "calendar listening" log line', median(runs.map((r) => r.listeningMs)), 'ms'),
      figure('  node -e 0 on this machine (median of 5)', nodeMs, 'ms'),
      figure('  startup beyond node itself', first - nodeMs, 'ms'),
    ],
    details: {
      runs: runs.map((r) => ({ firstAnswerMs: Math.round(r.firstAnswerMs * 10) / 10, listeningMs: Math.round(r.listeningMs * 10) / 10, rssMB: Math.round(r.rss / MB) })),
      nodeRunsMs: nodeRuns.map((m) => Math.round(m * 10) / 10),
      command: shownCommand(['node', ...runs[0].command].join(' '), { dataDir: dataset.dir, port: /--port (\d+)/.exec(runs[0].command.join(' '))?.[1] }),
    },
  };
}

/** Part 6c: resident memory of the calendar with 100,000 pending (never anchored) commitments. */
export async function memoryPart(ctx) {
  const dir = join(ctx.workDir, 'pending');
  ctx.log(`  writing ${ctx.pendingCommitments.toLocaleString('en-US')} pending commitments`);
  const built = await buildDataDir(dir, { commitments: ctx.pendingCommitments, anchorEvery: 0 });
  // as after any restart, the index exists: the calendar does not start by building it
  const [node, ...flags] = cliNode();
  const reindex = await runToEnd(node, [...flags, CLI, 'reindex', '--data-dir', dir, '--log-format', 'json'], { timeoutMs: 300_000 });
  if (reindex.code !== 0) throw new Error(`reindex exited ${reindex.code}: ${reindex.stderr.slice(-1000)}`);
  const hexFile = join(ctx.workDir, 'timestamps-pending.txt');
  writeFileSync(hexFile, sampleHex(built.all, ctx.pendingCommitments).join('\n') + '\n');
  const cal = await startCalendar({ dataDir: dir, tickMs: 1000, fdLimit: ctx.fdLimit });
  let idle;
  let loaded;
  let run;
  try {
    const first = built.all.subarray(0, 44).toString('hex');
    const probe = await httpGet(`${cal.url}/timestamp/${first}`);
    if (probe.status !== 404 || !probe.body.toString('utf8').startsWith('Pending')) {
      throw new Error(`a pending commitment answered ${probe.status} ${probe.body.toString('utf8').slice(0, 100)}`);
    }
    await sleep(1000);
    idle = memoryOf(cal.pid);
    const settings = { threads: 1, connections: ctx.getConnections, seconds: ctx.seconds, timeout: 10, script: 'get-timestamps.lua', fdLimit: ctx.fdLimit };
    run = await runWrk(cal.url + '/timestamp/', settings, { env: { BENCH_HEX_FILE: hexFile }, serverPid: cal.pid });
    loaded = memoryOf(cal.pid);
  } finally {
    await cal.stop();
  }
  const pendingPerSecond = run.requests / run.seconds;
  return {
    figures: [
      figure(`RSS with ${ctx.pendingCommitments.toLocaleString('en-US')} pending commitments, peak (startup, then lookups of all of them)`, loaded.peakRss / MB, 'MB', {
        target: { op: '<=', value: 150 },
      }),
      figure('  RSS idle, 1 s after startup', idle.rss / MB, 'MB'),
      figure('  peak RSS up to then (startup alone)', idle.peakRss / MB, 'MB'),
      figure(`  RSS after ${ctx.seconds} s of lookups`, loaded.rss / MB, 'MB'),
      figure('GET /timestamp of pending commitments (404 "Pending confirmation")', pendingPerSecond, 'req/s'),
    ],
    details: {
      idle,
      loaded,
      lookups: summarize(run),
      note: 'a pending commitment answers 404 with the pending reason, so every response of the lookup run counts as non-2xx by design',
    },
  };
}
