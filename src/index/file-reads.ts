/**
 * @module Positional reads and writes of the index's own files (commits.idx, anchors.idx and its records,
 * trees.dat and trees.idx): a read or write may be short, which these loop over; a file shorter than asked is
 * a `RangeError` naming it. Derived files, so nothing here fsyncs.
 */
import { fstatSync, readSync, writeSync } from 'node:fs';

/** Fills `buf[0, length)` from `position` of `fd`; throws when `file` ends first. */
export function readExactly(fd: number, buf: Buffer, length: number, position: number, file: string): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new RangeError(`${file} ends at ${position + done}, expected ${position + length}`);
    done += n;
  }
}

/** Every byte of the file, as far as it can be read now. */
export function readWhole(fd: number): Buffer {
  const buf = Buffer.alloc(fstatSync(fd).size);
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** Writes all of `data` at `position`; a write that makes no progress is an error, not a loop. */
export function writeExactly(fd: number, data: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < data.length) {
    const n = writeSync(fd, data, done, data.length - done, position + done);
    if (n <= 0) throw new RangeError(`${file}: write at ${position + done} returned ${n}`);
    done += n;
  }
}
