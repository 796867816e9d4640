/**
 * The directory lock under a race, with real processes: after a holder is killed with SIGKILL, several processes
 * open the journal at the same instant. Exactly one gets it, every other one gets JournalLockedError naming the
 * winner (never another error), and the records each winner acknowledged are all in the journal afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyJournal } from '../../src/journal/index.js';
import { tempDir } from './fixtures/journal-fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
const RACER = join(here, 'fixtures/lock-racer.mjs');
const ROUNDS = 20;
const RACERS = 3;

function checkBuild(): void {
  const root = resolve(here, '../..');
  for (const [folder, file] of [['journal', 'dir-lock.js'], ['durable', 'file-lock.js']] as const) {
    const built = statSync(join(root, 'dist', folder, file), { throwIfNoEntry: false });
    if (!built) throw new Error(`dist/${folder} is missing: run \`npm run build\` before this test (npm test does)`);
    const src = join(root, 'src', folder);
    const newest = Math.max(...readdirSync(src).filter((n) => n.endsWith('.ts')).map((n) => statSync(join(src, n)).mtimeMs));
    if (newest > built.mtimeMs) throw new Error(`dist/${folder} is older than src/${folder}: run \`npm run build\` before this test (npm test does)`);
  }
}

interface Racer {
  child: ChildProcess;
  lines: string[];
  line(pred: (l: string) => boolean): Promise<string>;
  exited: Promise<number | null>;
}

function racer(dir: string, appends: number, keep = false): Racer {
  const child = spawn(process.execPath, [RACER, dir, String(appends), ...(keep ? ['--keep'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiting: Array<{ pred: (l: string) => boolean; resolve: (l: string) => void }> = [];
  let buf = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(l);
      for (const w of waiting.splice(0)) {
        if (w.pred(l)) w.resolve(l);
        else waiting.push(w);
      }
    }
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const line = (pred: (l: string) => boolean): Promise<string> => {
    const seen = lines.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      waiting.push({ pred, resolve: res });
      void exited.then(() => setTimeout(() => rej(new Error(`racer exited; its lines: ${lines.join(' | ')}`)), 50));
    });
  };
  return { child, lines, line, exited };
}

describe('two processes can never both hold the journal', () => {
  const t = tempDir('journal-lock-race-');
  beforeAll(checkBuild);
  afterAll(t.cleanup);

  it(`${ROUNDS} rounds of ${RACERS} simultaneous opens right after the holder was killed with SIGKILL`, async () => {
    let acked = 0;
    const outcomes = { held: 0, locked: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      // a holder killed while it holds the journal: its lock is what the racers find
      const holder = racer(t.dir, 1, true);
      await holder.line((l) => l === 'armed');
      holder.child.stdin?.write(`${Date.now()}\n`);
      await holder.line((l) => l.startsWith('ack '));
      acked++;
      holder.child.kill('SIGKILL');
      await holder.exited;

      const racers = Array.from({ length: RACERS }, () => racer(t.dir, 2));
      await Promise.all(racers.map((r) => r.line((l) => l === 'armed')));
      const startAt = performance.timeOrigin + performance.now() + 30;
      for (const r of racers) r.child.stdin?.write(`${startAt}\n`);
      // the winner holds on until every racer has its outcome, then all are let go
      const outcome = (r: Racer): Promise<string> => r.line((l) => /^(held|locked|error) /.test(l)).catch((e: unknown) => `none: ${String(e)}`);
      const results = await Promise.all(racers.map(outcome));
      for (const r of racers) r.child.stdin?.end();
      const codes = await Promise.all(racers.map((r) => r.exited));
      const winners = racers.filter((_, i) => results[i]?.startsWith('held '));
      expect(results.filter((l) => !/^(held|locked) /.test(l)), `round ${round}`).toEqual([]);
      expect(codes, `round ${round}: ${results.join(', ')}`).toEqual(racers.map(() => 0));
      expect(winners.length, `round ${round}: ${results.join(', ')}`).toBe(1);
      const winnerPid = winners[0]?.child.pid;
      for (const l of results.filter((x) => x.startsWith('locked '))) expect(l).toBe(`locked ${winnerPid}`);
      acked += winners.flatMap((w) => w.lines.filter((l) => l.startsWith('ack '))).length;
      outcomes.held += winners.length;
      outcomes.locked += results.filter((l) => l.startsWith('locked ')).length;
    }
    expect(outcomes).toEqual({ held: ROUNDS, locked: ROUNDS * (RACERS - 1) });
    const report = await verifyJournal(t.dir);
    expect(report.problems).toEqual([]);
    expect(report.records).toBe(acked);
  });
});
