/**
 * Damage, and what it is answered with, with real processes: a damaged index is rebuilt (it is derived) and
 * never decides what the journal keeps; a journal that lost records or holds a damaged one refuses to open with
 * the file, the offset, the cause and the repair; fsck lists each instead of failing.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { cpSync, readdirSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { MAIN, freePort, startCalendarProcess, tempDir } from '../fixtures/calendar-process.js';
import { Timestamp } from '../../src/ots/index.js';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  return run(process.execPath, [MAIN, ...args, '--log-format', 'json']).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

/** A calendar's data directory with `n` digests in journal segments of 16 records; returns their commitments. */
async function calendarWith(n: number): Promise<{ dataDir: string; commitments: string[] }> {
  const dataDir = tempDir('otsc-repair-');
  const cal = await startCalendarProcess({ dataDir, tickMs: 20, args: ['--max-batch', '1'] });
  const commitments: string[] = [];
  for (let i = 0; i < n; i++) {
    const digest = randomBytes(32);
    const r = await fetch(`${cal.url}/digest`, { method: 'POST', body: digest });
    const [p] = Timestamp.fromBytes(new Uint8Array(await r.arrayBuffer()), digest).allAttestations();
    commitments.push(Buffer.from(p?.msg ?? []).toString('hex'));
  }
  expect((await cal.stop()).code).toBe(0);
  return { dataDir, commitments };
}

describe('repair', () => {
  it('a damaged index: fsck says so, the calendar rebuilds it and answers everything, reindex repairs it', async () => {
    const { dataDir, commitments } = await calendarWith(40);
    writeFileSync(join(dataDir, 'index', 'commits.idx'), randomBytes(4000));
    const fsck = await cli(['fsck', '--data-dir', dataDir]);
    expect(fsck.code).toBe(1);
    expect(fsck.out).toContain('commits.idx: its last entries name journal records out of order or beyond any journal');
    expect(fsck.out).toContain('ots-calendar reindex');

    const copy = tempDir('otsc-repair-copy-');
    cpSync(dataDir, copy, { recursive: true });
    const reindex = await cli(['reindex', '--data-dir', dataDir]);
    expect(reindex.code, reindex.out).toBe(0);
    expect((await cli(['fsck', '--data-dir', dataDir])).code).toBe(0);

    // the calendar itself does not refuse either: it logs the damage and rebuilds
    const cal = await startCalendarProcess({ dataDir: copy, tickMs: 20 });
    try {
      expect(cal.lines.some((l) => l['msg'] === 'the index is damaged; it is removed and rebuilt from the journal')).toBe(true);
      for (const c of commitments) {
        const r = await fetch(`${cal.url}/timestamp/${c}`);
        expect([c, r.status, await r.text()]).toEqual([c, 404, 'Pending confirmation in Bitcoin blockchain']);
      }
    } finally {
      expect((await cal.stop()).code).toBe(0);
    }
  });

  it('a journal that lost its last segment, or holds a flipped byte: the calendar names file, offset, cause and repair; fsck lists it', async () => {
    const { dataDir } = await calendarWith(3);
    const journal = join(dataDir, 'journal');
    const [segment] = readdirSync(journal).filter((n) => n.endsWith('.seg'));
    if (segment === undefined) throw new Error('no segment');
    const flipped = tempDir('otsc-flip-');
    cpSync(dataDir, flipped, { recursive: true });

    rmSync(join(journal, segment));
    const port = await freePort();
    const lost = await cli(['calendar', '--data-dir', dataDir, '--port', String(port)]);
    expect(lost.code).toBe(1);
    expect(lost.out).toMatch(new RegExp(`record 2 was durable before \\(the index \\(.*\\) saw it, in ${segment} at byte offset \\d+\\), but the journal now ends at record 0: it holds no segment file\\. Nothing was cut\\. Restore the journal from a backup or a mirror`));
    const fsckLost = await cli(['fsck', '--data-dir', dataDir]);
    expect(fsckLost.code).toBe(1);
    expect(fsckLost.out).toContain('the index saw journal record 2 durable, but the journal ends at record 0: records were lost');

    const fd = openSync(join(flipped, 'journal', segment), 'r+');
    writeSync(fd, Buffer.from([0xff]), 0, 1, 30);
    closeSync(fd);
    const bad = await cli(['calendar', '--data-dir', flipped, '--port', String(port)]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(new RegExp(`${segment} holds a torn or damaged record at byte offset 0: record 0 at 0: record checksum mismatch`));
    const fsckBad = await cli(['fsck', '--data-dir', flipped]);
    expect(fsckBad.code).toBe(1);
    expect(fsckBad.out).toContain(`${segment}: record 0 at 0: record checksum mismatch`);
  });
});
