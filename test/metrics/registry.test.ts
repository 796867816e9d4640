// The registry every part registers in (prom-client underneath): the `_total` rule, scrape-time reads, and the
// process and runtime metrics with ots_build_info, each rendered so that the real checker (promtool) is clean.
import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/metrics/registry.js';
import { processMetrics } from '../../src/metrics/process-metrics.js';
import { requestMetrics } from '../../src/http/request-metrics.js';
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

describe('histograms counted by their owner', () => {
  it('render the samples prom-client renders for the same observations, with escaped labels, and promtool finds nothing to say', async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const observed: Array<[string, number]> = [['/a', 0.0005], ['/a', 0.001], ['/a', 0.05], ['/b "x"\\n', 3], ['/a', 0.5], ['/b "x"\\n', 0.01]];
    const theirs = new Registry();
    const h = theirs.histogram('ots_latency_seconds', 'Latency \\ of\nrequests', buckets, { labels: ['route'] });
    for (const [route, v] of observed) h.observe(v, { route });
    const ours = new Registry();
    const tallies = new Map<string, { labels: { route: string }; counts: number[]; sum: number }>();
    for (const [route, v] of observed) {
      let t = tallies.get(route);
      if (!t) tallies.set(route, (t = { labels: { route }, counts: new Array<number>(buckets.length + 1).fill(0), sum: 0 }));
      const i = buckets.findIndex((b) => v <= b);
      (t.counts[i < 0 ? buckets.length : i] as number)++;
      t.sum += v;
    }
    ours.tallyHistogram('ots_latency_seconds', 'Latency \\ of\nrequests', buckets, { labels: ['route'], read: () => tallies.values() });
    const [a, b] = [await theirs.render(), await ours.render()];
    expect(b.split('\n').filter((l) => l.startsWith('# '))).toEqual(a.split('\n').filter((l) => l.startsWith('# ')));
    const sorted = (text: string) => parseExposition(text).samples.map((x) => JSON.stringify(x)).sort();
    expect(sorted(b)).toEqual(sorted(a));
    expect(await promtoolCheckMetrics(b)).toEqual({ code: 0, output: '' });
    expect(() => ours.tallyHistogram('ots_latency_seconds', 'again', buckets, { labels: ['route'], read: () => [] })).toThrow(/registered already/);
    expect(() => ours.tallyHistogram('ots_other_seconds', 'x', [1, 1], { labels: [], read: () => [] })).toThrow(/increasing/);
  });

  it('follow what prom-client renders, and the request metrics count every answer by method, route and status', async () => {
    const r = new Registry();
    r.counter('ots_before_total', 'Before').inc();
    const observe = requestMetrics(r);
    const req = (method: string, path: string) => ({ method, path, query: '', headers: {}, body: new Uint8Array(0), remote: undefined });
    const res = (status: number) => ({ status, headers: {}, body: '' });
    for (let i = 0; i < 3; i++) observe(req('GET', `/timestamp/${i}`), res(200), 0.4);
    observe(req('HEAD', '/timestamp/ab'), res(200), 30);
    observe(req('GET', '/timestamp/cd'), res(404), 2);
    observe(req('POST', '/digest'), res(200), 120);
    observe(req('GET', '/nothing'), res(404), 0.1);
    const e = parseExposition(await r.render());
    expect(value(e, 'ots_before_total')).toBe(1);
    expect(value(e, 'ots_http_requests_total', { method: 'GET', route: '/timestamp', status: '200' })).toBe(3);
    expect(value(e, 'ots_http_requests_total', { method: 'HEAD', route: '/timestamp', status: '200' })).toBe(1);
    expect(value(e, 'ots_http_requests_total', { method: 'GET', route: '/timestamp', status: '404' })).toBe(1);
    expect(value(e, 'ots_http_requests_total', { method: 'GET', route: 'other', status: '404' })).toBe(1);
    expect(value(e, 'ots_http_request_duration_seconds_count', { route: '/timestamp', status: '200' })).toBe(4);
    expect(value(e, 'ots_http_request_duration_seconds_bucket', { route: '/timestamp', status: '200', le: '0.001' })).toBe(3);
    expect(value(e, 'ots_http_request_duration_seconds_bucket', { route: '/timestamp', status: '200', le: '0.025' })).toBe(3);
    expect(value(e, 'ots_http_request_duration_seconds_bucket', { route: '/timestamp', status: '200', le: '0.05' })).toBe(4);
    expect(value(e, 'ots_http_request_duration_seconds_sum', { route: '/timestamp', status: '200' })).toBeCloseTo(0.0312, 10);
    expect(value(e, 'ots_http_request_duration_seconds_bucket', { route: '/digest', status: '200', le: '0.1' })).toBe(0);
    expect(value(e, 'ots_http_request_duration_seconds_bucket', { route: '/digest', status: '200', le: '0.25' })).toBe(1);
    expect(e.types.get('ots_http_request_duration_seconds')).toBe('histogram');
    observe(req('GET', '/timestamp/ef'), res(200), 0.2);
    expect(value(parseExposition(await r.render()), 'ots_http_requests_total', { method: 'GET', route: '/timestamp', status: '200' })).toBe(4);
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
