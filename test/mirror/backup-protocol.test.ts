/**
 * Compatibility with the reference's backup mirroring: a calendar process serves /experimental/backup/<n> in the
 * reference's byte format (read back with python-opentimestamps as the reference's tools read it), and a mirror
 * process with --backup-protocol follows it chunk by chunk, answers as the calendar does, and refuses a forged chunk.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal } from '../../src/journal/index.js';
import { CalendarIndex } from '../../src/index/index.js';
import { BACKUP_CHUNK_COMMITMENTS, decodeBackupChunk, encodeBackupChunk } from '../../src/mirror/index.js';
import { opAppend } from '../../src/ots/index.js';
import { startCalendarProcess, tempDir } from '../fixtures/calendar-process.js';
import { PYTHON } from '../fixtures/python/oracle.js';
import { buildJournal, fakeCommitment, syntheticAnchorTimestamp, tipOf } from './fixtures/journal-builder.js';
import { startDoctoringProxy } from './fixtures/doctoring-proxy.js';
import { getTimestamp, mirrorStatus, startMirrorProcess, until } from './fixtures/mirror-process.js';

const READER = fileURLToPath(new URL('./fixtures/backup_reader.py', import.meta.url));

function readWithPython(chunk: Uint8Array, commitments: readonly Uint8Array[]): { keys: number; sorted: boolean; canonical: boolean; proofs: string[] } {
  const run = spawnSync(PYTHON, [READER], {
    input: JSON.stringify({ chunk: Buffer.from(chunk).toString('hex'), commitments: commitments.map((c) => Buffer.from(c).toString('hex')) }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`backup_reader.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ReturnType<typeof readWithPython>;
}

async function chunk(url: string, n: number): Promise<Response> {
  return fetch(`${url}/experimental/backup/${n}`);
}

describe('the reference backup protocol', () => {
  it('serves chunks in its format and is followed through them', async () => {
    const dataDir = tempDir('otsm-backup-up-');
    // 2,600 commitments anchored up to 2,400: chunks 0 and 1 are complete, chunk 2 is not
    const built = await buildJournal(dataDir, { count: 2_600, anchorEvery: 700, leavePending: 200 });
    let cal = await startCalendarProcess({ dataDir, tickMs: 50 });
    const port = cal.port;
    const mirror = await startMirrorProcess({ upstream: cal.url, args: ['--backup-protocol', '--backup-poll-seconds', '1'] });
    try {
      const first = await chunk(cal.url, 0);
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('application/octet-stream');
      expect(first.headers.get('cache-control')).toMatch(/^public, max-age=31536000/);
      const bytes = new Uint8Array(await first.arrayBuffer());
      const missing = await chunk(cal.url, 2);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('cache-control')).toBe('public, max-age=60');
      expect(await missing.text()).toBe('');
      expect((await chunk(cal.url, -1)).status).toBe(400);

      // python-opentimestamps reads it as the reference's tools do; every proof equals the calendar's answer
      const commitments = built.commitments.slice(0, BACKUP_CHUNK_COMMITMENTS);
      const read = readWithPython(bytes, commitments);
      expect(read.sorted).toBe(true);
      expect(read.canonical).toBe(true);
      expect(read.keys).toBe(decodeBackupChunk(bytes).length);
      for (const [i, c] of commitments.entries()) {
        const answer = await getTimestamp(cal.url, c);
        expect(answer.status).toBe(200);
        expect(read.proofs[i]).toBe(answer.body.toString('hex'));
      }
      // the same proofs always give the same bytes
      expect(Buffer.from(await (await chunk(cal.url, 0)).arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);

      // the mirror stores chunks 0 and 1 and answers from them as the calendar does
      await until(async () => (await mirrorStatus(mirror.url)).commitments === 2 * BACKUP_CHUNK_COMMITMENTS, 'the mirror stored two chunks');
      for (const c of [built.commitments[0], built.commitments[999], built.commitments[1_000], built.commitments[1_999]]) {
        const [m, u] = await Promise.all([getTimestamp(mirror.url, c as Uint8Array), getTimestamp(cal.url, c as Uint8Array)]);
        expect(m.status).toBe(200);
        expect(m.body.equals(u.body)).toBe(true);
      }
      expect((await getTimestamp(mirror.url, built.commitments[2_000] as Uint8Array)).body.toString()).toBe('Not found');
      // and serves them on, byte for byte
      expect(Buffer.from(await (await chunk(mirror.url, 1)).arrayBuffer()).equals(Buffer.from(await (await chunk(cal.url, 1)).arrayBuffer()))).toBe(true);

      // the calendar gets 400 more commitments and anchors everything: chunk 2 completes and the mirror takes it
      expect((await cal.stop()).code).toBe(0);
      const journal = await Journal.open({ dir: join(dataDir, 'journal'), log: () => undefined });
      const index = await CalendarIndex.open({ dir: join(dataDir, 'index'), journal });
      const more = Array.from({ length: 400 }, (_, i) => fakeCommitment(1_760_000_000 + i));
      await journal.append(more.map((commitment) => ({ type: 'commit' as const, commitment })));
      await journal.append([{ type: 'anchor', anchor: { tip: tipOf(index.commitments(2_400, 600)), ranges: [{ start: 2_400, end: 3_000 }], timestamp: syntheticAnchorTimestamp(880_000) } }]);
      index.close();
      await journal.close();
      cal = await startCalendarProcess({ dataDir, port, tickMs: 50 });
      await until(async () => (await mirrorStatus(mirror.url)).commitments === 3 * BACKUP_CHUNK_COMMITMENTS, 'the mirror stored chunk 2', 20_000);
      const [m, u] = await Promise.all([getTimestamp(mirror.url, more[399] as Uint8Array), getTimestamp(cal.url, more[399] as Uint8Array)]);
      expect(m.status).toBe(200);
      expect(m.body.equals(u.body)).toBe(true);
      expect((await mirrorStatus(mirror.url)).mirror.following).toBe(true);
    } finally {
      await cal.stop();
      expect((await mirror.stop()).code).toBe(0);
    }

    // a forged chunk: one op argument changed, the chunk re-encoded in order; nothing of it is stored
    cal = await startCalendarProcess({ dataDir, port, tickMs: 50 });
    const proxy = await startDoctoringProxy(cal.url);
    proxy.setBodyDoctor((path, body) => {
      if (path !== '/experimental/backup/1') return undefined;
      const nodes = decodeBackupChunk(body);
      const victim = nodes.find((n) => n.ops.some((op) => op.arg !== undefined));
      if (!victim) throw new Error('no node with an argument');
      const i = victim.ops.findIndex((op) => op.arg !== undefined);
      const arg = new Uint8Array(victim.ops[i]?.arg as Uint8Array);
      arg[0] = (arg[0] as number) ^ 1;
      victim.ops[i] = opAppend(arg);
      return encodeBackupChunk(nodes);
    });
    const forged = await startMirrorProcess({ upstream: proxy.url, args: ['--backup-protocol', '--backup-poll-seconds', '1'] });
    try {
      const failed = await forged.waitFor((r) => r['code'] === 'mirror-backup-chunk');
      expect(String(failed['error'])).toMatch(/^backup chunk 1 does not verify: /);
      const status = await mirrorStatus(forged.url);
      expect(status.mirror.following).toBe(false);
      expect(status.commitments).toBe(BACKUP_CHUNK_COMMITMENTS);
      expect((await getTimestamp(forged.url, built.commitments[5] as Uint8Array)).status).toBe(200);
      expect((await getTimestamp(forged.url, built.commitments[1_005] as Uint8Array)).status).toBe(404);
    } finally {
      expect((await forged.stop()).code).toBe(0);
      await proxy.close();
      await cal.stop();
    }
  });
});
