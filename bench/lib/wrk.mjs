/** Runs wrk against a URL with one of the lua scripts in bench/wrk and returns its figures. */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { cpuSecondsOf, spawnTracked, withFdLimit } from './procs.mjs';

export const WRK_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'wrk');
const REPO = join(WRK_DIR, '..', '..');

/** TcpExt ListenOverflows of this network namespace: connections dropped because an accept queue was full. */
export function listenOverflows() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    return Number(values[names.indexOf('ListenOverflows')]);
  } catch {
    return NaN;
  }
}

/**
 * settings: { threads, connections, seconds, timeout, script (file name in bench/wrk), fdLimit }.
 * Returns the parsed summary plus derived rates, the exact command and the CPU used by `serverPid`.
 */
export async function runWrk(url, settings, { env = {}, serverPid } = {}) {
  const script = join(WRK_DIR, settings.script);
  const argv = ['wrk', `-t${settings.threads}`, `-c${settings.connections}`, `-d${settings.seconds}s`, `--timeout`, `${settings.timeout ?? 10}s`, '-s', script, url];
  const [cmd, args] = withFdLimit(settings.fdLimit ?? 65_536, argv);
  const cpuBefore = serverPid ? cpuSecondsOf(serverPid) : NaN;
  const overflowsBefore = listenOverflows();
  const started = performance.now();
  const child = spawnTracked(cmd, args, { env: { ...process.env, ...env } });
  const { code } = await child.exited;
  const wallS = (performance.now() - started) / 1000;
  const cpuAfter = serverPid ? cpuSecondsOf(serverPid) : NaN;
  const overflows = listenOverflows() - overflowsBefore;
  const { stdout, stderr } = child.output();
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${stderr.slice(-1000)}${stdout.slice(-1000)}`);
  const s = JSON.parse(line.slice('WRK_JSON '.length));
  const seconds = s.durationUs / 1e6;
  const ok = s.requests - s.statusErrors;
  const shown = argv.map((a) => (a === script ? relative(REPO, script) : a));
  return {
    ...s,
    seconds,
    requestsPerSecond: s.requests / seconds,
    okPerSecond: ok / seconds,
    okResponses: ok,
    serverCpuPercent: serverPid ? (100 * (cpuAfter - cpuBefore)) / wallS : undefined,
    listenOverflows: overflows,
    command: [...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...shown].join(' '),
    text: stdout.replace(/^WRK_JSON .*\n?/m, ''),
  };
}

/** Short form of a wrk result for tables: requests/s and latency in ms. */
export function summarize(r) {
  return {
    requestsPerSecond: Math.round(r.requestsPerSecond),
    okPerSecond: Math.round(r.okPerSecond),
    p50Ms: r.p50Us / 1000,
    p90Ms: r.p90Us / 1000,
    p99Ms: r.p99Us / 1000,
    maxMs: r.latencyMaxUs / 1000,
    requests: r.requests,
    non2xx: r.statusErrors,
    socketErrors: { connect: r.connectErrors, read: r.readErrors, write: r.writeErrors, timeout: r.timeouts },
    serverCpuPercent: r.serverCpuPercent === undefined ? undefined : Math.round(r.serverCpuPercent),
    listenOverflows: r.listenOverflows,
    command: r.command,
  };
}
