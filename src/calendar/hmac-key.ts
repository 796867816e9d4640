/** @module The calendar's secret HMAC key: created once (0600), read with care, and the per-second key tree of the reference server (reference-server §2). */
import { randomBytes, hash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createFileDurablySync } from '../durable/index.js';

/** Length of a freshly generated key. The reference's README asks for 32 random bytes. */
export const HMAC_KEY_LENGTH = 32;
/** Length of the MAC appended to every commitment: 8 bytes, as the reference ("64-bit collisions"). */
export const MAC_LENGTH = 8;

export class HmacKeyError extends Error {
  readonly code = 'hmac-key';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HmacKeyError';
  }
}

export interface LoadedKey {
  key: Uint8Array;
  created: boolean;
}

/**
 * Reads the key file, or creates it with 32 random bytes when it does not exist and `mayCreate` (a new
 * calendar: the caller checked that no commitment was made with another key). Creation is exclusive (O_EXCL)
 * with mode 0600 and durable (src/durable), so two processes never race to two keys. A key file that group or
 * others may read is refused: whoever reads it can make commitments in this calendar's name.
 */
export function loadOrCreateHmacKey(path: string, opts: { mayCreate?: boolean; missing?: string } = {}): LoadedKey {
  let created = false;
  if (opts.mayCreate ?? true) {
    try {
      created = createFileDurablySync(path, randomBytes(HMAC_KEY_LENGTH), { mode: 0o600 });
    } catch (e) {
      throw new HmacKeyError(`cannot create HMAC key file ${path}: ${(e as Error).message}`, { cause: e });
    }
  } else if (!existsSync(path)) {
    throw new HmacKeyError(opts.missing ?? `HMAC key file ${path} is missing`);
  }
  let key: Buffer;
  let mode: number;
  try {
    key = readFileSync(path);
    mode = statSync(path).mode;
  } catch (e) {
    throw new HmacKeyError(`cannot read HMAC key file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { cause: e });
  }
  if (key.length < 16) {
    throw new HmacKeyError(`HMAC key file ${path} holds ${key.length} bytes; at least 16 are needed`);
  }
  if ((mode & 0o077) !== 0) {
    throw new HmacKeyError(`HMAC key file ${path} may be read by other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); allow its owner alone: chmod 600 ${path}`);
  }
  return { key, created };
}

/**
 * The per-second key of the reference server: starting from the key, for each of the 32 bits of `idx`
 * from the most significant, k = sha256(k ‖ 0xff) if the bit is set, else sha256(k ‖ 0x00).
 * A binary key tree, so the key of a whole time range can later be revealed without the others.
 */
export function deriveKeyForIdx(key: Uint8Array, idx: number): Uint8Array {
  let k: Uint8Array = key;
  const buf = new Uint8Array(33);
  for (let bit = 31; bit >= 0; bit--) {
    if (k.length !== 32) {
      const b = new Uint8Array(k.length + 1);
      b.set(k);
      b[k.length] = ((idx >>> bit) & 1) === 1 ? 0xff : 0x00;
      k = hash('sha256', b, 'buffer');
      continue;
    }
    buf.set(k);
    buf[32] = ((idx >>> bit) & 1) === 1 ? 0xff : 0x00;
    k = hash('sha256', buf, 'buffer');
  }
  return k;
}
