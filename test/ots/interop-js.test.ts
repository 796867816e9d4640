// Interoperability with the JavaScript client library (npm opentimestamps 0.4.9): trees we write that it
// can handle (no keccak256 or hexlify, heights below 2^31) decode to the same tree there and round-trip
// byte for byte through it; trees it builds with its own API decode to the same tree here; and it reads
// every upstream vector (bar the keccak ones) as we do.
import { describe, expect, it } from 'vitest';
import { DetachedTimestampFile, bytesToHex } from '../../src/ots/index.js';
import { jsDecodeDetached, jsRandomFiles } from '../fixtures/js-client.js';
import { DECODED, dumpTree, randomFiles, readVector } from './helpers.js';

describe('trees we write, read by the JS client', () => {
  const files = randomFiles(424242, 150, { jsSafe: true });

  it('decode to an equal tree and re-serialize byte-identically', () => {
    let deep = 0;
    for (const [i, f] of files.entries()) {
      const bytes = f.toBytes();
      const js = jsDecodeDetached(bytes);
      if (!js.ok) throw new Error(`file ${i}: JS failed: ${js.error}: ${js.message}`);
      expect(js.fileOp).toBe(f.fileHashOp.tag.toString(16).padStart(2, '0'));
      const ours = dumpTree(f.timestamp);
      expect(js.dump, `file ${i}`).toEqual(ours);
      expect(bytesToHex(js.reserialized), `file ${i}`).toBe(bytesToHex(bytes));
      if (ours.length > 255) deep++;
    }
    expect(deep).toBeGreaterThanOrEqual(10);
  });
});

describe('trees the JS client writes, read by us', () => {
  const files = jsRandomFiles(31337, 150);

  it('decode to the tree it built, and our canonical re-encoding still decodes to that tree', () => {
    let reordered = 0;
    for (const [i, f] of files.entries()) {
      const ours = DetachedTimestampFile.fromBytes(f.bytes);
      expect(dumpTree(ours.timestamp), `file ${i}`).toEqual(f.dump);
      const again = ours.toBytes();
      expect(DetachedTimestampFile.fromBytes(again).timestamp.equals(ours.timestamp)).toBe(true);
      // JS writes ops in insertion order; ours is python's sorted order, so some files differ in bytes.
      if (bytesToHex(again) !== bytesToHex(f.bytes)) reordered++;
    }
    expect(reordered).toBeGreaterThan(0);
  });
});

describe('upstream vectors', () => {
  const names = Object.keys(DECODED).filter((n) => DECODED[n]?.error === undefined);
  const keccak = ['different-blockchains.txt.ots', 'js-history/hello-world.txt.eth.ots'];

  it.each(names.filter((n) => !keccak.includes(n)))('%s reads the same in the JS client', (name) => {
    const bytes = readVector(name);
    const js = jsDecodeDetached(bytes);
    if (!js.ok) throw new Error(`JS failed: ${js.message}`);
    expect(js.dump).toEqual(dumpTree(DetachedTimestampFile.fromBytes(bytes).timestamp, true));
  });

  it('the keccak256 vectors are beyond the JS client, as ots-format.md §3 says', () => {
    for (const name of keccak) expect(jsDecodeDetached(readVector(name)).ok, name).toBe(false);
  });
});
