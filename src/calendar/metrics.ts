/** @module The calendar's storage metrics: commitments, pending commitments and the age of the oldest one, journal records and bytes, read at scrape time. */
import type { CalendarIndex } from '../index/index.js';
import type { Registry } from '../metrics/registry.js';
import { commitmentTime } from './commitment.js';

export interface CalendarMetricsSources {
  commitments: () => number;
  pendingCommitments: () => number | undefined;
  journalRecords: () => number;
  journalBytes: () => number | undefined;
  /** Unix time (seconds) of the oldest commitment no anchor covers; undefined when none is pending. */
  oldestPendingTime: () => number | undefined;
  /** Unix seconds. */
  now?: () => number;
}

/**
 * Unix time of the oldest commitment that no live anchor covers: the first uncovered commit number (commit
 * order is time order) and its commitment's first four bytes. One read of one commitment per call.
 */
export function oldestPendingTime(index: Pick<CalendarIndex, 'commitCount' | 'anchors' | 'commitment'>): number | undefined {
  const [first] = index.anchors.uncovered(index.commitCount, 1);
  return first === undefined ? undefined : commitmentTime(index.commitment(first.start));
}

/** Registers the calendar's gauges in `r`. */
export function calendarMetrics(r: Registry, src: CalendarMetricsSources): void {
  r.gauge('ots_commitments', 'Commitments in the journal', { read: src.commitments });
  r.gauge('ots_pending_commitments', 'Commitments not yet anchored', { read: src.pendingCommitments });
  r.gauge('ots_journal_records', 'Records in the journal', { read: src.journalRecords });
  r.gauge('ots_journal_bytes', 'Bytes of journal on disk', { read: src.journalBytes });
  const now = src.now ?? ((): number => Date.now() / 1000);
  r.gauge('ots_oldest_pending_commitment_age_seconds', 'Age of the oldest commitment no anchor covers yet (0 when none is pending)', {
    read: () => {
      const t = src.oldestPendingTime();
      return t === undefined ? 0 : Math.max(0, Math.floor(now()) - t);
    },
  });
}
