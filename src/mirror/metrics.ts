/** @module The mirror's Prometheus metrics: lag, records, verification failures, retries and checked attestations, in the registry its role gives it. */
import type { Metric, Registry } from '../metrics/registry.js';

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

/** A counter whose value is read from its owner at scrape time (the follower's own tallies). */
function collectedCounter(name: string, help: string, read: () => number, labels?: () => Record<string, string> | undefined): Metric {
  return {
    name,
    help,
    type: 'counter',
    render: () => {
      const l = labels?.();
      const k = l ? `{${Object.entries(l).map(([key, v]) => `${key}="${v}"`).join(',')}}` : '';
      return [`${name}${k} ${read()}`];
    },
  };
}

/** Registers the mirror's metrics in `r`. */
export function mirrorMetrics(r: Registry, src: MirrorMetricsSources): void {
  r.gauge('ots_mirror_lag_seconds', 'How far behind the upstream the mirror may be (0 while waiting at its head)', src.lagSeconds);
  r.gauge('ots_mirror_records', 'Records the mirror holds, verified', src.records);
  r.gauge('ots_mirror_upstream_records', 'Records the upstream held when it last answered', src.upstreamRecords);
  r.gauge('ots_commitments', 'Commitments in the mirrored journal', src.commitments);
  r.gauge('ots_mirror_following', '1 while following the upstream, 0 once stopped by a verification failure', () => (src.following() ? 1 : 0));
  r.register(collectedCounter('ots_mirror_records_appended_total', 'Records verified and stored since start', src.recordsAppended));
  r.register(collectedCounter('ots_mirror_attestations_checked_total', 'Attestations checked against the node since start', src.attestationsChecked));
  r.register(collectedCounter('ots_mirror_retries_total', 'Transient failures (upstream or node unavailable) retried since start', src.retries));
  r.register(
    collectedCounter(
      'ots_mirror_verification_failures_total',
      'Verification failures that stopped following, by code',
      () => (src.failureCode() ? 1 : 0),
      () => {
        const code = src.failureCode();
        return code ? { code } : undefined;
      },
    ),
  );
}
