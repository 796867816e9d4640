/**
 * `ots-calendar mirror --aggregate`: a mirror also takes digests, submits one merkle root per tick to the
 * calendar it follows, and soon serves the pending answers for what it submitted from its own copy of the
 * journal. Without the flag, POST /digest is not a path it knows.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { Timestamp } from '../../src/ots/index.js';
import { startCalendarProcess, tempDir } from '../fixtures/calendar-process.js';
import { startMirrorProcess, until } from './fixtures/mirror-process.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const JS_CLI = join(require.resolve('opentimestamps/package.json'), '..', 'ots-cli.js');

describe('mirror --aggregate', () => {
  it('takes digests for its upstream and then serves their pending answers itself', async () => {
    const cal = await startCalendarProcess({ tickMs: 100 });
    const mirror = await startMirrorProcess({ upstream: cal.url, args: ['--aggregate', '--tick-ms', '100', '--poll-wait-ms', '2000'] });
    const plain = await startMirrorProcess({ upstream: cal.url, args: ['--poll-wait-ms', '2000'] });
    try {
      const digest = randomBytes(32);
      const r = await fetch(`${mirror.url}/digest`, { method: 'POST', body: digest });
      expect(r.status).toBe(200);
      const [p] = Timestamp.fromBytes(new Uint8Array(await r.arrayBuffer()), digest).allAttestations();
      // pending on the calendar itself: clients upgrade from it (or from any of its mirrors)
      expect(p?.attestation).toEqual({ kind: 'pending', uri: cal.url });
      const hex = Buffer.from(p?.msg ?? []).toString('hex');
      for (const base of [cal.url, mirror.url]) {
        // 404 "Not found" until the mirror's journal brings the commitment, then the pending reason
        await until(async () => (await (await fetch(`${base}/timestamp/${hex}`)).text()) !== 'Not found', 'the commitment is known');
        const a = await fetch(`${base}/timestamp/${hex}`);
        expect(await a.text()).toBe('Pending confirmation in Bitcoin blockchain');
      }

      // the real JavaScript client stamps through it
      const work = tempDir('otsc-mirror-agg-');
      const file = join(work, 'f.txt');
      writeFileSync(file, 'stamped through a mirror\n');
      const out = await run(process.execPath, [JS_CLI, 'stamp', '-c', mirror.url, '-m', '1', file], { env: { ...process.env, HOME: work } });
      expect(out.stdout + out.stderr).toContain('has been created');

      const status = (await (await fetch(`${mirror.url}/status`)).json()) as { role: string; digests: number; tickMs: number };
      expect(status).toMatchObject({ role: 'mirror', digests: 2, tickMs: 100 });
      const metrics = await (await fetch(`${mirror.url}/metrics`)).text();
      expect(metrics).toMatch(/^ots_digests_total 2$/m);

      const refused = await fetch(`${plain.url}/digest`, { method: 'POST', body: randomBytes(32) });
      expect(`${refused.status} ${await refused.text()}`).toBe('404 not found');
    } finally {
      expect((await plain.stop()).code).toBe(0);
      expect((await mirror.stop()).code).toBe(0);
      expect((await cal.stop()).code).toBe(0);
    }
  });
});
