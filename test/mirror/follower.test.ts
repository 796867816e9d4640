// The follower against an upstream in this process: catch-up, byte-identical journals and answers, the live tail, resume.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CalendarMirror } from '../../src/mirror/index.js';
import { tempDir } from '../fixtures/calendar-process.js';
import { buildJournal, fakeCommitment, syntheticAnchorTimestamp, tipOf } from './fixtures/journal-builder.js';
import { startInProcessUpstream } from './fixtures/upstream-server.js';

describe('journal follower', () => {
  it('catches up, then follows the tail; journals and answers are identical', async () => {
    const upDir = tempDir('otsm-up-');
    const built = await buildJournal(upDir, { count: 10_000, anchorEvery: 1_000, leavePending: 300, segmentRecords: 4_096 });
    const up = await startInProcessUpstream(upDir);
    const mirror = await CalendarMirror.open({ dir: tempDir('otsm-mirror-'), upstream: up.url });
    try {
      const progress = await mirror.follower.catchUp();
      expect(progress.localSize).toBe(up.journal.head().size);
      expect(Buffer.from(mirror.journal.head().hash).equals(Buffer.from(up.journal.head().hash))).toBe(true);
      for (const c of [built.commitments[0], built.commitments[5_000], built.commitments[9_999]]) {
        expect(mirror.answer(c as Uint8Array)).toEqual(up.answer(c as Uint8Array));
      }
      mirror.follower.start();
      const more = [fakeCommitment(1_800_000_000), fakeCommitment(1_800_000_001)];
      const t0 = Date.now();
      await up.append(more.map((commitment) => ({ type: 'commit' as const, commitment })));
      while (mirror.journal.head().size < up.journal.head().size) await new Promise((r) => setTimeout(r, 10));
      expect(Date.now() - t0).toBeLessThan(1_000);
      expect(mirror.answer(more[1] as Uint8Array).kind).toBe('pending');
      const all = [...built.commitments.slice(9_700), ...more];
      await up.append([{ type: 'anchor', anchor: { tip: tipOf(all), ranges: [{ start: 9_700, end: 10_002 }], timestamp: syntheticAnchorTimestamp(900_000) } }]);
      while (mirror.journal.head().size < up.journal.head().size) await new Promise((r) => setTimeout(r, 10));
      expect(mirror.answer(more[1] as Uint8Array)).toEqual(up.answer(more[1] as Uint8Array));
      expect(mirror.answer(more[1] as Uint8Array).kind).toBe('complete');
      await mirror.follower.stop();
      const segs = readdirSync(join(upDir, 'journal')).filter((n) => n.endsWith('.seg'));
      for (const s of segs) expect(readFileSync(join(mirror.journal.dir, s)).equals(readFileSync(join(upDir, 'journal', s)))).toBe(true);
    } finally {
      await mirror.close();
      await up.close();
    }
  });
});
