/** @module A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text exposition format (version 0.0.4); each part registers its own metrics in the registry its role gives it. */

type Labels = Record<string, string>;

const labelKeys = new Map<string, string>();

/** Rendered label set; memoised, since the same few label sets recur on every request. */
function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  const id = keys.map((k) => `${k}\u0000${labels[k]}`).join('\u0001');
  const known = labelKeys.get(id);
  if (known !== undefined) return known;
  const rendered = renderLabels(labels, keys);
  if (labelKeys.size < 10_000) labelKeys.set(id, rendered);
  return rendered;
}

function renderLabels(labels: Labels, keys: string[]): string {
  return keys
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',');
}

export interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

export class Counter implements Metric {
  readonly type = 'counter';
  readonly #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }
  render(): string[] {
    if (this.#values.size === 0) return [`${this.name} 0`];
    return [...this.#values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`);
  }
}

export class Gauge implements Metric {
  readonly type = 'gauge';
  readonly #values = new Map<string, number>();
  #collect: (() => number | undefined) | undefined;
  constructor(
    readonly name: string,
    readonly help: string,
    collect?: () => number | undefined,
  ) {
    this.#collect = collect;
  }
  set(value: number, labels: Labels = {}): void {
    this.#values.set(labelKey(labels), value);
  }
  render(): string[] {
    if (this.#collect) {
      const v = this.#collect();
      return v === undefined || !Number.isFinite(v) ? [] : [`${this.name} ${v}`];
    }
    return [...this.#values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`);
  }
}

export class Histogram implements Metric {
  readonly type = 'histogram';
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}
  observe(value: number, labels: Labels = {}): void {
    const k = labelKey(labels);
    let s = this.#series.get(k);
    if (!s) this.#series.set(k, (s = { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= (this.buckets[i] as number)) s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count++;
  }
  render(): string[] {
    const out: string[] = [];
    for (const [k, s] of this.#series) {
      const sep = k ? ',' : '';
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket{${k}${sep}le="${b}"} ${s.counts[i]}`));
      out.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`);
      out.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      out.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  readonly #metrics: Metric[] = [];
  readonly #collectors: Array<() => void> = [];
  /** Runs `collect` before every render: for values read from their owner at scrape time. */
  beforeRender(collect: () => void): void {
    this.#collectors.push(collect);
  }
  register<M extends Metric>(m: M): M {
    this.#metrics.push(m);
    return m;
  }
  counter(name: string, help: string): Counter {
    return this.register(new Counter(name, help));
  }
  gauge(name: string, help: string, collect?: () => number | undefined): Gauge {
    return this.register(new Gauge(name, help, collect));
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, buckets));
  }
  render(): string {
    for (const c of this.#collectors) c();
    const lines: string[] = [];
    for (const m of this.#metrics) {
      const body = m.render();
      if (body.length === 0) continue;
      lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...body);
    }
    return lines.join('\n') + '\n';
  }
}
