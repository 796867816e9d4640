/**
 * An HTTP 200 for a digest means its commitment is on disk: kill -9 the real process under load at random
 * moments, restart, and every acknowledged digest still has its pending answer; the journal opens cleanly.
 * Half the rounds run with small batches, so crashes also land while several ticks wait for one fsync.
 */
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startCalendarProcess, tempDir, MAIN } from '../fixtures/calendar-process.js';
import { Timestamp } from '../../src/ots/index.js';

const run = promisify(execFile);

async function load(url: string, until: { stop: boolean }, acked: Array<{ digest: Uint8Array; proof: Uint8Array }>): Promise<void> {
  const worker = async (): Promise<void> => {
    while (!until.stop) {
      const digest = randomBytes(32);
      try {
        const r = await fetch(`${url}/digest`, { method: 'POST', body: digest });
        if (r.status === 200) acked.push({ digest, proof: new Uint8Array(await r.arrayBuffer()) });
      } catch {
        // the server was killed mid-request: not acknowledged, so nothing is promised
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

describe('kill -9 under load', () => {
  it('keeps every acknowledged digest across several crashes', async () => {
    const dataDir = tempDir('otsc-crash-');
    const acked: Array<{ digest: Uint8Array; proof: Uint8Array }> = [];
    let port: number | undefined;
    for (let round = 0; round < 4; round++) {
      // odd rounds cap batches at 8 digests: full batches are committed at once, several waiting on one fsync
      const args = round % 2 === 1 ? ['--max-batch', '8'] : [];
      const cal = await startCalendarProcess({ dataDir, tickMs: 50, args, ...(port ? { port } : {}) });
      port = cal.port;
      const until = { stop: false };
      const loading = load(cal.url, until, acked);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
      cal.kill('SIGKILL');
      await cal.exited;
      until.stop = true;
      await loading;
    }
    expect(acked.length).toBeGreaterThan(100);

    const cal = await startCalendarProcess({ dataDir, tickMs: 50, port: port as number });
    try {
      const commitments = new Set<string>();
      for (const { digest, proof } of acked) {
        const [p] = Timestamp.fromBytes(proof, digest).allAttestations();
        expect(p?.attestation).toEqual({ kind: 'pending', uri: cal.url });
        commitments.add(Buffer.from(p?.msg ?? []).toString('hex'));
      }
      for (const hex of commitments) {
        const r = await fetch(`${cal.url}/timestamp/${hex}`);
        expect(`${hex}: ${r.status} ${await r.text()}`).toBe(`${hex}: 404 Pending confirmation in Bitcoin blockchain`);
      }
    } finally {
      expect((await cal.stop()).code).toBe(0);
    }
    const fsck = await run(process.execPath, [MAIN, 'fsck', '--data-dir', dataDir, '--log-format', 'json']);
    expect(fsck.stdout).toContain('fsck: all good');
  });
});
