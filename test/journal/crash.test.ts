import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal, verifyJournal, type JournalRecord } from '../../src/journal/index.js';
import { captureLog, commitEntry, recomputeHead, tempDir } from './fixtures/journal-fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const WRITER = join(here, 'fixtures/writer.mjs');
const ROUNDS = 8;

interface Ack {
  seq: number;
  type: string;
  hex: string;
}

/** The child imports the compiled journal: refuse to test a dist/ older than the sources. */
function checkBuild(): void {
  const built = join(root, 'dist/journal/index.js');
  let builtAt: number;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    throw new Error(`${built} is missing: run \`npm run build\` before this test (npm test does)`);
  }
  const src = join(root, 'src/journal');
  const newest = Math.max(...readdirSync(src).filter((n) => n.endsWith('.ts')).map((n) => statSync(join(src, n)).mtimeMs));
  if (newest > builtAt) throw new Error('dist/journal is older than src/journal: run `npm run build` before this test (npm test does)');
}

/** Runs the writer until `delayMs` after it is ready, kills it with SIGKILL, and returns its acknowledgements. */
function runAndKill(dir: string, delayMs: number): Promise<{ acks: Ack[]; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [WRITER, dir, '16'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (timer === undefined && out.includes('ready')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (chunk: string) => (err += chunk));
    child.on('error', rej);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') {
        rej(new Error(`writer exited by itself (code ${code}): ${err}`));
        return;
      }
      // only complete lines: a line cut by the kill was never fully printed, its append may or may not be durable
      const lines = out.split('\n').slice(0, -1);
      const acks = lines.filter((l) => l.startsWith('ack ')).map((l) => {
        const [, seq, type, hex] = l.split(' ');
        return { seq: Number(seq), type: type as string, hex: hex as string };
      });
      res({ acks, stderr: err });
    });
  });
}

function hexOf(r: JournalRecord): string {
  if (r.type === 'commit') return Buffer.from(r.commitment).toString('hex');
  if (r.type === 'anchor') return Buffer.from(r.anchor.tip).toString('hex');
  return '';
}

describe('crash safety with a real process killed by SIGKILL', () => {
  const t = tempDir('journal-crash-');
  beforeAll(checkBuild);
  afterAll(t.cleanup);

  it(`keeps every acknowledged record through ${ROUNDS} kills at random moments`, async () => {
    const acked = new Map<number, Ack>();
    let cuts = 0;
    let total = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const { acks, stderr } = await runAndKill(t.dir, 20 + Math.floor(Math.random() * 200));
      expect(stderr).toBe('');
      for (const a of acks) acked.set(a.seq, a);
      total += acks.length;

      const { log, lines } = captureLog();
      const j = await Journal.open({ dir: t.dir, log });
      cuts += lines.filter((l) => /cut a torn/.test(l.msg)).length;
      const stored = new Map<number, JournalRecord>();
      for await (const { record } of j.scan(0)) stored.set(record.seq, record);
      expect(stored.size).toBe(j.head().size);
      for (const a of acked.values()) {
        const r = stored.get(a.seq);
        expect(r?.type, `acknowledged record ${a.seq}`).toBe(a.type);
        expect(hexOf(r as JournalRecord)).toBe(a.hex);
      }
      expect(Buffer.from(j.head().hash)).toEqual(recomputeHead(t.dir).hash);
      // and it continues
      const [loc] = await j.append([commitEntry(round)]);
      expect(loc?.seq).toBe(stored.size);
      await j.close();
      const report = await verifyJournal(t.dir);
      expect(report.problems).toEqual([]);
    }
    expect(total).toBeGreaterThan(ROUNDS);
    console.log(`crash test: ${total} acknowledged appends over ${ROUNDS} kills, ${cuts} torn tails cut`);
  });
});
