/**
 * The real OpenTimestamps clients against a real calendar process: the JavaScript CLI (npm opentimestamps 0.4.9)
 * and python-opentimestamps (Debian), driven as the `ots` CLI drives it (reference/conformance.md §3).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startCalendarProcess, tempDir, type CalendarProcess } from '../fixtures/calendar-process.js';
import { DetachedTimestampFile, bytesToHex } from '../../src/ots/index.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const JS_CLI = join(require.resolve('opentimestamps/package.json'), '..', 'ots-cli.js');
const PY_DRIVER = fileURLToPath(new URL('../fixtures/ots_client_driver.py', import.meta.url));
const ENV: NodeJS.ProcessEnv = { ...process.env, NO_PROXY: '127.0.0.1,localhost', http_proxy: '', HTTP_PROXY: '', NODE_NO_WARNINGS: '1' };

let cal: CalendarProcess;
let work: string;

beforeAll(async () => {
  cal = await startCalendarProcess({ tickMs: 200 });
  work = tempDir('otsc-clients-');
  ENV['HOME'] = work;
});

afterAll(async () => {
  const exit = await cal.stop();
  expect(exit.code).toBe(0);
});

function pendingUris(file: string): string[] {
  const d = DetachedTimestampFile.fromBytes(readFileSync(file));
  return d.timestamp.allAttestations().flatMap(({ attestation: a }) => (a.kind === 'pending' ? [a.uri] : []));
}

describe('the JavaScript client (ots-cli.js 0.4.9)', () => {
  it('stamps a file and gets a pending proof with our URI', async () => {
    const f = join(work, 'js.txt');
    writeFileSync(f, 'stamped by the JavaScript client\n');
    const { stdout } = await run(process.execPath, [JS_CLI, 'stamp', '-c', cal.url, f], { env: ENV });
    expect(stdout).toContain(`Submitting to remote calendar ${cal.url}`);
    expect(pendingUris(`${f}.ots`)).toEqual([cal.url]);
  });

  it('stamps three files in one submission, all sharing one commitment', async () => {
    const files = ['a', 'b', 'c'].map((n) => join(work, `js-${n}.txt`));
    files.forEach((f, i) => writeFileSync(f, `file ${i}\n`));
    await run(process.execPath, [JS_CLI, 'stamp', '-c', cal.url, ...files], { env: ENV });
    const commitments = files.map((f) => {
      const d = DetachedTimestampFile.fromBytes(readFileSync(`${f}.ots`));
      const [p] = d.timestamp.allAttestations();
      return bytesToHex(p?.msg ?? new Uint8Array());
    });
    expect(new Set(commitments).size).toBe(1);
    expect(commitments[0]).toHaveLength(88);
  });

  it('upgrade reports the pending reason and leaves the file alone', async () => {
    const f = join(work, 'js.txt');
    const before = readFileSync(`${f}.ots`);
    const { stdout } = await run(process.execPath, [JS_CLI, 'upgrade', '-c', cal.url, `${f}.ots`], { env: ENV });
    expect(stdout).toContain(`Calendar ${cal.url}: Pending confirmation in Bitcoin blockchain`);
    expect(stdout).toContain('Failed! Timestamp not complete');
    expect(readFileSync(`${f}.ots`).equals(before)).toBe(true);
  });
});

describe('python-opentimestamps (as the ots CLI uses it)', () => {
  it('stamps, then upgrade says pending', async () => {
    const f = join(work, 'py.txt');
    writeFileSync(f, 'stamped by python-opentimestamps\n');
    await run('/usr/bin/python3', [PY_DRIVER, 'stamp', cal.url, f], { env: ENV });
    expect(pendingUris(`${f}.ots`)).toEqual([cal.url]);
    const r = await run('/usr/bin/python3', [PY_DRIVER, 'upgrade', cal.url, `${f}.ots`], { env: ENV }).catch((e: { code: number; stderr: string }) => e);
    expect(r.stderr).toContain(`Calendar ${cal.url}: Pending confirmation in Bitcoin blockchain`);
    expect(r.stderr).toContain('Failed! Timestamp not complete');
    expect(existsSync(`${f}.ots.bak`)).toBe(false);
  });

  it('the proof is the reference server\'s shape: nonce, sha256, [path], time, MAC, pending', async () => {
    const f = join(work, 'py.txt.ots');
    const d = DetachedTimestampFile.fromBytes(readFileSync(f));
    const [leafOp] = [...d.timestamp.ops.values()];
    // the client's own nonce, then sha256; the calendar's part begins below that
    expect(leafOp?.op.name).toBe('append');
    const [p] = d.timestamp.allAttestations();
    expect(p?.msg.length).toBe(44);
    const t = Buffer.from(p?.msg ?? []).readUInt32BE(0);
    expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(60);
  });
});
