/** Proofs assembled from tree nodes read one at a time (a tree cache too small for any tree) are the same bytes as from cached trees. */
import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../src/journal/index.js';
import { CalendarIndex } from '../../src/index/index.js';
import { Calendar } from '../../src/calendar/calendar.js';
import { OP_SHA256, bitcoinAttestation, encodePath, merkleRoot, opAppend, sha256 } from '../../src/ots/index.js';

describe('tree nodes read from disk', () => {
  it('give the same proofs as trees held in memory, for anchors of every shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otsc-tree-reads-'));
    const answers = async (treeCacheBytes: number | undefined, build: boolean): Promise<string[]> => {
      const journal = await Journal.open({ dir: join(dir, 'journal'), log: () => undefined });
      const index = await CalendarIndex.open({ dir: join(dir, 'index'), journal, ...(treeCacheBytes === undefined ? {} : { treeCacheBytes }) });
      try {
        let i = 0;
        const calendar = new Calendar({ journal, index, hmacKey: new Uint8Array(32).fill(7), uri: 'https://calendar.example', now: () => 1_700_000_000 + i / 4 });
        if (build) {
          for (; i < 700; i++) await calendar.commit(sha256(new TextEncoder().encode(`root ${i}`)));
          const all = Array.from({ length: 700 }, (_, n) => index.commitment(n));
          for (const [start, end] of [[0, 1], [1, 9], [9, 18], [18, 300], [300, 690]] as const) {
            const tip = merkleRoot(all.slice(start, end).map((c) => sha256(c)));
            await calendar.appendAnchor({ tip, ranges: [{ start, end }], timestamp: encodePath([opAppend(new Uint8Array([start & 0xff])), OP_SHA256], bitcoinAttestation(800_000 + start)) });
          }
        }
        return Array.from({ length: 700 }, (_, n) => {
          const a = calendar.answer(index.commitment(n));
          return a.kind === 'complete' ? Buffer.from(a.proof).toString('hex') : a.kind;
        });
      } finally {
        index.close();
        await journal.close();
      }
    };
    const cached = await answers(undefined, true);
    expect(cached.filter((a) => a !== 'pending')).toHaveLength(690);
    expect(await answers(undefined, false)).toEqual(cached);
    expect(await answers(1, false)).toEqual(cached);
  });
});
