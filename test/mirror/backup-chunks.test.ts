/**
 * Backup chunks served by a real calendar process while it takes digests: 16 clients cycling over 35 chunks (each
 * about 0.2 s of CPU to build) must not starve POST /digest. A bound on correctness, not a benchmark: a digest
 * that waits seconds behind chunk building is an outage for the clients stamping.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startCalendarProcess, tempDir, type CalendarProcess } from '../fixtures/calendar-process.js';
import { buildJournal } from './fixtures/journal-builder.js';

const CHUNKS = 35;
const CLIENTS = 16;
const SECONDS = 10;

let cal: CalendarProcess;

beforeAll(async () => {
  const dataDir = tempDir('otsm-backup-load-');
  await buildJournal(dataDir, { count: CHUNKS * 1000, anchorEvery: 1000 });
  cal = await startCalendarProcess({ dataDir, tickMs: 100 });
  await cal.waitFor((l) => l['msg'] === 'journal open', 60_000);
}, 120_000);

afterAll(async () => {
  expect((await cal.stop()).code).toBe(0);
});

describe('backup chunks under load', () => {
  it(`POST /digest p99 stays under 2 s while ${CLIENTS} clients cycle over ${CHUNKS} chunks`, { timeout: 60_000 }, async () => {
    const until = Date.now() + SECONDS * 1000;
    const chunkStatuses = new Map<number, number>();
    const chunkSizes = new Set<number>();
    const cycle = async (start: number): Promise<void> => {
      for (let i = start; Date.now() < until; i++) {
        const n = i % CHUNKS;
        const r = await fetch(`${cal.url}/experimental/backup/${n}`);
        const body = new Uint8Array(await r.arrayBuffer());
        chunkStatuses.set(r.status, (chunkStatuses.get(r.status) ?? 0) + 1);
        if (r.status === 200) chunkSizes.add(body.length);
      }
    };
    const latencies: number[] = [];
    const post = async (): Promise<void> => {
      while (Date.now() < until) {
        const t0 = performance.now();
        const r = await fetch(`${cal.url}/digest`, { method: 'POST', body: randomBytes(32) });
        await r.arrayBuffer();
        expect(r.status).toBe(200);
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all([...Array.from({ length: CLIENTS }, (_, c) => cycle(c * 2)), ...Array.from({ length: 4 }, post)]);
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Infinity;
    console.log(`${latencies.length} digests, p50 ${Math.round(latencies[Math.floor(latencies.length / 2)] ?? 0)} ms, p99 ${Math.round(p99)} ms; chunk answers ${JSON.stringify([...chunkStatuses])}`);
    expect([...chunkStatuses.keys()]).toEqual([200]);
    expect(p99).toBeLessThanOrEqual(2_000);
    expect(latencies.length).toBeGreaterThan(SECONDS * 4);
  });
});
