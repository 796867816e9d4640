import { afterAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, type JournalEntry } from '../../src/journal/index.js';
import { tempDir } from './fixtures/journal-fixture.js';

const RECORDS = 1_000_000;
const BATCH = 50_000;

describe('scan speed', () => {
  const t = tempDir('journal-speed-');
  afterAll(t.cleanup);

  it(`scans ${RECORDS.toLocaleString('en')} commit records in seconds, in order, from any start`, async () => {
    const t0 = performance.now();
    const j = await Journal.open({ dir: t.dir, log: () => undefined });
    const commitment = new Uint8Array(44);
    const view = new DataView(commitment.buffer);
    for (let from = 0; from < RECORDS; from += BATCH) {
      const entries: JournalEntry[] = [];
      for (let i = from; i < from + BATCH; i++) {
        view.setUint32(0, i, false);
        view.setUint32(40, i ^ 0x5a5a5a5a, false);
        entries.push({ type: 'commit', commitment: commitment.slice() });
      }
      await j.append(entries);
    }
    const built = performance.now() - t0;
    const head = j.head();
    expect(head.size).toBe(RECORDS);
    await j.close();

    const t1 = performance.now();
    const reopened = await Journal.open({ dir: t.dir, log: () => undefined });
    const opened = performance.now() - t1;
    expect(reopened.head()).toEqual(head);

    const t2 = performance.now();
    let n = 0;
    let ok = true;
    for await (const { record, loc } of reopened.scan(0)) {
      // every 4-byte prefix is the record's own number: proves order and content without storing anything
      if (record.seq !== n || loc.seq !== n || record.type !== 'commit' || new DataView(record.commitment.buffer).getUint32(0, false) !== n) ok = false;
      n++;
    }
    const scanned = performance.now() - t2;
    expect(ok).toBe(true);
    expect(n).toBe(RECORDS);

    let tail = 0;
    for await (const { record } of reopened.scan(RECORDS - 70_000)) tail += record.seq === RECORDS - 70_000 + tail ? 1 : 0;
    expect(tail).toBe(70_000);
    await reopened.close();

    let bytes = 0;
    for (let s = 0; s < RECORDS; s += 65_536) bytes += statSync(join(t.dir, `${String(s).padStart(16, '0')}.seg`)).size;
    expect(bytes / RECORDS).toBe(61);
    console.log(
      `scan speed: built ${RECORDS} records in ${(built / 1000).toFixed(2)} s, reopened in ${opened.toFixed(0)} ms, ` +
        `scanned in ${(scanned / 1000).toFixed(2)} s (${Math.round(RECORDS / (scanned / 1000)).toLocaleString('en')} records/s), ` +
        `${bytes / RECORDS} bytes per commitment`,
    );
  });
});
