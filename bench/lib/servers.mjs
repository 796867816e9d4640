/** Starts the servers under test as their own processes: the bare node:http baseline and the calendar. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { freePort, spawnTracked, stopProcess, waitForLine, withFdLimit } from './procs.mjs';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO, 'dist', 'cli', 'main.js');

/**
 * `node` and its flags as the installed `ots-calendar` command runs it: read from the first line of the
 * built CLI (`#!/usr/bin/env -S node …`), so the bench measures what operators run.
 */
export function cliNode() {
  const first = readFileSync(CLI, 'utf8').split('\n', 1)[0];
  const m = /^#!\/usr\/bin\/env(?: -S)? node(.*)$/.exec(first);
  if (!m) throw new Error(`${CLI}: unexpected first line ${JSON.stringify(first)}`);
  return [process.execPath, ...m[1].split(' ').filter(Boolean)];
}
const BARE = join(REPO, 'bench', 'bare-server.mjs');

/** The JSON log record on `line` whose msg is `msg`, or undefined. */
export function jsonLine(line, msg) {
  if (!line.startsWith('{')) return undefined;
  try {
    const o = JSON.parse(line);
    return o.msg === msg ? o : undefined;
  } catch {
    return undefined;
  }
}

export async function startBare({ fdLimit = 65_536, backlog } = {}) {
  const port = await freePort();
  const [cmd, args] = withFdLimit(fdLimit, [process.execPath, BARE, port, ...(backlog ? [backlog] : [])]);
  const child = spawnTracked(cmd, args);
  await waitForLine(child, (l) => jsonLine(l, 'listening'), 10_000);
  return { child, pid: child.pid, url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

/**
 * An `ots-calendar` server command on a free loopback port, as the installed command runs it. `nodeArgs` go
 * to node itself (e.g. --cpu-prof). Resolves once it logged `ready`; `stop()` sends SIGTERM and waits for
 * the graceful stop.
 */
async function startServer(command, ready, { tickMs, maxQueue, fdLimit, nodeArgs, extra }, args = () => []) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const argv = [
    ...cliNode(),
    ...nodeArgs,
    CLI,
    command,
    '--host',
    '127.0.0.1',
    '--port',
    port,
    ...args(url),
    '--tick-ms',
    tickMs,
    '--log-format',
    'json',
    '--max-queue',
    maxQueue,
    ...extra,
  ];
  const [cmd, cmdArgs] = withFdLimit(fdLimit, argv);
  const child = spawnTracked(cmd, cmdArgs);
  await waitForLine(child, (l) => jsonLine(l, ready), 120_000);
  return { child, pid: child.pid, url, port, stop: () => stopProcess(child, 30_000), command: argv.map(String) };
}

/** The calendar command on a data directory. */
export function startCalendar({ dataDir, tickMs = 1000, maxQueue = 1_000_000, fdLimit = 65_536, nodeArgs = [], extra = [] }) {
  return startServer('calendar', 'calendar listening', { tickMs, maxQueue, fdLimit, nodeArgs, extra }, (url) => ['--data-dir', dataDir, '--uri', url]);
}

/** One HTTP request; resolves with status and body (no keep-alive, so every call is a fresh connection). */
export function httpGet(url, timeoutMs = 5_000) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export async function getJson(url) {
  const r = await httpGet(url);
  return JSON.parse(r.body.toString('utf8'));
}

/** `ots-calendar aggregator` in front of calendars (it stores nothing). */
export function startAggregator({ upstreams, tickMs = 1000, maxQueue = 1_000_000, fdLimit = 65_536, nodeArgs = [], extra = [] }) {
  return startServer('aggregator', 'aggregator listening', { tickMs, maxQueue, fdLimit, nodeArgs, extra }, () => upstreams.flatMap((u) => ['--upstream', u]));
}
