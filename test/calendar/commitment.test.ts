import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, readFileSync, writeFileSync, chmodSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CommitmentMaker, COMMITMENT_LENGTH, commitmentTime } from '../../src/calendar/commitment.js';
import { deriveKeyForIdx, loadOrCreateHmacKey } from '../../src/calendar/hmac-key.js';

/** The reference's key tree and MAC, written independently in python (hashlib only) from reference-server §2. */
const PY = `
import sys, hashlib, json
key = bytes.fromhex(sys.argv[1]); out = []
for arg in sys.argv[2:]:
    idx, root = arg.split(':'); idx = int(idx); root = bytes.fromhex(root)
    k = key
    for b in range(31, -1, -1):
        k = hashlib.sha256(k + (b'\\xff' if (idx >> b) & 1 else b'\\x00')).digest()
    c1 = idx.to_bytes(4, 'big') + root
    out.append((c1 + hashlib.sha256(c1 + k).digest()[:8]).hex())
print(json.dumps(out))
`;

describe('commitments (reference-server §2)', () => {
  it('match an independent implementation of the key tree and MAC', () => {
    const key = randomBytes(32);
    const cases = [0, 1, 0x5a62878d, 1_700_000_000, 0xffffffff].map((t) => ({ t, root: randomBytes(32) }));
    const py = JSON.parse(execFileSync('python3', ['-c', PY, key.toString('hex'), ...cases.map((c) => `${c.t}:${c.root.toString('hex')}`)]).toString()) as string[];
    cases.forEach((c, i) => {
      const m = new CommitmentMaker(key);
      const { commitment, time } = m.make(c.root, c.t + 0.75);
      expect(time).toBe(c.t);
      expect(commitment.length).toBe(COMMITMENT_LENGTH);
      expect(Buffer.from(commitment).toString('hex')).toBe(py[i]);
      expect(m.verify(commitment)).toBe(true);
    });
  });

  it('never goes back in time, so commitments stay sorted', () => {
    const m = new CommitmentMaker(randomBytes(32), 1000);
    expect(m.make(randomBytes(32), 999).time).toBe(1000);
    expect(m.make(randomBytes(32), 1005.2).time).toBe(1005);
    const c = m.make(randomBytes(32), 1001);
    expect(c.time).toBe(1005);
    expect(commitmentTime(c.commitment)).toBe(1005);
  });

  it('rejects a tampered commitment and a wrong key', () => {
    const key = randomBytes(32);
    const { commitment } = new CommitmentMaker(key).make(randomBytes(32), 12345);
    const bad = Uint8Array.from(commitment);
    bad[10] = (bad[10] as number) ^ 1;
    expect(new CommitmentMaker(key).verify(bad)).toBe(false);
    expect(new CommitmentMaker(randomBytes(32)).verify(commitment)).toBe(false);
  });

  it('derives distinct per-second keys', () => {
    const key = randomBytes(32);
    expect(Buffer.from(deriveKeyForIdx(key, 1)).equals(Buffer.from(deriveKeyForIdx(key, 2)))).toBe(false);
  });
});

describe('HMAC key file', () => {
  it('is created once with mode 0600 and then reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otsc-key-'));
    const path = join(dir, 'hmac-key');
    const a = loadOrCreateHmacKey(path);
    expect(a.created).toBe(true);
    expect(a.key.length).toBe(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const b = loadOrCreateHmacKey(path);
    expect(b.created).toBe(false);
    expect(Buffer.from(b.key).equals(readFileSync(path))).toBe(true);
    chmodSync(path, 0o640);
    expect(() => loadOrCreateHmacKey(path)).toThrow(`HMAC key file ${path} may be read by other users (mode 0640); allow its owner alone: chmod 600 ${path}`);
    chmodSync(path, 0o600);
    expect(loadOrCreateHmacKey(path, { mayCreate: false }).created).toBe(false);
    rmSync(path);
    expect(() => loadOrCreateHmacKey(path, { mayCreate: false, missing: 'restore it' })).toThrow('restore it');
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a key that is too short, without printing it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otsc-key-'));
    const path = join(dir, 'hmac-key');
    writeFileSync(path, 'short-secret', { mode: 0o600 });
    expect(() => loadOrCreateHmacKey(path)).toThrow(/at least 16/);
    try {
      loadOrCreateHmacKey(path);
    } catch (e) {
      expect(String(e)).not.toContain('short-secret');
    }
  });
});
