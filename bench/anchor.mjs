/**
 * Benchmark of anchoring, on the built code (run `npm run build` first): the time and the peak extra
 * memory to anchor 100,000 commitments in one transaction, measured as four steps on a real journal and
 * index in a temporary directory (targets: 2 s and 200 MB in all):
 *   1. tip      — read the commitments back from the journal, sha256 each, merkle root (what the stamper
 *                 does for a cycle's first version; `tipWarm`, outside the total, is a replacement's, whose
 *                 leaves are already known);
 *   2. txProof  — build the transaction and the proof through a 4,000-transaction block, re-checked
 *                 against the header;
 *   3. append   — the anchor record, fsynced and indexed;
 *   4. firstProof — the index serving the first proof (it builds the tree's levels on first use).
 * Also the size of complete proofs served (deepest and typical leaf; clients read at most 10,000 bytes).
 * Usage: `node bench/anchor.mjs` prints the figures as JSON; `runAnchorBench()` returns them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TipBuilder } from '../dist/anchor/index.js';
import { buildBlockProof, buildTimestampTx, encodeTx, internalToDisplayHex, txid } from '../dist/bitcoin/index.js';
import { Calendar } from '../dist/calendar/calendar.js';
import { openDataDir } from '../dist/calendar/data-dir.js';
import { CalendarIndex } from '../dist/index/index.js';
import { Journal } from '../dist/journal/index.js';
import { blockMerkleRoot, encodePath } from '../dist/ots/index.js';

const MB = 1024 * 1024;

/** Commit records with increasing 4-byte times, as a calendar writes them (setup, not timed). */
async function fillJournal(journal, count) {
  const t0 = 1_700_000_000;
  for (let start = 0; start < count; start += 10_000) {
    const n = Math.min(10_000, count - start);
    const pool = randomBytes(n * 40);
    const batch = new Array(n);
    for (let i = 0; i < n; i++) {
      const c = new Uint8Array(44);
      new DataView(c.buffer).setUint32(0, t0 + start + i, false);
      c.set(pool.subarray(i * 40, i * 40 + 40), 4);
      batch[i] = { type: 'commit', commitment: c };
    }
    await journal.append(batch);
  }
}

export async function runAnchorBench({ commitments = 100_000, blockTxs = 4_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ots-anchor-bench-'));
  const dataDir = openDataDir(dir, { defaultUri: 'http://127.0.0.1:14788' });
  const journal = await Journal.open({ dir: dataDir.journalDir, log: () => undefined });
  const index = await CalendarIndex.open({ dir: dataDir.indexDir, journal });
  const calendar = new Calendar({ journal, index, hmacKey: dataDir.hmacKey, uri: dataDir.uri });
  try {
    await fillJournal(journal, commitments);
    globalThis.gc?.();
    const base = process.memoryUsage();
    let peakRss = base.rss;
    let peakHeap = base.heapUsed;
    const sample = () => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    };
    const ms = {};
    const t = performance.now();

    let t1 = performance.now();
    const ranges = [{ start: 0, end: commitments }];
    const tips = new TipBuilder(calendar);
    const tip = tips.tip(ranges);
    ms.tip = performance.now() - t1;
    sample();

    t1 = performance.now();
    const changeScript = new Uint8Array([0x00, 0x14, ...randomBytes(20)]);
    const built = buildTimestampTx({ outpoint: { txid: internalToDisplayHex(randomBytes(32)), vout: 0 }, inputValue: 10_000_000, changeScript, tip, lockTime: 900_000 }, 1_000);
    if (!built.ok) throw new Error(`timestamp tx: ${built.code}`);
    const ours = txid(built.tx);
    const index0 = Math.floor(blockTxs / 2);
    const txids = Array.from({ length: blockTxs }, (_, i) => (i === index0 ? ours : randomBytes(32)));
    const header = new Uint8Array(80);
    header.set(blockMerkleRoot(txids), 36);
    const proof = buildBlockProof({ txids: txids.map((x) => internalToDisplayHex(x)), header, index: index0, nonWitnessTx: encodeTx(built.tx, { witness: false }), tip, height: 900_001, attestation: 'bitcoin' });
    const timestamp = encodePath(proof.ops, proof.attestation);
    ms.txProof = performance.now() - t1;
    sample();

    t1 = performance.now();
    await calendar.appendAnchor({ tip, ranges, timestamp });
    ms.append = performance.now() - t1;
    sample();

    t1 = performance.now();
    const first = calendar.answer(index.commitment(0));
    ms.firstProof = performance.now() - t1;
    sample();
    const totalMs = performance.now() - t;
    if (first.kind !== 'complete') throw new Error('the first proof is not complete');
    t1 = performance.now();
    tips.tip(ranges);
    ms.tipWarm = performance.now() - t1;

    const sizes = [];
    for (let n = 0; n < commitments; n += Math.max(1, Math.floor(commitments / 101))) {
      const a = calendar.answer(index.commitment(n));
      if (a.kind !== 'complete') throw new Error(`commitment ${n} is not complete`);
      sizes.push(a.proof.length);
    }
    sizes.sort((a, b) => a - b);
    const round = (x) => Math.round(x * 10) / 10;
    return {
      commitments,
      blockTxs,
      totalMs: round(totalMs),
      stepsMs: { tip: round(ms.tip), txProof: round(ms.txProof), append: round(ms.append), firstProof: round(ms.firstProof), tipWarm: round(ms.tipWarm) },
      peakExtraRssMB: round((peakRss - base.rss) / MB),
      peakExtraHeapMB: round((peakHeap - base.heapUsed) / MB),
      maxRssMB: round(process.resourceUsage().maxRSS / 1024),
      proofBytes: { deepest: first.proof.length, typical: sizes[Math.floor(sizes.length / 2)], smallest: sizes[0], clientLimit: 10_000 },
      targets: { totalMs: 2000, extraMemoryMB: 200 },
      node: process.version,
    };
  } finally {
    index.close();
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await runAnchorBench(), null, 2)}\n`);
}
