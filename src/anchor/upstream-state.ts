/**
 * @module The upstream strategy's local state: the tips submitted to a master calendar with the path its answer gave (tip → the master's pending commitment), and the anchors written from its proofs, watched for reorgs. One JSON file per master under `state/`, written durably before the strategy acts on it.
 *
 * Durability protocol (style rule 10), by `UpstreamStore.save`, through `writeFileDurablySync` (src/durable):
 * the file is either the old or the new state after a crash. The strategy saves the master's answer before
 * anything else happens with it, and an anchor before it forgets the submission; a crash between the two
 * replays the anchor, which the calendar does not write twice.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readTextIfPresent, writeFileDurablySync } from '../durable/index.js';
import type { CommitRange } from '../journal/index.js';
import { bytesToHex } from '../ots/index.js';
import { StateShapeError, arr, hash, hexBytes, obj, uint } from './state-shape.js';
import { StamperStateError, StateWriteError } from './errors.js';
import type { BlockRef } from './stamper-state.js';

const FORMAT = 1;

/** A tip given to the master, and what it answered. */
export interface Submission {
  tip: Uint8Array;
  ranges: CommitRange[];
  /** The master's answer: the timestamp from the tip to its pending attestation(s). */
  path: Uint8Array;
  /** Unix ms. */
  submittedAt: number;
  /** Unix ms at which its commitments were handed to the next strategy (a late master); null while held. */
  releasedAt: number | null;
}

export interface UpstreamAnchor {
  seq: number;
  block: BlockRef;
  /** The block header's time (unix seconds): the time the anchor attests. */
  blockTime?: number;
}

export interface UpstreamState {
  /** The master's URL as configured, without credentials: a state file belongs to one master. */
  master: string;
  submissions: Submission[];
  anchored: UpstreamAnchor[];
  /** Unix ms of the last submission: the next cycle starts min-tx-interval after it. */
  lastCycleAt: number;
}

export function emptyUpstreamState(master: string): UpstreamState {
  return { master, submissions: [], anchored: [], lastCycleAt: 0 };
}

/** The file of a master: named by a digest of its URL, so any URL makes a valid file name. */
export function upstreamStateFile(master: string): string {
  return `anchor-upstream-${createHash('sha256').update(master).digest('hex').slice(0, 16)}.json`;
}

export function encodeUpstreamState(s: UpstreamState): string {
  return JSON.stringify({
    format: FORMAT,
    master: s.master,
    submissions: s.submissions.map((x) => ({ tip: bytesToHex(x.tip), ranges: x.ranges.map((r) => [r.start, r.end]), path: bytesToHex(x.path), submittedAt: x.submittedAt, releasedAt: x.releasedAt })),
    anchored: s.anchored,
    lastCycleAt: s.lastCycleAt,
  });
}

export function decodeUpstreamState(text: string, path: string): UpstreamState {
  try {
    const o = obj(JSON.parse(text) as unknown, 'state');
    if (o.format !== FORMAT) throw new StateShapeError(`format ${JSON.stringify(o.format)} is not ${FORMAT}`);
    if (typeof o.master !== 'string') throw new StateShapeError('master is not a string');
    const submissions = arr(o.submissions, 'submissions').map((x, i) => {
      const s = obj(x, `submissions[${i}]`);
      const ranges = arr(s.ranges, `submissions[${i}].ranges`).map((r, j) => {
        const pair = arr(r, `submissions[${i}].ranges[${j}]`);
        const start = uint(pair[0], `submissions[${i}].ranges[${j}][0]`);
        const end = uint(pair[1], `submissions[${i}].ranges[${j}][1]`);
        if (pair.length !== 2 || end <= start) throw new StateShapeError(`submissions[${i}].ranges[${j}] is not a non-empty range`);
        return { start, end };
      });
      if (ranges.length === 0) throw new StateShapeError(`submissions[${i}].ranges is empty`);
      return {
        tip: hexBytes(s.tip, `submissions[${i}].tip`, 32),
        ranges,
        path: hexBytes(s.path, `submissions[${i}].path`),
        submittedAt: uint(s.submittedAt, `submissions[${i}].submittedAt`),
        releasedAt: s.releasedAt === null ? null : uint(s.releasedAt, `submissions[${i}].releasedAt`),
      };
    });
    const anchored = arr(o.anchored, 'anchored').map((x, i) => {
      const a = obj(x, `anchored[${i}]`);
      const b = obj(a.block, `anchored[${i}].block`);
      const blockTime = a.blockTime === undefined ? {} : { blockTime: uint(a.blockTime, `anchored[${i}].blockTime`) };
      return { seq: uint(a.seq, `anchored[${i}].seq`), block: { height: uint(b.height, `anchored[${i}].block.height`), hash: hash(b.hash, `anchored[${i}].block.hash`) }, ...blockTime };
    });
    return { master: o.master, submissions, anchored, lastCycleAt: uint(o.lastCycleAt, 'lastCycleAt') };
  } catch (err) {
    if (err instanceof StateShapeError || err instanceof SyntaxError) throw new StamperStateError(path, err.message, { cause: err });
    throw err;
  }
}

/** The state file of one master. `save` is durable on return and synchronous; not safe for two processes (the journal lock keeps a second calendar off). */
export class UpstreamStore {
  readonly path: string;
  readonly #master: string;

  constructor(stateDir: string, master: string) {
    this.#master = master;
    this.path = join(stateDir, upstreamStateFile(master));
  }

  load(): UpstreamState {
    const text = readTextIfPresent(this.path, (reason, cause) => new StamperStateError(this.path, reason, { cause }));
    if (text === undefined) return emptyUpstreamState(this.#master);
    const state = decodeUpstreamState(text, this.path);
    if (state.master !== this.#master) throw new StamperStateError(this.path, `it belongs to master ${state.master}, not ${this.#master}`);
    return state;
  }

  save(state: UpstreamState): void {
    try {
      writeFileDurablySync(this.path, encodeUpstreamState(state), { mode: 0o640 });
    } catch (err) {
      throw new StateWriteError(this.path, { cause: err });
    }
  }
}
