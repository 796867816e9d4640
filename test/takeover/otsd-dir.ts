// Reference calendar directories made by the independent writer (test/fixtures/otsd_calendar.py), and the
// import command run as a real process.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { MAIN } from '../fixtures/calendar-process.js';
import { PYTHON } from '../fixtures/python/oracle.js';

const run = promisify(execFile);
export const WRITER = fileURLToPath(new URL('../fixtures/otsd_calendar.py', import.meta.url));

export interface History {
  commitments: string[];
  groups: Array<{ leaves: number[]; tip: string; txid: string; height: number; block: string; stale?: boolean }>;
  files: Array<{ file: string; commitment: number }>;
  pending: number[];
  stale: number[];
}

export async function python<T>(args: string[]): Promise<T> {
  const { stdout } = await run(PYTHON, [WRITER, ...args], { maxBuffer: 1 << 30 });
  return JSON.parse(stdout) as T;
}

/** What python-opentimestamps reads from the LevelDB for each journal entry (null: not in the database). */
export function pythonAnswers(dir: string, only?: number[]): Promise<Array<{ commitment: string; proof: string | null }>> {
  return python(['answers', dir, ...(only ? [only.join(',')] : [])]);
}

export function pythonChunks(dir: string): Promise<Array<{ chunk: number; stored: string; canonical: string }>> {
  return python(['chunks', dir]);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: Array<Record<string, unknown>>;
}

/** Runs `ots-calendar <args>` with JSON logs; `onLine` sees each log line as it comes (and may kill the process). */
export function cli(args: string[], onLine?: (line: Record<string, unknown>, kill: () => void) => void): Promise<CliResult> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [MAIN, ...args, '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const lines: Array<Record<string, unknown>> = [];
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          line = { msg: text };
        }
        lines.push(line);
        onLine?.(line, () => void proc.kill('SIGKILL'));
      }
    });
    proc.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    proc.on('exit', (code) => resolve({ code, stdout, stderr, lines }));
  });
}
