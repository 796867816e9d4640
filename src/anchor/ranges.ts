/** @module Arithmetic on sets of commit numbers written as sorted, disjoint [start, end) ranges: union, intersection, difference, and a cut to a count. Pure. */
import type { CommitRange } from '../journal/index.js';

/** Sorted and merged: overlapping or touching ranges become one. */
export function normalize(ranges: ReadonlyArray<CommitRange>): CommitRange[] {
  const sorted = ranges.filter((r) => r.end > r.start).map((r) => ({ start: r.start, end: r.end })).sort((a, b) => a.start - b.start);
  const out: CommitRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last !== undefined && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push(r);
  }
  return out;
}

/** Commit numbers in both. */
export function intersect(a: ReadonlyArray<CommitRange>, b: ReadonlyArray<CommitRange>): CommitRange[] {
  const x = normalize(a);
  const y = normalize(b);
  const out: CommitRange[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const p = x[i] as CommitRange;
    const q = y[j] as CommitRange;
    const start = Math.max(p.start, q.start);
    const end = Math.min(p.end, q.end);
    if (start < end) out.push({ start, end });
    if (p.end < q.end) i++;
    else j++;
  }
  return out;
}

/** Commit numbers in `a` and not in `b`. */
export function subtract(a: ReadonlyArray<CommitRange>, b: ReadonlyArray<CommitRange>): CommitRange[] {
  const out: CommitRange[] = [];
  const y = normalize(b);
  for (const r of normalize(a)) {
    let cursor = r.start;
    for (const q of y) {
      if (q.end <= cursor) continue;
      if (q.start >= r.end) break;
      if (q.start > cursor) out.push({ start: cursor, end: q.start });
      cursor = Math.max(cursor, q.end);
      if (cursor >= r.end) break;
    }
    if (cursor < r.end) out.push({ start: cursor, end: r.end });
  }
  return out;
}

/** The first `limit` commit numbers of `ranges` (in range order), in at most `maxRanges` ranges. */
export function take(ranges: ReadonlyArray<CommitRange>, limit: number, maxRanges = Number.MAX_SAFE_INTEGER): CommitRange[] {
  const out: CommitRange[] = [];
  let left = limit;
  for (const r of ranges) {
    if (left <= 0 || out.length >= maxRanges) break;
    const end = Math.min(r.end, r.start + left);
    out.push({ start: r.start, end });
    left -= end - r.start;
  }
  return out;
}

/** True when `n` lies in one of `ranges`. */
export function contains(ranges: ReadonlyArray<CommitRange>, n: number): boolean {
  return ranges.some((r) => n >= r.start && n < r.end);
}
