/** @module Recognising a message that is a whole serialized Bitcoin transaction, by python-bitcoinlib's parsing rules (for `ots info`'s "Transaction id" lines). */

/**
 * Forward-only cursor that reports failure instead of throwing: every counted loop below consumes at
 * least one byte per element, so a count larger than the bytes left fails before any work is done.
 */
class Cursor {
  pos = 0;
  ok = true;
  constructor(readonly buf: Uint8Array) {}

  skip(n: number): void {
    if (!this.ok || n > this.buf.length - this.pos) {
      this.ok = false;
      return;
    }
    this.pos += n;
  }

  byte(): number {
    const b = this.buf[this.pos];
    if (!this.ok || b === undefined) {
      this.ok = false;
      return 0;
    }
    this.pos++;
    return b;
  }

  /** Bitcoin CompactSize, non-minimal forms accepted (python-bitcoinlib does not check minimality). */
  compactSize(): number {
    const first = this.byte();
    const width = first === 0xfd ? 2 : first === 0xfe ? 4 : first === 0xff ? 8 : 0;
    if (width === 0) return first;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < width; i++) {
      value += this.byte() * scale;
      scale *= 256;
    }
    return value;
  }

  /** `count` elements of at least `minSize` bytes each; fails early when they cannot fit. */
  fits(count: number, minSize: number): boolean {
    if (count * minSize > this.buf.length - this.pos) this.ok = false;
    return this.ok;
  }
}

function readInputs(c: Cursor): number {
  const n = c.compactSize();
  // outpoint (36) + script length (≥1) + nSequence (4)
  if (!c.fits(n, 41)) return 0;
  for (let i = 0; i < n && c.ok; i++) {
    c.skip(36);
    c.skip(c.compactSize());
    c.skip(4);
  }
  return n;
}

function readOutputs(c: Cursor): void {
  const n = c.compactSize();
  // nValue (8) + script length (≥1)
  if (!c.fits(n, 9)) return;
  for (let i = 0; i < n && c.ok; i++) {
    c.skip(8);
    c.skip(c.compactSize());
  }
}

/**
 * True when `msg` parses completely as a transaction the way python-bitcoinlib 0.11's
 * `CTransaction.deserialize` does: version, then either the segwit marker/flag `00 01` with inputs,
 * outputs and one witness stack per input, or inputs and outputs; then nLockTime and no byte more.
 */
export function isBitcoinTransaction(msg: Uint8Array): boolean {
  const c = new Cursor(msg);
  c.skip(4);
  // python reads the marker and flag bytes before deciding, so fewer than two bytes left is a failure.
  if (msg.length - c.pos < 2) return false;
  if (msg[c.pos] === 0 && msg[c.pos + 1] === 1) {
    c.skip(2);
    const inputs = readInputs(c);
    readOutputs(c);
    for (let i = 0; i < inputs && c.ok; i++) {
      const items = c.compactSize();
      if (!c.fits(items, 1)) break;
      for (let j = 0; j < items && c.ok; j++) c.skip(c.compactSize());
    }
  } else {
    readInputs(c);
    readOutputs(c);
  }
  c.skip(4);
  return c.ok && c.pos === msg.length;
}
