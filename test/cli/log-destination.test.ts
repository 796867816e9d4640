/**
 * Logging whose destination fails, with the real process: the reader of stdout exits (EPIPE), or stdout is a file
 * on a full file system (ENOSPC). Either way the calendar stays up and takes digests; once the file system has
 * room again the log goes on, saying how many lines it lost. And a tick failing again and again (its data directory
 * full) is logged a few times per window with a count, not once per tick.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, startCalendarProcess, tempDir, MAIN } from '../fixtures/calendar-process.js';

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) {
    try {
      execFileSync('umount', [m]);
    } catch {
      // not mounted
    }
  }
});

/** A 1 MiB tmpfs (root is needed to mount; the test command runs as root, as for full-disk.test.ts). */
function tinyFs(): string {
  const dir = tempDir('otsc-tinylog-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

function fill(dir: string): void {
  const st = statfsSync(dir);
  writeFileSync(join(dir, 'filler'), Buffer.alloc(Number(st.bavail) * Number(st.bsize)));
}

async function digests(url: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await fetch(`${url}/digest`, { method: 'POST', body: randomBytes(32) })).status);
  return statuses;
}

async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out: ${what}`);
}

describe('a log destination that fails', () => {
  it('stdout whose reader exits: the calendar keeps taking digests and stops cleanly', async () => {
    // the access log writes a line per request, so every request below meets the closed pipe
    const cal = await startCalendarProcess({ tickMs: 20, args: ['--access-log'] });
    cal.proc.stdout?.destroy();
    try {
      expect(await digests(cal.url, 30)).toEqual(Array.from({ length: 30 }, () => 200));
      expect((await fetch(`${cal.url}/healthz`)).status).toBe(200);
    } finally {
      const exit = await cal.stop();
      expect(exit, cal.stderr.join('')).toEqual({ code: 0, signal: null });
    }
    expect(cal.stderr.join('')).not.toContain('Error');
  });

  it('stdout on a full file system: the calendar keeps taking digests, and says how many lines it lost once there is room', async () => {
    const fs = tinyFs();
    const logPath = join(fs, 'calendar.log');
    writeFileSync(logPath, '');
    fill(fs);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const out = openSync(logPath, 'a');
    const proc = spawn(process.execPath, [MAIN, 'calendar', '--data-dir', join(tempDir('otsc-logfull-'), 'data'), '--port', String(port), '--uri', url, '--log-format', 'json', '--tick-ms', '20', '--access-log'], { stdio: ['ignore', out, 'pipe'] });
    closeSync(out);
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    try {
      await until(async () => (await fetch(`${url}/healthz`)).status === 200, `the calendar answering; stderr: ${stderr}`);
      expect(await digests(url, 30)).toEqual(Array.from({ length: 30 }, () => 200));
      expect(readFileSync(logPath, 'utf8')).toBe('');
      rmSync(join(fs, 'filler'));
      expect(await digests(url, 1)).toEqual([200]);
      // the access line is written right after the answer, which the test may see first
      await until(async () => readFileSync(logPath, 'utf8').includes('POST /digest'), 'the access line in the log');
      const lines = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[0]).toMatchObject({ level: 'warn', msg: 'log lines could not be written to stdout' });
      // the start-up lines and one access line per request before
      expect(Number(lines[0]?.['lost'])).toBeGreaterThan(30);
      expect(lines[1]).toMatchObject({ msg: 'POST /digest', status: 200 });
    } finally {
      proc.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
    }
  });

  it('a tick that fails again and again is logged a few times per window with a count, not once per tick', async () => {
    const fs = tinyFs();
    const dataDir = join(fs, 'data');
    mkdirSync(dataDir);
    const cal = await startCalendarProcess({ dataDir, tickMs: 20 });
    try {
      fill(fs);
      // a client that retries at once: every tick has digests and fails
      const end = Date.now() + 3_000;
      let refused = 0;
      while (Date.now() < end) if ((await fetch(`${cal.url}/digest`, { method: 'POST', body: randomBytes(32) })).status === 503) refused++;
      expect(refused).toBeGreaterThan(30);
      rmSync(join(fs, 'filler'));
      expect(await digests(cal.url, 1)).toEqual([200]);
      // the window's count is written when it closes, 10 s after its first line
      const counted = await cal.waitFor((l) => l['level'] === 'error' && typeof l['suppressed'] === 'number', 12_000);
      const failed = cal.lines.filter((l) => l['level'] === 'error');
      console.log(`${refused} digests refused; ${failed.length} error lines: ${JSON.stringify(failed.map((l) => [l['msg'], l['suppressed']]))}`);
      expect(failed.length).toBeLessThanOrEqual(8);
      expect(Number(counted['suppressed'])).toBeGreaterThan(20);
      expect(counted['windowSeconds']).toBe(10);
    } finally {
      const exit = await cal.stop();
      expect(exit.code, cal.stderr.join('')).toBe(0);
    }
  });
});
