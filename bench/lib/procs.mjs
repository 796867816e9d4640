/**
 * Child processes of the benchmark: every one is tracked, stopped by its own pid, and killed if the
 * benchmark itself exits early (error, Ctrl-C), so a run never leaves a server or a load generator behind.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const live = new Set();

function killLive() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

process.on('exit', killLive);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killLive();
    process.exit(130);
  });
}

/**
 * Starts a child and tracks it. stdout and stderr are collected (bounded) and split into lines for
 * `waitForLine`. Returns the child with `exited` (a promise of {code, signal}) and `output()`.
 */
export function spawnTracked(command, args, opts = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  live.add(child);
  const chunks = { stdout: [], stderr: [] };
  const sizes = { stdout: 0, stderr: 0 };
  const lineListeners = new Set();
  let partial = '';
  const collect = (name) => (data) => {
    if (sizes[name] < 8 * 1024 * 1024) {
      chunks[name].push(data);
      sizes[name] += data.length;
    }
    if (name !== 'stdout' && !opts.linesFromStderr) return;
    partial += data.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const l of lineListeners) l(line);
  };
  child.stdout.on('data', collect('stdout'));
  child.stderr.on('data', collect('stderr'));
  child.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.on('error', (err) => {
      live.delete(child);
      resolve({ code: -1, signal: null, error: err });
    });
  });
  child.output = () => ({ stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') });
  child.onLine = (fn) => {
    lineListeners.add(fn);
    return () => lineListeners.delete(fn);
  };
  return child;
}

/** Resolves with the first stdout line for which `match(line)` is truthy; rejects on exit or timeout. */
export function waitForLine(child, match, timeoutMs) {
  return new Promise((resolve, reject) => {
    let off = () => undefined;
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching line within ${timeoutMs} ms; stderr: ${child.output().stderr.slice(-2000)}`));
    }, timeoutMs);
    off = child.onLine((line) => {
      const m = match(line);
      if (m) {
        clearTimeout(timer);
        off();
        resolve(m);
      }
    });
    child.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      off();
      reject(new Error(`process exited (code ${code}, signal ${signal}) before it was ready; stderr: ${child.output().stderr.slice(-2000)}`));
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with how it exited. */
export async function stopProcess(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

/** Runs a command to completion; resolves with its exit status, output and wall time in ms. */
export async function runToEnd(command, args, opts = {}) {
  const started = performance.now();
  const child = spawnTracked(command, args, opts);
  const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
  const { code, signal } = await child.exited;
  if (timer) clearTimeout(timer);
  return { code, signal, ms: performance.now() - started, ...child.output() };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resident set size now and at its peak, in bytes, from /proc (Linux). */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') * 1024, peakRss: kb('VmHWM') * 1024 };
  } catch {
    return { rss: NaN, peakRss: NaN };
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name, which is in parentheses and may contain spaces
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return NaN;
  }
}

/** The open-file limit a spawned shell can raise itself to (soft limit up to the hard limit). */
export async function fdLimit() {
  const r = await runToEnd('bash', ['-c', 'ulimit -Hn']);
  const hard = r.stdout.trim();
  return hard === 'unlimited' ? 1_048_576 : Number(hard);
}

/** `bash -c` prefix that raises the soft open-file limit as far as allowed before exec'ing the command. */
export function withFdLimit(limit, argv) {
  const quoted = argv.map((a) => `'${String(a).replaceAll("'", "'\\''")}'`).join(' ');
  return ['bash', ['-c', `ulimit -n ${limit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${quoted}`]];
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
