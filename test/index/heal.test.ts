/**
 * An index write that fails (a full disk under the index files): the commit is refused (nothing acknowledged
 * that the index does not hold), and once writes work again the index re-derives what it missed from the
 * journal and the calendar resumes without a restart, with answers identical to a rebuilt index.
 */
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { Journal } from '../../src/journal/index.js';
import { CalendarIndex, IndexFailedError, removeIndexFiles } from '../../src/index/index.js';
import { Calendar } from '../../src/calendar/calendar.js';
import { openDataDir } from '../../src/calendar/data-dir.js';
import { OP_SHA256, bitcoinAttestation, encodePath, merkleRoot, opAppend, sha256 } from '../../src/ots/index.js';
import { tempDir } from '../fixtures/calendar-process.js';

describe('index heal', () => {
  it('refuses commits while its files cannot be written, then catches up from the journal by itself', async () => {
    const root = tempDir('otsc-heal-');
    const dd = openDataDir(root, { defaultUri: 'http://127.0.0.1:14788' });
    const journal = await Journal.open({ dir: dd.journalDir, log: () => undefined });
    let diskFull = false;
    const write = (fd: number, buf: Uint8Array, off: number, len: number, pos: number): number => {
      if (diskFull) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return writeSync(fd, buf, off, len, pos);
    };
    const index = await CalendarIndex.open({ dir: dd.indexDir, journal, write });
    const calendar = new Calendar({ journal, index, hmacKey: dd.hmacKey, uri: dd.uri });
    for (let i = 0; i < 5; i++) await calendar.commit(randomBytes(32));

    diskFull = true;
    await expect(calendar.commit(randomBytes(32))).rejects.toBeInstanceOf(IndexFailedError);
    await expect(calendar.commit(randomBytes(32))).rejects.toBeInstanceOf(IndexFailedError);
    expect(await index.heal()).toBe(false);
    expect(index.failure).toBeInstanceOf(IndexFailedError);

    diskFull = false;
    await new Promise((r) => setTimeout(r, 1100)); // heal attempts are a second apart
    expect(await index.heal()).toBe(true);
    expect(index.failure).toBeUndefined();
    await calendar.commit(randomBytes(32));
    // every journal commit record, the refused ones included (they are durable), is answerable
    expect(index.commitCount).toBe(8);
    const commitments = Array.from({ length: 8 }, (_, i) => index.commitment(i));
    const tip = merkleRoot(commitments.map((c) => sha256(c)));
    await calendar.appendAnchor({ tip, ranges: [{ start: 0, end: 8 }], timestamp: encodePath([opAppend(randomBytes(4)), OP_SHA256], bitcoinAttestation(9)) });
    const answers = commitments.map((c) => Buffer.from(JSON.stringify(calendar.answer(c))).toString('base64'));
    expect(commitments.every((c) => calendar.answer(c).kind === 'complete')).toBe(true);
    index.close();

    removeIndexFiles(dd.indexDir);
    const rebuilt = await CalendarIndex.open({ dir: dd.indexDir, journal });
    const again = new Calendar({ journal, index: rebuilt, hmacKey: dd.hmacKey, uri: dd.uri });
    expect(commitments.map((c) => Buffer.from(JSON.stringify(again.answer(c))).toString('base64'))).toEqual(answers);
    rebuilt.close();
    await journal.close();
  });
});
