/** Pieces the parts share: optional CPU profiles of the calendar, and commands as shown in the report. */
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { METRICS_CODE, inclusiveShare, topSelfTime } from '../lib/cpuprofile.mjs';
import { REPO } from '../lib/servers.mjs';

/** node flags that write a CPU profile of the calendar when the run was started with BENCH_PROFILE=1. */
export function profileArgs(ctx, name) {
  if (!ctx.profile) return [];
  mkdirSync(ctx.profileDir, { recursive: true });
  return ['--cpu-prof', '--cpu-prof-dir', ctx.profileDir, '--cpu-prof-name', `${name}.cpuprofile`];
}

/** The functions with the most self time in that profile (after the calendar exited), and the share of the metrics code, if one was taken. */
export function profileSummary(ctx, name) {
  if (!ctx.profile) return undefined;
  const file = join(ctx.profileDir, `${name}.cpuprofile`);
  if (!existsSync(file)) return { error: 'no profile written' };
  return { file: relative(REPO, file), ...topSelfTime(file, 15), metrics: inclusiveShare(file, METRICS_CODE) };
}

/** A command line with the run's port, temporary directories and node path replaced by placeholders. */
export function shownCommand(command, { port, dataDir } = {}) {
  let s = command.replaceAll(process.execPath, 'node').replaceAll(REPO + '/', '');
  if (dataDir) s = s.replaceAll(dataDir, 'D');
  if (port) s = s.replaceAll(`127.0.0.1:${port}`, '127.0.0.1:PORT').replace(new RegExp(`--port ${port}\\b`), '--port PORT');
  return s;
}
