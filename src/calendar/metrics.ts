/** @module The calendar's storage metrics: commitments, pending commitments, journal records and bytes, read at scrape time. */
import type { Registry } from '../metrics/registry.js';

export interface CalendarMetricsSources {
  commitments: () => number;
  pendingCommitments: () => number | undefined;
  journalRecords: () => number;
  journalBytes: () => number | undefined;
}

/** Registers the calendar's gauges in `r`. */
export function calendarMetrics(r: Registry, src: CalendarMetricsSources): void {
  r.gauge('ots_commitments', 'Commitments in the journal', src.commitments);
  r.gauge('ots_pending_commitments', 'Commitments not yet anchored', src.pendingCommitments);
  r.gauge('ots_journal_records', 'Records in the journal', src.journalRecords);
  r.gauge('ots_journal_bytes', 'Bytes of journal on disk', src.journalBytes);
}
