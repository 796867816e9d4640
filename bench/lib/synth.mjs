/**
 * Synthetic calendar data directories, written through the product's own journal: commit records as a
 * calendar would write them (time-ordered 44-byte commitments with valid MACs), optionally anchored in
 * batches by anchor records whose timestamp has the size of a real Bitcoin proof.
 */
import { randomBytes, hash } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../../dist/journal/index.js';
import { CommitmentMaker } from '../../dist/calendar/commitment.js';
import { loadOrCreateHmacKey } from '../../dist/calendar/hmac-key.js';
import { OP_SHA256, bitcoinAttestation, encodePath, merkleRoot, opAppend, opPrepend } from '../../dist/ots/index.js';

export const COMMITMENT_BYTES = 44;
/** Levels of the block merkle path in the synthetic proof (a block of 2,000–4,000 transactions). */
const BLOCK_LEVELS = 12;

/**
 * What a timestamp from an anchor's tip to a Bitcoin block header looks like: the transaction around the
 * tip (prepend its 89-byte prefix, append its 4-byte locktime, sha256d), the block merkle path (sha256d per
 * level), the attestation. About 550 bytes.
 */
export function syntheticAnchorTimestamp(height) {
  const ops = [opPrepend(randomBytes(89)), opAppend(randomBytes(4)), OP_SHA256, OP_SHA256];
  for (let level = 0; level < BLOCK_LEVELS; level++) {
    const sibling = randomBytes(32);
    ops.push(level % 2 === 0 ? opAppend(sibling) : opPrepend(sibling), OP_SHA256, OP_SHA256);
  }
  return encodePath(ops, bitcoinAttestation(height));
}

/**
 * Writes `commitments` commit records (`perSecond` share each unix second, as sub-second ticks do) and,
 * when `anchorEvery` > 0, after every `anchorEvery` of them an anchor record covering them.
 * Returns all commitments back to back in one Buffer (commitment i at i * 44), and timings.
 * `onProgress(done, total, seconds)`, if given, is called after every journal append.
 */
export async function buildDataDir(dir, { commitments, anchorEvery = 0, perSecond = 10, startTime = 1_700_000_000, batch = 3_600, onProgress }) {
  mkdirSync(dir, { recursive: true });
  const key = loadOrCreateHmacKey(join(dir, 'hmac-key')).key;
  const maker = new CommitmentMaker(key);
  const journal = await Journal.open({ dir: join(dir, 'journal'), log: () => undefined });
  const all = Buffer.allocUnsafe(commitments * COMMITMENT_BYTES);
  const started = performance.now();
  const step = anchorEvery > 0 ? anchorEvery : batch;
  let anchors = 0;
  try {
    for (let start = 0; start < commitments; start += step) {
      const end = Math.min(commitments, start + step);
      const roots = randomBytes(32 * (end - start));
      const entries = [];
      for (let n = start; n < end; n++) {
        const root = roots.subarray((n - start) * 32, (n - start + 1) * 32);
        const { commitment } = maker.make(root, startTime + Math.floor(n / perSecond));
        all.set(commitment, n * COMMITMENT_BYTES);
        entries.push({ type: 'commit', commitment });
      }
      if (anchorEvery > 0) {
        const leaves = [];
        for (let n = start; n < end; n++) leaves.push(hash('sha256', all.subarray(n * COMMITMENT_BYTES, (n + 1) * COMMITMENT_BYTES), 'buffer'));
        const anchor = { tip: merkleRoot(leaves), ranges: [{ start, end }], timestamp: syntheticAnchorTimestamp(800_000 + anchors) };
        entries.push({ type: 'anchor', anchor });
        anchors++;
      }
      await journal.append(entries);
      onProgress?.(end, commitments, (performance.now() - started) / 1000);
    }
  } finally {
    await journal.close();
  }
  return { all, commitments, anchors, seconds: (performance.now() - started) / 1000 };
}

/** Hex of `count` commitments picked at random (without repeats when count ≤ total) from `all`. */
export function sampleHex(all, count) {
  const total = all.length / COMMITMENT_BYTES;
  const picks = new Set();
  const want = Math.min(count, total);
  while (picks.size < want) picks.add(Math.floor(Math.random() * total));
  return [...picks].map((n) => all.subarray(n * COMMITMENT_BYTES, (n + 1) * COMMITMENT_BYTES).toString('hex'));
}

/** Bytes of the files under `dir`, by apparent size and by allocated blocks, and per file kind. */
export function diskUsage(dir) {
  let apparent = 0;
  let allocated = 0;
  const byKind = {};
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      const st = statSync(p);
      apparent += st.size;
      allocated += st.blocks * 512;
      const kind = e.name.includes('.') ? e.name.slice(e.name.lastIndexOf('.')) : e.name;
      byKind[kind] = (byKind[kind] ?? 0) + st.size;
    }
  };
  walk(dir);
  return { apparent, allocated, byKind };
}
