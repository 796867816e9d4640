/**
 * Two calendars started on one data directory at the same instant, right after the one serving it was killed with
 * SIGKILL (a supervisor restarting a crashed unit while an operator starts one by hand): one serves, the other
 * exits with the journal-locked error, and no digest acknowledged by any of them is ever lost.
 *
 * Both processes read their configuration file from a named pipe, so neither gets past reading it before the
 * test writes both: they then reach the journal lock within a fraction of a millisecond of each other.
 */
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startCalendarProcess, tempDir, MAIN, type CalendarProcess } from '../fixtures/calendar-process.js';
import { Timestamp } from '../../src/ots/index.js';

const run = promisify(execFile);
const ROUNDS = 50;

interface Acked {
  digest: Uint8Array;
  proof: Uint8Array;
}

/** Digests from a few clients until `until.stop`; a request cut by the kill was never acknowledged. */
async function load(url: string, until: { stop: boolean }, acked: Acked[]): Promise<void> {
  const worker = async (): Promise<void> => {
    while (!until.stop) {
      const digest = randomBytes(32);
      try {
        const r = await fetch(`${url}/digest`, { method: 'POST', body: digest });
        if (r.status === 200) acked.push({ digest, proof: new Uint8Array(await r.arrayBuffer()) });
      } catch {
        // killed mid-request: nothing was promised
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

/** Starts two calendars on `dataDir` that both take the journal lock at the same moment. */
async function startTwo(dataDir: string, uri: string, round: number): Promise<Array<PromiseSettledResult<CalendarProcess>>> {
  const pipes = [0, 1].map((i) => join(dataDir, `..`, `start-${round}-${i}.conf`));
  for (const p of pipes) execFileSync('mkfifo', [p]);
  const starting = pipes.map(async (p) => startCalendarProcess({ dataDir, tickMs: 20, port: await freePort(), args: ['--config', p, '--uri', uri] }));
  // each open returns once that process opened its end; both are then blocked reading until the writes below
  const writers = await Promise.all(pipes.map((p) => fsp.open(p, 'w')));
  await Promise.all(writers.map((w) => w.write('log-level = info\n')));
  await Promise.all(writers.map((w) => w.close()));
  const results = await Promise.allSettled(starting);
  for (const p of pipes) await fsp.rm(p);
  return results;
}

describe('two calendars started on one data directory at once', () => {
  it(`after a kill -9, ${ROUNDS} times: exactly one serves, the other is refused, nothing acknowledged is lost`, { timeout: 600_000 }, async () => {
    const dataDir = join(tempDir('otsc-two-starts-'), 'data');
    const uri = 'http://127.0.0.1:1';
    const acked: Acked[] = [];
    let serving = await startCalendarProcess({ dataDir, tickMs: 20, args: ['--uri', uri] });
    for (let round = 0; round < ROUNDS; round++) {
      const until = { stop: false };
      const loading = load(serving.url, until, acked);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      serving.kill('SIGKILL');
      await serving.exited;
      until.stop = true;
      await loading;

      const both = await startTwo(dataDir, uri, round);
      const up = both.filter((r): r is PromiseFulfilledResult<CalendarProcess> => r.status === 'fulfilled').map((r) => r.value);
      const refused = both.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason));
      expect(up.length, `round ${round}: ${refused.join(' / ')}`).toBe(1);
      // the loser exited before listening, with the typed error and the winner's pid
      const winner = up[0] as CalendarProcess;
      expect(refused).toHaveLength(1);
      expect(refused[0]).toContain(`JournalLockedError: journal locked: ${join(dataDir, 'journal')} is held by process ${winner.proc.pid}`);
      serving = winner;
    }
    const total = acked.length;
    expect(total).toBeGreaterThan(ROUNDS);
    await serving.stop();

    const again = await startCalendarProcess({ dataDir, tickMs: 20, args: ['--uri', uri] });
    try {
      const missing: string[] = [];
      for (const { digest, proof } of acked) {
        const [p] = Timestamp.fromBytes(proof, digest).allAttestations();
        const hex = Buffer.from(p?.msg ?? []).toString('hex');
        const r = await fetch(`${again.url}/timestamp/${hex}`);
        if ((await r.text()) !== 'Pending confirmation in Bitcoin blockchain') missing.push(hex);
      }
      expect(missing, `${missing.length} of ${total} acknowledged digests lost`).toEqual([]);
    } finally {
      expect((await again.stop()).code).toBe(0);
    }
    const fsck = await run(process.execPath, [MAIN, 'fsck', '--data-dir', dataDir, '--log-format', 'json']);
    expect(fsck.stdout).toContain('fsck: all good');
  });
});
