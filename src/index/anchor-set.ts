/** @module Which anchor covers which commitment: the in-memory interval map rebuilt from anchor and revocation records. */

export interface AnchorInfo {
  /** Journal sequence number of the anchor record: its identity. */
  seq: number;
  offset: number;
  tip: Uint8Array;
  /** Commit-number ranges, end exclusive, in leaf order. */
  ranges: ReadonlyArray<{ start: number; end: number }>;
  /** Serialized timestamp from the tip to the attestation. */
  timestamp: Uint8Array;
  leafCount: number;
  revoked: boolean;
}

interface Interval {
  start: number;
  end: number;
  anchor: AnchorInfo;
}

/**
 * Keeps, for every commit number, the anchor that first covered it and is not revoked. Overlaps cannot
 * happen with one stamper; if a journal ever holds them, the earlier anchor wins, deterministically,
 * so a mirror rebuilding from the same journal answers the same.
 */
export class AnchorSet {
  readonly #bySeq = new Map<number, AnchorInfo>();
  /** Non-overlapping, sorted by start. */
  #intervals: Interval[] = [];

  get size(): number {
    return this.#bySeq.size;
  }

  get(seq: number): AnchorInfo | undefined {
    return this.#bySeq.get(seq);
  }

  all(): IterableIterator<AnchorInfo> {
    return this.#bySeq.values();
  }

  add(anchor: AnchorInfo): void {
    this.#bySeq.set(anchor.seq, anchor);
    for (const r of anchor.ranges) this.#cover(r.start, r.end, anchor);
  }

  /** Marks an anchor revoked; its commitments become uncovered (pending) until a later anchor covers them. */
  revoke(seq: number): AnchorInfo | undefined {
    const a = this.#bySeq.get(seq);
    if (!a || a.revoked) return a;
    a.revoked = true;
    this.#intervals = this.#intervals.filter((iv) => iv.anchor !== a);
    return a;
  }

  /** Commitments covered by live anchors. */
  coveredCount(): number {
    let n = 0;
    for (const iv of this.#intervals) n += iv.end - iv.start;
    return n;
  }

  find(commitNumber: number): AnchorInfo | undefined {
    const iv = this.#intervals;
    let lo = 0;
    let hi = iv.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = iv[mid] as Interval;
      if (commitNumber < m.start) hi = mid - 1;
      else if (commitNumber >= m.end) lo = mid + 1;
      else return m.anchor;
    }
    return undefined;
  }

  /**
   * Commit numbers in [0, count) that no live anchor covers, oldest first, as ranges, skipping `exclude`
   * (e.g. those in a mined transaction waiting for depth), at most `limit` commitments in all.
   */
  uncovered(count: number, limit: number, exclude: ReadonlyArray<{ start: number; end: number }> = []): Array<{ start: number; end: number }> {
    const blocked = [...this.#intervals.map((iv) => ({ start: iv.start, end: iv.end })), ...exclude].sort((a, b) => a.start - b.start);
    const out: Array<{ start: number; end: number }> = [];
    let cursor = 0;
    let left = limit;
    const take = (start: number, end: number): void => {
      if (end <= start || left <= 0) return;
      const e = Math.min(end, start + left);
      const last = out.at(-1);
      if (last && last.end === start) last.end = e;
      else out.push({ start, end: e });
      left -= e - start;
    };
    for (const b of blocked) {
      if (left <= 0 || cursor >= count) break;
      if (b.end <= cursor) continue;
      take(cursor, Math.min(b.start, count));
      cursor = Math.max(cursor, b.end);
    }
    if (cursor < count) take(cursor, count);
    return out;
  }

  /** Position of a commit number among the anchor's leaves. */
  static leafIndex(anchor: AnchorInfo, commitNumber: number): number {
    let pos = 0;
    for (const r of anchor.ranges) {
      if (commitNumber >= r.start && commitNumber < r.end) return pos + (commitNumber - r.start);
      pos += r.end - r.start;
    }
    return -1;
  }

  #cover(start: number, end: number, anchor: AnchorInfo): void {
    if (end <= start) return;
    const list = this.#intervals;
    // the first interval that ends after `start`: anchors come in commit order, so this is usually the end
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as Interval).end <= start) lo = mid + 1;
      else hi = mid;
    }
    const pieces: Interval[] = [];
    let cursor = start;
    for (let k = lo; k < list.length; k++) {
      const iv = list[k] as Interval;
      if (iv.start >= end) break;
      if (iv.start > cursor) pieces.push({ start: cursor, end: iv.start, anchor });
      cursor = Math.max(cursor, iv.end);
      if (cursor >= end) break;
    }
    if (cursor < end) pieces.push({ start: cursor, end, anchor });
    if (pieces.length === 0) return;
    if (lo === list.length) {
      // after every interval (the next anchor of a growing calendar): appended, still sorted
      list.push(...pieces);
      return;
    }
    const merged = list.concat(pieces);
    merged.sort((a, b) => a.start - b.start);
    this.#intervals = merged;
  }
}
