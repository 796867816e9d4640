/** @module Commitments: time ‖ merkle root ‖ MAC, the 44-byte message a calendar attests to (DESIGN §2, reference-server §2). */
import { hash } from 'node:crypto';
import { deriveKeyForIdx, MAC_LENGTH } from './hmac-key.js';

export const COMMITMENT_LENGTH = 4 + 32 + MAC_LENGTH;

/** Builds commitments for one calendar key; caches the per-second key since sub-second ticks share it. */
export class CommitmentMaker {
  #key: Uint8Array;
  #idx = -1;
  #idxKey: Uint8Array = new Uint8Array(0);
  #last = 0;

  constructor(key: Uint8Array, lastTime = 0) {
    this.#key = key;
    this.#last = lastTime;
  }

  /**
   * Commitment for `root` at unix time `now` (seconds). Time never goes backwards: a clock step back
   * reuses the last time, so commitments stay sorted by time, which the index relies on.
   */
  make(root: Uint8Array, now: number): { commitment: Uint8Array; time: number; mac: Uint8Array } {
    if (root.length !== 32) throw new RangeError(`"root" expected 32 bytes, got ${root.length}`);
    const time = Math.max(Math.floor(now), this.#last);
    if (time > 0xffffffff) throw new RangeError('unix time no longer fits the 4-byte commitment prefix');
    this.#last = time;
    if (time !== this.#idx) {
      this.#idxKey = deriveKeyForIdx(this.#key, time);
      this.#idx = time;
    }
    const c = new Uint8Array(COMMITMENT_LENGTH + 32);
    const dv = new DataView(c.buffer);
    dv.setUint32(0, time, false);
    c.set(root, 4);
    c.set(this.#idxKey, 36);
    const mac = hash('sha256', c.subarray(0, 68), 'buffer').subarray(0, MAC_LENGTH);
    c.set(mac, 36);
    // a copy: the scratch buffer still holds part of the per-second key after the MAC
    return { commitment: c.slice(0, COMMITMENT_LENGTH), time, mac: new Uint8Array(mac) };
  }

  /** True when `commitment` carries a valid MAC under this key (recovery from untrusted copies). */
  verify(commitment: Uint8Array): boolean {
    if (commitment.length !== COMMITMENT_LENGTH) return false;
    const time = new DataView(commitment.buffer, commitment.byteOffset).getUint32(0, false);
    const buf = new Uint8Array(36 + 32);
    buf.set(commitment.subarray(0, 36));
    buf.set(deriveKeyForIdx(this.#key, time), 36);
    const mac = hash('sha256', buf, 'buffer').subarray(0, MAC_LENGTH);
    return Buffer.compare(mac, commitment.subarray(36)) === 0;
  }
}

export function commitmentTime(commitment: Uint8Array): number {
  return new DataView(commitment.buffer, commitment.byteOffset, commitment.byteLength).getUint32(0, false);
}
