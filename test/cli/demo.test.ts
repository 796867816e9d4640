/** `npm run demo`'s command, run for real: the whole lifecycle in under a minute, then nothing left behind. */
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { MAIN } from '../fixtures/calendar-process.js';

const run = promisify(execFile);

describe('ots-calendar demo', () => {
  it('stamps, anchors on a regtest node, upgrades, verifies and prints the proof, then cleans up', async () => {
    const demoDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('ots-calendar-demo-'));
    const dirsBefore = demoDirs();
    const started = Date.now();
    const { stdout } = await run(process.execPath, [MAIN, 'demo'], { timeout: 60_000 });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(stdout).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
    expect(stdout).toMatch(/^File sha256 hash: [0-9a-f]{64}$/m);
    expect(stdout).toMatch(/verify PendingAttestation\('http:\/\/127\.0\.0\.1:\d+'\)/);
    expect(stdout).toMatch(/verify BitcoinBlockHeaderAttestation\(\d+\)/);
    expect(stdout).toMatch(/# Transaction id [0-9a-f]{64}/);
    expect(stdout).toContain('Cleaning up.');
    expect(demoDirs()).toEqual(dirsBefore);
  });
});
