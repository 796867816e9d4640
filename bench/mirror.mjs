/**
 * Benchmark of mirroring, on the built code (run `npm run build` first), with real processes on loopback:
 *   1. catch-up — a new `ots-calendar mirror` follows a calendar whose journal holds 1,000,000 commitments and
 *      their anchors (one every 3,600): time from spawning the mirror to its "caught up" line, everything
 *      verified (checksums, head-hash chain, every anchor's merkle tip) and fsynced; target ≤ 30 s. The two
 *      head hashes are compared afterwards.
 *   2. steady-state lag — while clients keep submitting digests to the calendar (tick 100 ms), the time from a
 *      digest's acknowledgement (its commitment durable upstream) to the mirror answering for that commitment,
 *      polled every 5 ms; target p99 ≤ 2 s.
 * Usage: `node bench/mirror.mjs` prints the figures as JSON; `runMirrorBench()` returns them.
 * Knobs: BENCH_COMMITMENTS (1000000), BENCH_LAG_SECONDS (20), BENCH_KEEP=1 keeps the data directories.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Timestamp } from '../dist/ots/index.js';
import { cpuSecondsOf, freePort, memoryOf, spawnTracked, stopProcess, waitForLine } from './lib/procs.mjs';
import { CLI, cliNode, getJson, jsonLine, startCalendar } from './lib/servers.mjs';
import { buildDataDir } from './lib/synth.mjs';

const MB = 1024 * 1024;

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function startMirror(upstream, dataDir) {
  const port = await freePort();
  const [node, ...flags] = cliNode();
  const child = spawnTracked(node, [...flags, CLI, 'mirror', '--upstream', upstream, '--data-dir', dataDir, '--port', String(port), '--log-format', 'json', '--poll-wait-ms', '15000']);
  return { child, url: `http://127.0.0.1:${port}` };
}

/** Posts digests from `concurrency` loops until `until`; reports each new commitment with the time it was acknowledged. */
async function submitLoad(url, concurrency, until, onCommitment) {
  let digests = 0;
  const seen = new Set();
  const loop = async () => {
    while (performance.now() < until) {
      const digest = randomBytes(32);
      const r = await fetch(`${url}/digest`, { method: 'POST', body: digest });
      const body = new Uint8Array(await r.arrayBuffer());
      const at = performance.now();
      if (r.status !== 200) continue;
      digests++;
      const pending = Timestamp.fromBytes(body, digest).allAttestations().find((a) => a.attestation.kind === 'pending');
      const hex = Buffer.from(pending.msg).toString('hex');
      if (seen.has(hex)) continue;
      seen.add(hex);
      onCommitment(hex, at);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return digests;
}

export async function runMirrorBench({ commitments = 1_000_000, anchorEvery = 3_600, lagSeconds = 20, keep = false } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'ots-mirror-bench-'));
  const procs = [];
  try {
    const upDir = join(work, 'upstream');
    const built = await buildDataDir(upDir, { commitments, anchorEvery });
    const calendar = await startCalendar({ dataDir: upDir, tickMs: 100 });
    procs.push(calendar.child);
    const head = await getJson(`${calendar.url}/journal/head`);

    // 1. catch-up from nothing
    const started = performance.now();
    const mirror = await startMirror(calendar.url, join(work, 'mirror'));
    procs.push(mirror.child);
    await waitForLine(mirror.child, (l) => jsonLine(l, 'mirror listening'), 60_000);
    const listeningMs = performance.now() - started;
    await waitForLine(mirror.child, (l) => jsonLine(l, 'caught up with the upstream'), 600_000);
    const catchUpMs = performance.now() - started;
    const mirrorHead = await getJson(`${mirror.url}/journal/head`);
    if (mirrorHead.hash !== head.hash || mirrorHead.size !== head.size) throw new Error(`heads differ: mirror ${JSON.stringify(mirrorHead)}, calendar ${JSON.stringify(head)}`);
    const status = await getJson(`${mirror.url}/status`);
    const memory = memoryOf(mirror.child.pid);
    const cpuSeconds = cpuSecondsOf(mirror.child.pid);
    const journalBytes = head.size * 61 + built.anchors * 700;

    // 2. lag while digests keep coming
    const lags = [];
    const waiting = new Map();
    const until = performance.now() + lagSeconds * 1000;
    let polling = true;
    const poller = (async () => {
      while (polling || waiting.size > 0) {
        for (const [hex, at] of [...waiting]) {
          const r = await fetch(`${mirror.url}/timestamp/${hex}`);
          const text = await r.text();
          if (r.status === 404 && text === 'Not found') {
            if (performance.now() - at > 30_000) throw new Error(`the mirror never got commitment ${hex}`);
            continue;
          }
          lags.push(performance.now() - at);
          waiting.delete(hex);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const digests = await submitLoad(calendar.url, 8, until, (hex, at) => waiting.set(hex, at));
    polling = false;
    await poller;
    lags.sort((a, b) => a - b);
    const lagStatus = await getJson(`${mirror.url}/status`);

    await stopProcess(mirror.child);
    await stopProcess(calendar.child);
    const seconds = catchUpMs / 1000;
    return {
      catchUp: {
        commitments: built.commitments,
        anchors: built.anchors,
        records: head.size,
        seconds: Number(seconds.toFixed(2)),
        listeningSeconds: Number((listeningMs / 1000).toFixed(2)),
        recordsPerSecond: Math.round(head.size / seconds),
        megabytesPerSecond: Number((journalBytes / MB / seconds).toFixed(1)),
        mirrorCpuSeconds: cpuSeconds,
        mirrorPeakRssMB: Math.round(memory.peakRss / MB),
        headHashesEqual: true,
        state: status.mirror.state,
        target: 30,
        ok: seconds <= 30,
      },
      lag: {
        seconds: lagSeconds,
        digests,
        commitments: lags.length,
        p50Ms: Number(percentile(lags, 50).toFixed(1)),
        p99Ms: Number(percentile(lags, 99).toFixed(1)),
        maxMs: Number(lags.at(-1).toFixed(1)),
        mirrorFollowing: lagStatus.mirror.following,
        targetP99Ms: 2_000,
        ok: percentile(lags, 99) <= 2_000,
      },
      node: process.version,
    };
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) await stopProcess(p);
    if (keep) process.stderr.write(`data kept in ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
  const result = await runMirrorBench({ commitments: num('BENCH_COMMITMENTS', 1_000_000), lagSeconds: num('BENCH_LAG_SECONDS', 20), keep: process.env.BENCH_KEEP === '1' });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
