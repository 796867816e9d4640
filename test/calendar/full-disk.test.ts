/**
 * A full disk, for real: the calendar's data directory on a tiny tmpfs. Intake answers 503 with a clear text
 * (never a 200 for a digest it could not store), the process stays up and resumes by itself once space is
 * freed, and after a restart every acknowledged digest still has its answer and the journal checks clean.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startCalendarProcess, tempDir, MAIN } from '../fixtures/calendar-process.js';
import { Timestamp } from '../../src/ots/index.js';

const run = promisify(execFile);
const mountPoint = tempDir('otsc-tinyfs-');

afterAll(() => {
  try {
    execFileSync('umount', [mountPoint]);
  } catch {
    // not mounted
  }
});

describe('a full disk', () => {
  it('answers 503 instead of acknowledging, keeps running, and loses nothing acknowledged', async () => {
    // root is needed to mount; the test command runs as root (it installs its Debian packages too)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
    const dataDir = join(mountPoint, 'data');
    mkdirSync(dataDir);
    const cal = await startCalendarProcess({ dataDir, tickMs: 20 });
    const acked: Array<{ digest: Uint8Array; proof: Uint8Array }> = [];
    try {
      // fill the file system, leaving a few pages
      const free = (): number => Number(statfsSync(mountPoint).bavail) * Number(statfsSync(mountPoint).bsize);
      writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(Math.max(0, free() - 3 * 4096)));
      const refusals = new Map<string, number>();
      let refused = 0;
      for (let i = 0; i < 3000 && refused < 20; i++) {
        const digest = randomBytes(32);
        const r = await fetch(`${cal.url}/digest`, { method: 'POST', body: digest });
        const body = new Uint8Array(await r.arrayBuffer());
        if (r.status === 200) {
          acked.push({ digest, proof: body });
          continue;
        }
        expect(r.status).toBe(503);
        expect(r.headers.get('retry-after')).toBeTruthy();
        const text = Buffer.from(body).toString();
        refusals.set(text, (refusals.get(text) ?? 0) + 1);
        refused++;
      }
      expect([...refusals.keys()]).toEqual(['Could not store the digest durably; retry shortly']);
      expect(acked.length).toBeGreaterThan(0);
      // still alive, and saying why it is not ready
      expect((await fetch(`${cal.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${cal.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toContain('the last commitment could not be stored');
      expect(cal.lines.some((l) => l['level'] === 'error')).toBe(true);
      // space freed: intake resumes by itself, no restart needed
      rmSync(join(mountPoint, 'filler'));
      for (let i = 0; i < 3; i++) {
        const digest = randomBytes(32);
        const r = await fetch(`${cal.url}/digest`, { method: 'POST', body: digest });
        expect(r.status).toBe(200);
        acked.push({ digest, proof: new Uint8Array(await r.arrayBuffer()) });
      }
      expect((await fetch(`${cal.url}/readyz`)).status).toBe(200);
    } finally {
      const exit = await cal.stop();
      expect(exit, cal.stderr.join('') + JSON.stringify(cal.lines.slice(-5))).toEqual({ code: 0, signal: null });
    }
    const again = await startCalendarProcess({ dataDir, port: cal.port, tickMs: 20 });
    try {
      for (const { digest, proof } of acked) {
        const [p] = Timestamp.fromBytes(proof, digest).allAttestations();
        const r = await fetch(`${again.url}/timestamp/${Buffer.from(p?.msg ?? []).toString('hex')}`);
        expect(await r.text()).toBe('Pending confirmation in Bitcoin blockchain');
      }
      const after = await fetch(`${again.url}/digest`, { method: 'POST', body: randomBytes(32) });
      expect(after.status).toBe(200);
    } finally {
      expect((await again.stop()).code).toBe(0);
    }
    const fsck = await run(process.execPath, [MAIN, 'fsck', '--data-dir', dataDir, '--log-format', 'json']);
    expect(fsck.stdout).toContain('fsck: all good');
  });
});
