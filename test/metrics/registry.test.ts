// The registry every part registers in (prom-client underneath): the `_total` rule, scrape-time reads, and the
// process and runtime metrics with ots_build_info, each rendered so that the real checker (promtool) is clean.
import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/metrics/registry.js';
import { processMetrics } from '../../src/metrics/process-metrics.js';
import { parseExposition, promtoolCheckMetrics, value } from '../fixtures/prometheus.js';

describe('naming', () => {
  it('a counter must end in _total and nothing else may (checked for names built at run time)', () => {
    const r = new Registry();
    const dynamic = (s: string): never => s as never;
    expect(() => r.counter(dynamic('ots_errors') as `${string}_total`, 'x')).toThrow(/counter "ots_errors" must end in _total/);
    expect(() => r.gauge(dynamic('ots_errors_total'), 'x')).toThrow(/ends in _total, which only a counter's name may/);
    expect(() => r.histogram(dynamic('ots_sizes_total'), 'x', [1])).toThrow(/_total/);
    expect(() => r.gauge(dynamic('ots-bad'), 'x')).toThrow(/not a Prometheus name/);
  });
});

describe('values', () => {
  it('set, incremented, observed and read at scrape time, with labels; a read that is undefined or throws gives no sample and costs nothing else', async () => {
    const r = new Registry();
    const requests = r.counter('ots_requests_total', 'Requests', { labels: ['route'] });
    requests.inc({ route: '/a' });
    requests.inc({ route: '/a' }, 2);
    const plain = r.counter('ots_plain_total', 'Plain');
    plain.inc();
    r.gauge('ots_queue', 'Queue', { read: () => 7 });
    r.gauge('ots_unknown', 'Not known now', { read: () => undefined });
    r.gauge('ots_broken', 'Source fails', {
      read: () => {
        throw new Error('index gone');
      },
    });
    let tally = 3;
    r.counter('ots_read_total', 'Read at scrape time', { read: () => tally });
    r.counter('ots_per_calendar_total', 'Per calendar', { labels: ['calendar'], read: () => [{ labels: { calendar: 'https://a.example "q"' }, value: 4 }] });
    r.histogram('ots_latency_seconds', 'Latency', [0.1, 1], { labels: ['route'] }).observe(0.5, { route: '/a' });
    const e = parseExposition(await r.render());
    expect(value(e, 'ots_requests_total', { route: '/a' })).toBe(3);
    expect(value(e, 'ots_plain_total')).toBe(1);
    expect(value(e, 'ots_queue')).toBe(7);
    expect(e.samples.filter((s) => s.name === 'ots_unknown' || s.name === 'ots_broken')).toEqual([]);
    expect(value(e, 'ots_read_total')).toBe(3);
    expect(value(e, 'ots_per_calendar_total', { calendar: 'https://a.example "q"' })).toBe(4);
    expect(value(e, 'ots_latency_seconds_bucket', { route: '/a', le: '0.1' })).toBe(0);
    expect(value(e, 'ots_latency_seconds_bucket', { route: '/a', le: '1' })).toBe(1);
    expect(e.types.get('ots_read_total')).toBe('counter');
    expect(e.types.get('ots_queue')).toBe('gauge');
    tally = 5;
    expect(value(parseExposition(await r.render()), 'ots_read_total')).toBe(5);
    expect(await promtoolCheckMetrics(e.text)).toEqual({ code: 0, output: '' });
  });
});

describe('process and runtime metrics', () => {
  it('CPU, resident memory, fds, start time, event-loop lag, heap, GC and ots_build_info; promtool finds nothing to say', async () => {
    const r = new Registry();
    processMetrics(r, { version: '9.9.9', role: 'calendar' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const e = parseExposition(await r.render());
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'process_max_fds', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_heap_space_size_used_bytes', 'nodejs_active_handles']) {
      expect(e.samples.some((s) => s.name === name), name).toBe(true);
    }
    expect(e.types.get('nodejs_gc_duration_seconds')).toBe('histogram');
    expect(value(e, 'process_start_time_seconds')).toBeCloseTo(Date.now() / 1000 - process.uptime(), -1);
    expect(value(e, 'ots_build_info', { version: '9.9.9', node_version: process.version, role: 'calendar' })).toBe(1);
    // prom-client's gauges named …_total break the rule; their breakdown by type stays
    expect([...e.types.keys()].filter((n) => n.endsWith('_total') && e.types.get(n) !== 'counter')).toEqual([]);
    expect(await promtoolCheckMetrics(e.text)).toEqual({ code: 0, output: '' });
  });
});
