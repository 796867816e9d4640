/**
 * The cost of answering GET /timestamp from disk without the HTTP server: opens a calendar data directory's
 * journal and index as the calendar does (read only; the calendar must not be running on it) and answers the first
 * `count` commitments of a list, one after the other, through `CalendarIndex.lookup` or, with `--route`, through
 * the route (`getTimestamp`: the hex decode, the lookup, the ETag and headers). Prints the mean time a lookup and,
 * where `fs.readSync` could be timed, its calls and mean time.
 *
 * Usage, on the built code and a directory kept by `BENCH_KEEP=1 BENCH_ONLY=4 npm run bench`:
 *   node bench/lookup-cost.mjs <data-dir> <hex-file> [count] [--route]
 *   e.g. node bench/lookup-cost.mjs /tmp/ots-calendar-bench-XXXX/anchored /tmp/ots-calendar-bench-XXXX/timestamps-distinct.txt 100000
 * Wall time on a shared machine moves by a fifth from run to run; instruction counts do not. Run it under
 * `valgrind --tool=callgrind` with two counts (e.g. 20000 and 40000) and divide the difference of the totals by
 * the difference of the counts: the instructions of one lookup in steady state, start-up and JIT warm-up left out
 * (system calls count as the instructions that make them; the kernel's own work does not).
 */
import fs, { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { Journal } from '../dist/journal/index.js';
import { CalendarIndex } from '../dist/index/index.js';
import { getTimestamp } from '../dist/http/calendar-routes.js';

const args = process.argv.slice(2).filter((a) => a !== '--route');
const route = process.argv.includes('--route');
const [dataDir, hexFile, countArg] = args;
if (!dataDir || !hexFile) {
  process.stderr.write('usage: node bench/lookup-cost.mjs <data-dir> <hex-file> [count] [--route]\n');
  process.exit(2);
}

// every synchronous read the lookups make goes through fs.readSync: time it where it is called
const readSync = fs.readSync;
let reads = 0;
let readNs = 0n;
fs.readSync = function timedReadSync(...a) {
  const t = process.hrtime.bigint();
  try {
    return readSync.apply(this, a);
  } finally {
    readNs += process.hrtime.bigint() - t;
    reads++;
  }
};
syncBuiltinESMExports();

const hex = readFileSync(hexFile, 'utf8').trim().split('\n');
const count = Number(countArg ?? hex.length);
const journal = await Journal.open({ dir: join(dataDir, 'journal') });
const index = await CalendarIndex.open({ dir: join(dataDir, 'index'), journal, write: false });
const deps = { answer: (c, key) => index.lookup(c, key) };
const request = { headers: {} };

const readsBefore = reads;
const nsBefore = readNs;
const started = performance.now();
let complete = 0;
for (let i = 0; i < count; i++) {
  const h = hex[i % hex.length];
  if (route ? getTimestamp(deps, request, h).status === 200 : index.lookup(Buffer.from(h, 'hex'), h).kind === 'complete') complete++;
}
const ms = performance.now() - started;
index.close();
await journal.close();
const n = reads - readsBefore;
process.stdout.write(
  `${JSON.stringify({
    mode: route ? 'route' : 'lookup',
    count,
    complete,
    usPerLookup: Math.round((ms * 10_000) / count) / 10,
    readSyncCalls: n,
    usPerReadSync: n ? Math.round(Number(readNs - nsBefore) / n / 10) / 100 : 0,
  })}\n`,
);
