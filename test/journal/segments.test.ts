import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Journal,
  JournalCorruptError,
  JournalFormatError,
  verifyJournal,
  type JournalRecord,
} from '../../src/journal/index.js';
import { captureLog, commitEntry, commitment, recomputeHead, segmentFiles, scratchDirs } from './fixtures/journal-fixture.js';

const dir = scratchDirs();

const seg = (first: number): string => `${String(first).padStart(16, '0')}.seg`;
const end = (first: number): string => `${String(first).padStart(16, '0')}.end`;

async function build(d: string, records: number, segmentRecords: number): Promise<void> {
  const j = await Journal.open({ dir: d, segmentRecords, log: () => undefined });
  await j.append(Array.from({ length: records }, (_, i) => commitEntry(i)));
  await j.close();
}

async function allRecords(j: Journal): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  for await (const { record } of j.scan(0)) out.push(record);
  return out;
}

describe('segments', () => {
  it('rolls over at exact record counts: a segment is sealed when full, the next created on the next record', async () => {
    const d = dir();
    const j = await Journal.open({ dir: d, segmentRecords: 5 });
    for (let n = 1; n <= 16; n++) {
      await j.append([commitEntry(n - 1)]);
      const lastFirst = Math.floor((n - 1) / 5) * 5;
      const expectedSegments = Array.from({ length: lastFirst / 5 + 1 }, (_, i) => seg(i * 5));
      expect(segmentFiles(d), `after ${n} records`).toEqual(expectedSegments);
      const sealed = Math.floor(n / 5);
      const sidecars = readdirSync(d).filter((x) => x.endsWith('.end')).sort();
      expect(sidecars, `after ${n} records`).toEqual(Array.from({ length: sealed }, (_, i) => end(i * 5)));
    }
    for (let i = 0; i < 3; i++) expect(readFileSync(join(d, seg(i * 5))).length).toBe(5 * 61);
    await j.close();
  });

  it('reopens at every size across segment boundaries and continues with consistent heads', async () => {
    const d = dir();
    for (let n = 0; n < 14; n++) {
      const j = await Journal.open({ dir: d, segmentRecords: 4, log: () => undefined });
      expect(j.head().size).toBe(n);
      expect(Buffer.from(j.head().hash)).toEqual(recomputeHead(d).hash);
      const [loc] = await j.append([commitEntry(n)]);
      expect(loc?.seq).toBe(n);
      await j.close();
    }
    const j = await Journal.open({ dir: d, log: () => undefined });
    expect((await allRecords(j)).map((r) => r.type === 'commit' && Buffer.from(r.commitment).equals(commitment(r.seq)))).toEqual(Array(14).fill(true));
    await j.close();
  });

  it('stores in each sidecar the head hash and size at its segment end, equal to a recomputation', async () => {
    const d = dir();
    await build(d, 17, 4);
    for (const first of [0, 4, 8, 12]) {
      const bytes = readFileSync(join(d, end(first)));
      const size = bytes.readUInt32LE(0);
      expect(size).toBe(first + 4);
      expect(bytes.readUInt32LE(8)).toBe(readFileSync(join(d, seg(first))).length);
      expect(bytes.subarray(16, 48)).toEqual(recomputeHead(d, first + 4).hash);
    }
    expect(existsSync(join(d, end(16)))).toBe(false);
  });

  it('opens without reading sealed segments: damage inside one is found by scan and fsck, not hidden', async () => {
    const d = dir();
    await build(d, 10, 4);
    const path = join(d, seg(4));
    const bytes = readFileSync(path);
    bytes[100] = (bytes[100] as number) ^ 0x40;
    writeFileSync(path, bytes);
    const j = await Journal.open({ dir: d, log: () => undefined });
    expect(j.head().size).toBe(10);
    await expect(allRecords(j)).rejects.toThrow(JournalCorruptError);
    await expect(j.readRange(4, 4)).rejects.toThrow(JournalCorruptError);
    await j.close();
    const report = await verifyJournal(d);
    expect(report.records).toBe(5);
    expect(report.problems.join('\n')).toMatch(/0000000000000004\.seg: record 5 at 61/);
  });

  it('refuses to open with a missing segment', async () => {
    for (const victim of [0, 4]) {
      const d = dir();
      await build(d, 10, 4);
      rmSync(join(d, seg(victim)));
      await expect(Journal.open({ dir: d, log: () => undefined })).rejects.toThrow(JournalCorruptError);
      expect((await verifyJournal(d)).problems.join()).toMatch(/missing/);
    }
  });

  it('refuses to open when the last segments were lost but their sidecars remain', async () => {
    const d = dir();
    await build(d, 10, 4);
    rmSync(join(d, seg(8)));
    rmSync(join(d, seg(4)));
    await expect(Journal.open({ dir: d, log: () => undefined })).rejects.toThrow(/0000000000000004\.end seals a segment that is missing/);
  });

  it('refuses misnamed segments', async () => {
    for (const name of ['0000000000000003.seg', '4.seg', '000000000000000x.seg', '00000000000000004.seg']) {
      const d = dir();
      await build(d, 10, 4);
      renameSync(join(d, seg(8)), join(d, name));
      await expect(Journal.open({ dir: d, log: () => undefined }), name).rejects.toThrow(/misnamed segment/);
      expect((await verifyJournal(d)).problems.join()).toMatch(/misnamed/);
    }
  });

  it('refuses a sealed segment whose length differs from its sidecar', async () => {
    const d = dir();
    await build(d, 10, 4);
    truncateSync(join(d, seg(4)), 4 * 61 - 1);
    await expect(Journal.open({ dir: d, log: () => undefined })).rejects.toThrow(/has 243 bytes, its sidecar says 244/);
  });

  it('refuses a damaged sidecar', async () => {
    const d = dir();
    await build(d, 10, 4);
    const path = join(d, end(0));
    const bytes = readFileSync(path);
    bytes[20] = (bytes[20] as number) ^ 1;
    writeFileSync(path, bytes);
    await expect(Journal.open({ dir: d, log: () => undefined })).rejects.toThrow(/checksum/);
    writeFileSync(path, bytes.subarray(0, 51));
    await expect(Journal.open({ dir: d, log: () => undefined })).rejects.toThrow(JournalCorruptError);
  });

  it('recomputes a missing sidecar of a sealed segment, logged, identical to the lost one', async () => {
    const d = dir();
    await build(d, 10, 4);
    const original = readFileSync(join(d, end(4)));
    rmSync(join(d, end(4)));
    const { log, lines } = captureLog();
    const j = await Journal.open({ dir: d, log });
    expect(lines.some((l) => l.level === 'warn' && l.fields?.segment === seg(4))).toBe(true);
    expect(readFileSync(join(d, end(4)))).toEqual(original);
    expect(Buffer.from(j.head().hash)).toEqual(recomputeHead(d).hash);
    await j.close();
  });

  it('refuses to recompute the sidecar of a damaged sealed segment', async () => {
    const d = dir();
    await build(d, 10, 4);
    rmSync(join(d, end(0)));
    const bytes = readFileSync(join(d, seg(0)));
    bytes[70] = (bytes[70] as number) ^ 1;
    writeFileSync(join(d, seg(0)), bytes);
    await expect(Journal.open({ dir: d, log: () => undefined })).rejects.toThrow(/sealed segment 0000000000000000\.seg is damaged/);
  });

  it('seals on open a full last segment whose sidecar was never written (a stop between fill and seal)', async () => {
    const d = dir();
    await build(d, 8, 4);
    const original = readFileSync(join(d, end(4)));
    rmSync(join(d, end(4)));
    const j = await Journal.open({ dir: d, log: () => undefined });
    expect(readFileSync(join(d, end(4)))).toEqual(original);
    await j.append([commitEntry(8)]);
    expect(segmentFiles(d)).toEqual([seg(0), seg(4), seg(8)]);
    await j.close();
  });

  it('refuses a last segment that no longer matches its sidecar', async () => {
    const d = dir();
    await build(d, 8, 4);
    truncateSync(join(d, seg(4)), 3 * 61 + 10);
    await expect(Journal.open({ dir: d, log: () => undefined })).rejects.toThrow(/does not match its sidecar/);
  });

  it('removes temporary files left by an interrupted durable write', async () => {
    const d = dir();
    await build(d, 3, 4);
    writeFileSync(join(d, `${end(0)}.tmp`), 'half');
    const j = await Journal.open({ dir: d, log: () => undefined });
    expect(readdirSync(d).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await j.close();
  });

  it('refuses segments without a format file, and a corrupt format file', async () => {
    const d = dir();
    await build(d, 3, 4);
    const format = readFileSync(join(d, 'journal.format'));
    rmSync(join(d, 'journal.format'));
    await expect(Journal.open({ dir: d, log: () => undefined })).rejects.toThrow(JournalFormatError);
    writeFileSync(join(d, 'journal.format'), format.toString().replace('"segmentRecords":4', '"segmentRecords":0'));
    await expect(Journal.open({ dir: d, log: () => undefined })).rejects.toThrow(JournalFormatError);
    writeFileSync(join(d, 'journal.format'), format.toString().replace('"version":1', '"version":2'));
    await expect(Journal.open({ dir: d, log: () => undefined })).rejects.toThrow(/version 2/);
  });

  it('fsck reports a sound journal with its head', async () => {
    const d = dir();
    await build(d, 11, 4);
    const j = await Journal.open({ dir: d, log: () => undefined });
    const head = j.head();
    await j.close();
    const progress: Array<[number, number]> = [];
    const report = await verifyJournal(d, (done, total) => progress.push([done, total]));
    expect(report).toEqual({ records: 11, head, problems: [] });
    expect(progress.at(-1)).toEqual([11 * 61, 11 * 61]);
  });
});
