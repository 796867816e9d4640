/**
 * A mirror process killed (SIGKILL) in the middle of catching up with a long journal resumes from what it had
 * stored: it never asks for the journal from the start again, and ends byte-identical to its upstream.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Journal } from '../../src/journal/index.js';
import { CHUNK_RECORDS } from '../../src/mirror/index.js';
import { tempDir } from '../fixtures/calendar-process.js';
import { buildJournal } from './fixtures/journal-builder.js';
import { startDoctoringProxy } from './fixtures/doctoring-proxy.js';
import { getTimestamp, mirrorStatus, startMirrorProcess, until } from './fixtures/mirror-process.js';
import { startInProcessUpstream } from './fixtures/upstream-server.js';

/** The chunk or tail start a journal request asks for, or undefined for other requests. */
function firstRecordAsked(path: string): number | undefined {
  const chunk = /^\/journal\/chunk\/(\d+)$/.exec(path);
  if (chunk) return Number(chunk[1]) * CHUNK_RECORDS;
  const tail = /^\/journal\/tail\?from=(\d+)/.exec(path);
  return tail ? Number(tail[1]) : undefined;
}

describe('resuming after a crash', () => {
  it('continues from the records it stored, not from zero', async () => {
    const upDir = tempDir('otsm-resume-up-');
    const built = await buildJournal(upDir, { count: 24 * CHUNK_RECORDS, anchorEvery: 2_000, leavePending: 100 });
    const up = await startInProcessUpstream(upDir);
    const proxy = await startDoctoringProxy(up.url);
    // slow enough that the catch-up is still running when the process is killed
    proxy.setDelay(150);
    const dataDir = tempDir('otsm-resume-mirror-');
    try {
      const first = await startMirrorProcess({ upstream: proxy.url, dataDir });
      await until(async () => (await mirrorStatus(first.url)).mirror.records >= 6 * CHUNK_RECORDS, 'the first run stored 6 chunks', 30_000);
      first.proc.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      // what survived the crash is the second run's starting point
      const journal = await Journal.open({ dir: join(dataDir, 'journal'), log: () => undefined });
      const kept = journal.head().size;
      await journal.close();
      const total = up.journal.head().size;
      expect(kept).toBeGreaterThanOrEqual(6 * CHUNK_RECORDS);
      expect(kept).toBeLessThan(total);

      const asked = proxy.requests.length;
      proxy.setDelay(0);
      const second = await startMirrorProcess({ upstream: proxy.url, dataDir });
      try {
        await until(async () => (await mirrorStatus(second.url)).mirror.records === total, 'the second run caught up', 30_000);
        const secondRun = proxy.requests.slice(asked).map(firstRecordAsked).filter((n): n is number => n !== undefined);
        expect(secondRun.length).toBeGreaterThan(0);
        expect(Math.min(...secondRun)).toBeGreaterThanOrEqual(kept - (kept % CHUNK_RECORDS));
        expect(secondRun[0]).toBe(kept);
        const [ours, theirs] = await Promise.all([fetch(`${second.url}/journal/head`), fetch(`${up.url}/journal/head`)]);
        const [a, b] = [(await ours.json()) as { size: number; hash: string }, (await theirs.json()) as { size: number; hash: string }];
        expect(a.hash).toBe(b.hash);
        expect(a.size).toBe(total);
        for (const c of [built.commitments[0], built.commitments[60_000], built.commitments.at(-1)]) {
          const [m, u] = await Promise.all([getTimestamp(second.url, c as Uint8Array), getTimestamp(up.url, c as Uint8Array)]);
          expect(m.status).toBe(u.status);
          expect(m.body.equals(u.body)).toBe(true);
        }
      } finally {
        expect((await second.stop()).code).toBe(0);
      }
    } finally {
      await proxy.close();
      await up.close();
    }
  });
});
