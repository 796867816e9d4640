/**
 * @module The metrics every server process reports whatever its role: prom-client's process and runtime metrics (CPU, resident memory, open and maximum file descriptors, start time, event-loop lag, heap and heap spaces, GC durations, active handles) and `ots_build_info`.
 *
 * prom-client also reports the totals of active handles, requests and resources as gauges named
 * `…_total`; a gauge may not carry that suffix (Prometheus' naming rule, which `promtool check metrics`
 * enforces), and the same counts are there by type in `nodejs_active_handles` and its siblings, so
 * those three are left out.
 */
import { collectDefaultMetrics } from 'prom-client';
import type { Registry } from './registry.js';

/** prom-client gauges whose name breaks the `_total` rule; their per-type breakdown stays. */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface BuildInfo {
  /** This software's version (package.json). */
  version: string;
  /** calendar, aggregator or mirror. */
  role: string;
}

/** Registers the process and runtime metrics and `ots_build_info` in `r`; call once per process. */
export function processMetrics(r: Registry, build: BuildInfo): void {
  collectDefaultMetrics({ register: r.prom });
  for (const name of MISNAMED_DEFAULTS) r.prom.removeSingleMetric(name);
  r.gauge('ots_build_info', 'Always 1; the labels say which version runs, on which Node.js, in which role', {
    labels: ['version', 'node_version', 'role'],
    read: () => [{ labels: { version: build.version, node_version: process.version, role: build.role }, value: 1 }],
  });
}
