// A mirror whose upstream holds fewer records than the mirror, for real (the upstream answers its tail with 416 and
// its head): the same records are waited for, other records are refused. Nothing here rewrites an answer.
import { describe, expect, it } from 'vitest';
import { cpSync } from 'node:fs';
import { CalendarMirror, SequenceError, UpstreamUnavailableError } from '../../src/mirror/index.js';
import { tempDir } from '../fixtures/calendar-process.js';
import { buildJournal, fakeCommitment } from './fixtures/journal-builder.js';
import { startInProcessUpstream } from './fixtures/upstream-server.js';

describe('an upstream behind the mirror', () => {
  it('with the mirror\'s first records is waited for; with other records it is refused', async () => {
    const dir = tempDir('otsm-behind-up-');
    await buildJournal(dir, { count: 150, anchorEvery: 50 });
    // the same 150 records, restored from a copy: behind once the live one has grown
    const restored = tempDir('otsm-behind-copy-');
    cpSync(dir, restored, { recursive: true });
    const other = tempDir('otsm-behind-other-');
    await buildJournal(other, { count: 150, anchorEvery: 50 });

    const mirrorDir = tempDir('otsm-behind-m-');
    const live = await startInProcessUpstream(dir);
    // 150 commitments and their 3 anchors
    const before = live.journal.head().size;
    expect(before).toBe(153);
    const after = before + 10;
    try {
      await live.append(Array.from({ length: 10 }, (_, i) => ({ type: 'commit' as const, commitment: fakeCommitment(1_800_000_000 + i) })));
      const mirror = await CalendarMirror.open({ dir: mirrorDir, upstream: live.url });
      try {
        expect((await mirror.follower.catchUp()).localSize).toBe(after);
      } finally {
        await mirror.close();
      }
    } finally {
      await live.close();
    }

    const behind = await startInProcessUpstream(restored);
    try {
      const res = await fetch(`${behind.url}/journal/tail?from=${after}&wait=0`);
      expect(res.status).toBe(416);
      expect(res.headers.get('x-journal-size')).toBe(String(before));
      const mirror = await CalendarMirror.open({ dir: mirrorDir, upstream: behind.url });
      try {
        const err = await mirror.follower.catchUp().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UpstreamUnavailableError);
        expect(String(err)).toContain(`it holds ${before} records, the ${before} first of the ${after} the mirror holds; waiting for it to catch up`);
        expect(mirror.follower.failure).toBeUndefined();
        expect(mirror.journal.head().size).toBe(after);
      } finally {
        await mirror.close();
      }
    } finally {
      await behind.close();
    }

    const stranger = await startInProcessUpstream(other);
    try {
      const mirror = await CalendarMirror.open({ dir: mirrorDir, upstream: stranger.url });
      try {
        await expect(mirror.follower.catchUp()).rejects.toBeInstanceOf(SequenceError);
        expect(mirror.follower.failure?.code).toBe('mirror-sequence');
        expect(mirror.journal.head().size).toBe(after);
      } finally {
        await mirror.close();
      }
    } finally {
      await stranger.close();
    }
  });
});
