/**
 * Key custody and backups, with real processes: a data directory whose journal holds commitments never gets a
 * new key, a key file others may read is refused, and `ots-calendar backup` copies a calendar under load so
 * that a calendar started on the copy answers for every digest acknowledged before the backup began, and
 * `fsck` is clean on the copy, as it is on a plain `cp -a` of the running directory.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MAIN, freePort, startCalendarProcess, tempDir } from '../fixtures/calendar-process.js';
import { Timestamp } from '../../src/ots/index.js';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [MAIN, ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** The commitment (hex) a calendar's answer to `digest` ends in. */
function commitmentOf(digest: Uint8Array, proof: Uint8Array): string {
  const [pending] = Timestamp.fromBytes(proof, digest).allAttestations();
  return Buffer.from(pending?.msg ?? []).toString('hex');
}

describe('the HMAC key', () => {
  it('is never replaced once the journal holds commitments, and is refused when others may read it', async () => {
    const dataDir = tempDir('otsc-key-');
    const cal = await startCalendarProcess({ dataDir, tickMs: 50 });
    expect((await fetch(`${cal.url}/digest`, { method: 'POST', body: randomBytes(32) })).status).toBe(200);
    expect((await cal.stop()).code).toBe(0);
    const key = readFileSync(join(dataDir, 'hmac-key'));

    rmSync(join(dataDir, 'hmac-key'));
    const lost = await cli(['calendar', '--data-dir', dataDir, '--port', String(await freePort())]);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toContain(`${join(dataDir, 'hmac-key')} is missing, but the journal in ${join(dataDir, 'journal')} holds commitments made with it. Restore the key from your backup`);
    expect(existsSync(join(dataDir, 'hmac-key'))).toBe(false);

    writeFileSync(join(dataDir, 'hmac-key'), key, { mode: 0o644 });
    chmodSync(join(dataDir, 'hmac-key'), 0o644);
    const loose = await cli(['calendar', '--data-dir', dataDir, '--port', String(await freePort())]);
    expect(loose.code).toBe(1);
    expect(loose.stderr).toContain(`may be read by other users (mode 0644); allow its owner alone: chmod 600 ${join(dataDir, 'hmac-key')}`);
    expect(loose.stderr).not.toContain(key.toString('hex'));

    chmodSync(join(dataDir, 'hmac-key'), 0o600);
    const again = await startCalendarProcess({ dataDir, tickMs: 50 });
    expect((await again.stop()).code).toBe(0);
  });
});

describe('ots-calendar backup', () => {
  it('copies a calendar under load; a calendar on the copy answers every digest acknowledged before, and fsck is clean', async () => {
    const dataDir = tempDir('otsc-live-');
    const cal = await startCalendarProcess({ dataDir, tickMs: 20, args: ['--max-batch', '8'] });
    const acked: Array<{ at: number; commitment: string }> = [];
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const digest = randomBytes(32);
        const r = await fetch(`${cal.url}/digest`, { method: 'POST', body: digest });
        if (r.status === 200) acked.push({ at: performance.now(), commitment: commitmentOf(digest, new Uint8Array(await r.arrayBuffer())) });
        else await r.arrayBuffer();
      }
    };
    const workers = Array.from({ length: 16 }, () => worker());
    // under load, not after a fixed time: a busy machine acknowledges fewer per second
    while (acked.length < 150) await new Promise((r) => setTimeout(r, 50));
    const backupDir = join(tempDir('otsc-backup-'), 'copy');
    const startedAt = performance.now();
    const backup = await cli(['backup', '--data-dir', dataDir, '--to', backupDir, '--log-format', 'json']);
    // the other documented way: a plain `cp -a` of the live directory, which carries the held lock's file
    const plainCopy = join(tempDir('otsc-cp-'), 'copy');
    await run('cp', ['-a', dataDir, plainCopy]);
    const after = acked.length;
    while (acked.length < after + 20) await new Promise((r) => setTimeout(r, 50));
    stop = true;
    await Promise.all(workers);
    expect((await cal.stop()).code).toBe(0);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/^backup of \d+ journal records written to /m);
    const before = acked.filter((a) => a.at < startedAt);
    expect(before.length).toBeGreaterThan(100);
    expect(acked.length).toBeGreaterThan(before.length); // the load went on while the copy was made

    expect(statSync(join(backupDir, 'hmac-key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(backupDir, 'hmac-key'))).toEqual(readFileSync(join(dataDir, 'hmac-key')));
    expect(readFileSync(join(backupDir, 'uri'), 'utf8')).toBe(readFileSync(join(dataDir, 'uri'), 'utf8'));
    // the lock is never copied; the check of the copy may leave its own, released lock file (a kernel lock
    // dies with its holder), and the restored calendar below takes it
    expect(existsSync(join(backupDir, 'index'))).toBe(false);

    const restored = await startCalendarProcess({ dataDir: backupDir, tickMs: 50 });
    try {
      for (const { commitment } of before) {
        const r = await fetch(`${restored.url}/timestamp/${commitment}`);
        expect([commitment, r.status, await r.text()]).toEqual([commitment, 404, 'Pending confirmation in Bitcoin blockchain']);
      }
    } finally {
      expect((await restored.stop()).code).toBe(0);
    }
    const fsck = await cli(['fsck', '--data-dir', backupDir, '--log-format', 'json']);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
    expect(fsck.stdout).toContain('fsck: all good');
    // the kernel lock is not copied with its file: fsck reads the plain copy while the original still runs
    expect(readFileSync(join(plainCopy, 'journal', 'journal.lock'), 'utf8')).not.toBe('');
    const fsckPlain = await cli(['fsck', '--data-dir', plainCopy, '--log-format', 'json']);
    expect(fsckPlain.code, fsckPlain.stdout + fsckPlain.stderr).toBe(0);
    expect(fsckPlain.stdout).toContain('fsck: all good');
  });

  it('refuses a target that is not empty, and needs --to', async () => {
    const dataDir = tempDir('otsc-live-');
    const cal = await startCalendarProcess({ dataDir, tickMs: 50 });
    expect((await cal.stop()).code).toBe(0);
    const full = tempDir('otsc-full-');
    mkdirSync(join(full, 'something'));
    const r = await cli(['backup', '--data-dir', dataDir, '--to', full]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${full} is not empty: a backup goes into a new or empty directory`);
    const missing = await cli(['backup', '--data-dir', dataDir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('"to" is required');
  });
});
