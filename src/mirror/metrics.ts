/** @module The mirror's Prometheus metrics: lag, records, verification failures, retries and checked attestations, in the registry its role gives it. */
import type { Registry } from '../metrics/registry.js';

export interface MirrorMetricsSources {
  lagSeconds: () => number | undefined;
  /** Records (journal mode) or chunks (backup mode) held. */
  records: () => number;
  upstreamRecords: () => number | undefined;
  commitments: () => number;
  /** 1 while following, 0 once stopped on a failure. */
  following: () => boolean;
  /** The failure that stopped following, by code (a bounded set). */
  failureCode: () => string | undefined;
  recordsAppended: () => number;
  attestationsChecked: () => number;
  retries: () => number;
}

/** Registers the mirror's metrics in `r`. */
export function mirrorMetrics(r: Registry, src: MirrorMetricsSources): void {
  r.gauge('ots_mirror_lag_seconds', 'How far behind the upstream the mirror may be (0 while waiting at its head)', { read: src.lagSeconds });
  r.gauge('ots_mirror_records', 'Records the mirror holds, verified', { read: src.records });
  r.gauge('ots_mirror_upstream_records', 'Records the upstream held when it last answered', { read: src.upstreamRecords });
  r.gauge('ots_commitments', 'Commitments in the mirrored journal', { read: src.commitments });
  r.gauge('ots_mirror_following', '1 while following the upstream, 0 once stopped by a verification failure', { read: () => (src.following() ? 1 : 0) });
  r.counter('ots_mirror_records_appended_total', 'Records verified and stored since start', { read: src.recordsAppended });
  r.counter('ots_mirror_attestations_checked_total', 'Attestations checked against the node since start', { read: src.attestationsChecked });
  r.counter('ots_mirror_retries_total', 'Transient failures (upstream or node unavailable) retried since start', { read: src.retries });
  r.counter('ots_mirror_verification_failures_total', 'Verification failures that stopped following, by code (none while following)', {
    labels: ['code'],
    read: () => {
      const code = src.failureCode();
      return code ? [{ labels: { code }, value: 1 }] : [];
    },
  });
}
