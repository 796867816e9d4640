/**
 * What import-otsd refuses, and how it resumes: directories from the independent writer's large-directory mode
 * (made-up transactions, no node), damaged the ways a real one can be; a real process holding the LevelDB lock
 * as a running otsd does; a real kill -9 in the middle of writing.
 */
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { hash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../fixtures/calendar-process.js';
import { PYTHON } from '../fixtures/python/oracle.js';
import { WRITER, cli, python, pythonAnswers } from './otsd-dir.js';

async function referenceDir(commitments: number, txs: number): Promise<string> {
  const dir = join(tempDir('otsc-otsd-'), 'calendar');
  await python(['bench', dir, String(commitments), String(txs)]);
  return dir;
}

function entry(dir: string, i: number): Buffer {
  return readFileSync(join(dir, 'journal')).subarray(44 * i, 44 * i + 44);
}

const small = referenceDir(3000, 6);

async function copyOfSmall(): Promise<string> {
  const to = join(tempDir('otsc-otsd-'), 'calendar');
  cpSync(await small, to, { recursive: true });
  return to;
}

function importInto(from: string, dataDir = join(tempDir('otsc-import-'), 'data')): ReturnType<typeof cli> & { dataDir?: string } {
  return cli(['import-otsd', '--from', from, '--data-dir', dataDir]);
}

describe('import-otsd refuses', () => {
  it('a directory whose LevelDB a running process holds, naming it, and writes nothing', async () => {
    const from = await copyOfSmall();
    const holder = spawn(PYTHON, [WRITER, 'hold', from], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('holding') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      const dataDir = join(tempDir('otsc-import-'), 'data');
      const r = await cli(['import-otsd', '--from', from, '--data-dir', dataDir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${join(from, 'db', 'LOCK')} is locked by process ${holder.pid} (${PYTHON} ${WRITER} hold ${from})`);
      expect(r.stderr).toContain('a reference server (otsd) still runs on this directory. Stop it first');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      holder.stdin.end();
      await new Promise((resolve) => holder.on('exit', resolve));
    }
    // once it stopped, the same directory imports
    expect((await importInto(from)).code).toBe(0);
  });

  it('a journal that ends in a partial record, saying how to cut it', async () => {
    const from = await copyOfSmall();
    appendFileSync(join(from, 'journal'), Buffer.alloc(17, 0xab));
    const dataDir = join(tempDir('otsc-import-'), 'data');
    const r = await cli(['import-otsd', '--from', from, '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`CorruptJournalTailError: ${join(from, 'journal')} is ${3000 * 44 + 17} bytes, not a whole number of 44-byte records`);
    expect(r.stderr).toContain(`truncate -s ${3000 * 44} ${join(from, 'journal')}`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a database that lacks a node of a proof, naming the commitment', async () => {
    const from = await copyOfSmall();
    // the leaf of commitment 1234: its sha256 node
    const leaf = hash('sha256', entry(from, 1234), 'hex');
    await python(['drop', from, leaf]).catch(() => undefined);
    const dataDir = join(tempDir('otsc-import-'), 'data');
    const r = await cli(['import-otsd', '--from', from, '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ReferenceMismatchError: the reference calendar's journal and database do not check");
    expect(r.stderr).toContain(`commitment 1234 (${entry(from, 1234).toString('hex')}): the database lacks node ${leaf} of its proof`);
    expect(r.stderr).toContain('nothing was written');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a journal shorter than the database, and one of another calendar', async () => {
    const from = await copyOfSmall();
    truncateSync(join(from, 'journal'), 2900 * 44);
    const r = await importInto(from);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the database holds proofs for 3000 commitments, the journal names 2900 of them');
    expect(r.stderr).toMatch(/its path does not fit the merkle tree of the 400 journal commitments|is not the merkle root of the 400 commitments/);

    // another calendar's journal (and its key) beside this database
    const other = await copyOfSmall();
    const stranger = await referenceDir(3000, 6);
    for (const f of ['journal', 'hmac-key']) writeFileSync(join(other, f), readFileSync(join(stranger, f)));
    const swapped = await importInto(other);
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toContain('the database holds proofs for 3000 commitments, the journal names 0 of them: the journal is not complete, or is another calendar\'s');
  });

  it('not a tree whose leaves are out of journal order (as after a reorg re-add): a commitment moved to the end keeps its leaf', async () => {
    const from = await copyOfSmall();
    const moved = entry(from, 0);
    writeFileSync(join(from, 'journal'), Buffer.concat([readFileSync(join(from, 'journal')).subarray(44), moved]));
    const dataDir = join(tempDir('otsc-import-'), 'data');
    const r = await importInto(from, dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines.find((l) => l['msg'] === 'import-otsd: done')).toMatchObject({ anchors: 6, anchoredCommitments: 3000 });
    const { startCalendarProcess } = await import('../fixtures/calendar-process.js');
    const cal = await startCalendarProcess({ dataDir, args: ['--uri', 'https://bench.calendar.example'] });
    try {
      for (const a of await pythonAnswers(from, [0, 498, 499, 2999])) {
        const got = await fetch(`${cal.url}/timestamp/${a.commitment}`);
        expect(Buffer.from(await got.arrayBuffer()).toString('hex')).toBe(a.proof);
      }
    } finally {
      expect((await cal.stop()).code).toBe(0);
    }
  });

  it('a key file that does not give the journal\'s MACs, and a data directory of another calendar', async () => {
    const from = await copyOfSmall();
    const key = readFileSync(join(from, 'hmac-key'));
    writeFileSync(join(from, 'hmac-key'), Buffer.alloc(32, 7));
    const r = await importInto(from);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${from}/hmac-key does not give the MACs of the journal's newest 64 commitments: it is not this calendar's key`);
    writeFileSync(join(from, 'hmac-key'), key);

    const calendarDir = join(tempDir('otsc-import-'), 'data');
    const other = await copyOfSmall();
    expect((await importInto(other, calendarDir)).code).toBe(0);
    const mixed = await importInto(from, calendarDir);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toContain('DataDirConflictError');
  });
});

describe('an interrupted import', () => {
  it('resumes where kill -9 stopped it, and ends as a whole import does', async () => {
    const from = await referenceDir(120_000, 12);
    const dataDir = join(tempDir('otsc-import-'), 'data');
    const first = await cli(['import-otsd', '--from', from, '--data-dir', dataDir], (line, kill) => {
      if (line['msg'] === 'writing commitments') kill();
    });
    expect(first.code).toBe(null);
    const marker = JSON.parse(readFileSync(join(dataDir, 'import-otsd.json'), 'utf8')) as { state: string };
    expect(marker.state).toBe('writing');
    expect(readdirSync(join(dataDir, 'journal')).some((f) => f.endsWith('.seg'))).toBe(true);

    const second = await cli(['import-otsd', '--from', from, '--data-dir', dataDir]);
    expect(second.code, second.stderr).toBe(0);
    const resumed = second.lines.find((l) => l['msg'] === 'resuming an interrupted import');
    expect(resumed?.['recordsFound']).toBeGreaterThan(0);
    expect(resumed?.['recordsFound']).toBeLessThan(120_012);
    const done = second.lines.find((l) => l['msg'] === 'import-otsd: done');
    expect(Number(done?.['recordsFound']) + Number(done?.['recordsAppended'])).toBe(120_012);
    expect(done).toMatchObject({ commitments: 120_000, anchors: 12, pending: 0 });

    const fsck = await cli(['fsck', '--data-dir', dataDir]);
    expect(fsck.code, fsck.stdout).toBe(0);
    // a sample of answers, from across the resumption point, against python's read of the LevelDB
    const sample = [0, 4095, 4096, 9999, 10_000, Number(resumed?.['recordsFound']) - 1, Number(resumed?.['recordsFound']), 98_765, 119_999];
    const { startCalendarProcess } = await import('../fixtures/calendar-process.js');
    const cal = await startCalendarProcess({ dataDir, args: ['--uri', 'https://bench.calendar.example'] });
    try {
      for (const a of await pythonAnswers(from, sample)) {
        const r = await fetch(`${cal.url}/timestamp/${a.commitment}`);
        expect(r.status).toBe(200);
        expect(Buffer.from(await r.arrayBuffer()).toString('hex')).toBe(a.proof);
      }
    } finally {
      expect((await cal.stop()).code).toBe(0);
    }
  }, 300_000);
});
