/**
 * Benchmarks of the OpenTimestamps library, on the built code (run `npm run build` first):
 * - the merkle tree over 1,000,000 random 32-byte leaves (merkleLevels), against a bare loop of the same
 *   number of `crypto.hash('sha256', 64 bytes)` calls measured in the same run (target: ratio ≤ 1.3);
 * - merkle paths per second out of that tree;
 * - decode + canonical encode of a complete ~1 KB proof per second, shaped like the ones the calendar
 *   serves: nonce, aggregation path, commitment, transaction, block merkle path, Bitcoin attestation.
 * Usage: `node bench/ots.mjs` prints the figures as JSON; `runOtsBench()` returns them.
 */
import { hash, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  DetachedTimestampFile,
  OP_SHA256,
  Timestamp,
  bitcoinAttestation,
  encodePath,
  merkleLevels,
  merklePath,
  opAppend,
  opPrepend,
  pendingAttestation,
  sha256,
} from '../dist/ots/index.js';

function leavesOf(count) {
  const pool = randomBytes(count * 32);
  const leaves = new Array(count);
  for (let i = 0; i < count; i++) leaves[i] = pool.subarray(i * 32, i * 32 + 32);
  return leaves;
}

/** The floor: `calls` sha256 hashes of one 64-byte buffer, results kept alive like tree nodes would be. */
function bareLoop(calls) {
  const input = randomBytes(64);
  let last;
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) last = hash('sha256', input, 'buffer');
  const ms = performance.now() - t0;
  if (last.length !== 32) throw new Error('unexpected digest length');
  return ms;
}

function treeOnce(leaves) {
  const t0 = performance.now();
  const levels = merkleLevels(leaves);
  const ms = performance.now() - t0;
  return { ms, levels };
}

/**
 * A complete proof of about 1 KB: file digest, 16-byte nonce, 12 aggregation levels, the calendar
 * commitment (4-byte time, 8-byte MAC), a 150-byte transaction around it, 12 block merkle levels.
 */
function buildProof() {
  const root = new Timestamp(sha256(randomBytes(100)));
  let node = root.add(opAppend(randomBytes(16))).add(OP_SHA256);
  for (let i = 0; i < 12; i++) node = node.add(i % 2 ? opPrepend(randomBytes(32)) : opAppend(randomBytes(32))).add(OP_SHA256);
  node = node.add(opPrepend(randomBytes(4))).add(opAppend(randomBytes(8))).add(OP_SHA256);
  node = node.add(opPrepend(randomBytes(90))).add(opAppend(randomBytes(60))).add(OP_SHA256).add(OP_SHA256);
  for (let i = 0; i < 12; i++) {
    node = node.add(i % 3 ? opAppend(randomBytes(32)) : opPrepend(randomBytes(32))).add(OP_SHA256).add(OP_SHA256);
  }
  node.attest(bitcoinAttestation(840_000));
  return new DetachedTimestampFile(OP_SHA256, root).toBytes();
}

/**
 * Runs every measurement and returns the figures. `repeats` runs of the tree and of the bare loop
 * alternate, and the best of each is kept, so background load skews both alike.
 */
export function runOtsBench({ leafCount = 1_000_000, repeats = 3, proofMillis = 2_000, pathCount = 100_000 } = {}) {
  const leaves = leavesOf(leafCount);
  const hashes = leafCount - 1; // every hash merges two nodes into one
  let treeMs = Infinity;
  let bareMs = Infinity;
  let levels;
  for (let r = 0; r < repeats; r++) {
    const tree = treeOnce(leaves);
    treeMs = Math.min(treeMs, tree.ms);
    levels = tree.levels;
    bareMs = Math.min(bareMs, bareLoop(hashes));
  }

  const uri = pendingAttestation('http://127.0.0.1:14788');
  const t1 = performance.now();
  let pathBytes = 0;
  for (let i = 0; i < pathCount; i++) pathBytes += encodePath(merklePath(levels, (i * 7919) % leafCount), uri).length;
  const pathMs = performance.now() - t1;

  const proof = buildProof();
  let proofs = 0;
  const t2 = performance.now();
  let elapsed = 0;
  while (elapsed < proofMillis) {
    for (let i = 0; i < 200; i++) {
      const out = DetachedTimestampFile.fromBytes(proof).toBytes();
      if (out.length !== proof.length) throw new Error('proof did not round-trip');
    }
    proofs += 200;
    elapsed = performance.now() - t2;
  }

  return {
    merkle: {
      leaves: leafCount,
      hashes,
      treeMs: Math.round(treeMs),
      bareSha256LoopMs: Math.round(bareMs),
      ratio: Number((treeMs / bareMs).toFixed(3)),
      hashesPerSecond: Math.round(hashes / (treeMs / 1000)),
      target: 1.3,
    },
    merklePaths: {
      paths: pathCount,
      perSecond: Math.round(pathCount / (pathMs / 1000)),
      averageBytes: Math.round(pathBytes / pathCount),
    },
    proofRoundTrip: {
      bytes: proof.length,
      perSecond: Math.round(proofs / (elapsed / 1000)),
    },
    node: process.version,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(runOtsBench(), null, 2)}\n`);
}
