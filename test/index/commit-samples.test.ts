/** commits.idx.samples: an index file opened from its samples file answers every lookup as one read in full, and a samples file that does not match is ignored. */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommitIndexFile, SAMPLES_SUFFIX, type CommitEntry } from '../../src/index/commit-index.js';

/** 3,000 entries, three to a second, with a few out of order (as a mirrored foreign calendar can have). */
function entries(): CommitEntry[] {
  return Array.from({ length: 3_000 }, (_, n) => ({ time: 1_700_000_000 + Math.floor(n / 3) - (n % 997 === 5 ? 400 : 0), fingerprint: (n * 2_654_435_761) >>> 0, seq: n + Math.floor(n / 100), offset: n * 61 }));
}

function answers(f: CommitIndexFile, list: CommitEntry[]): string[] {
  return list.map((e) => f.candidates(e.time, e.fingerprint).map((c) => c.n).join(','));
}

describe('commits.idx samples file', () => {
  it('is written at close and read on open, giving the same lookups; a mismatched one is ignored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otsc-samples-'));
    const path = join(dir, 'commits.idx');
    const list = entries();
    const f = CommitIndexFile.open(path);
    f.append(list);
    const expected = answers(f, list);
    expect(expected.every((a, n) => a.split(',').includes(String(n)))).toBe(true);
    const lastTime = f.lastTime;
    f.close();
    expect(existsSync(path + SAMPLES_SUFFIX)).toBe(true);

    const g = CommitIndexFile.open(path);
    expect(answers(g, list)).toEqual(expected);
    expect(g.lastTime).toBe(lastTime);
    expect(g.count).toBe(list.length);
    g.close();

    // samples from another file: a changed sample is caught, and everything is read again
    const samples = readFileSync(path + SAMPLES_SUFFIX);
    samples.writeUInt32BE(samples.readUInt32BE(24) + 1, 24);
    writeFileSync(path + SAMPLES_SUFFIX, samples);
    const h = CommitIndexFile.open(path);
    expect(answers(h, list)).toEqual(expected);
    h.truncate(1_000);
    expect(existsSync(path + SAMPLES_SUFFIX)).toBe(false);
    expect(answers(h, list.slice(0, 1_000))).toEqual(expected.slice(0, 1_000).map((a) => a.split(',').filter((n) => Number(n) < 1_000).join(',')));
    h.close();
  });
});
