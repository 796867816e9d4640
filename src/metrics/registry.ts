/**
 * @module The Prometheus registry each part registers its metrics in: a thin typed wrapper over prom-client that keeps the naming rule (a counter's name ends in `_total`, no other name does), declares label names up front, reads scrape-time values from their owners, and renders the text exposition format (version 0.0.4).
 *
 * Why a wrapper and not prom-client's classes in every part: label sets are typed by the names a metric
 * declares, the `_total` rule is checked once (by type and at registration), and values that live with
 * their owner (a follower's tallies, the stamper's status) are read at scrape time through one `read`
 * option instead of each part writing prom-client `collect` callbacks.
 */
import { Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry as PromRegistry } from 'prom-client';

/** Every declared label, with its value. */
export type Labels<L extends string> = Readonly<Record<L, string>>;

/** One labelled value read at scrape time. */
export interface Sample<L extends string> {
  labels: Labels<L>;
  value: number;
}

/** One label set of a histogram whose owner counts its observations (`Registry.tallyHistogram`). */
export interface HistogramTally<L extends string> {
  labels: Labels<L>;
  /** Observations at most each bound and above the previous one, then those above the last: one more than the bounds. */
  counts: ArrayLike<number>;
  /** The sum of the observed values. */
  sum: number;
}

/** A counter's name: it ends in `_total`. */
export type CounterName = `${string}_total`;
/** A gauge's or a histogram's name: anything but a counter's. */
export type NonCounterName<N extends string> = N extends CounterName ? never : N;

/** Scrape-time values: one number for an unlabelled metric (undefined: no sample now), samples for a labelled one. */
export type Read<L extends string> = () => number | undefined | Iterable<Sample<L>>;

export interface MetricOptions<L extends string> {
  /** Label names; every sample carries each of them. */
  labels?: readonly L[];
  /** The value is read from its owner at every scrape instead of being set by the part. */
  read?: Read<L>;
}

/** `inc()`'s arguments: labels first when the counter has labels. */
type IncArgs<L extends string> = [L] extends [never] ? [by?: number] : [labels: Labels<L>, by?: number];
type SetArgs<L extends string> = [L] extends [never] ? [value: number] : [value: number, labels: Labels<L>];
type ObserveArgs<L extends string> = [L] extends [never] ? [value: number] : [value: number, labels: Labels<L>];

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class Counter<L extends string = never> {
  readonly #c: PromCounter<L>;
  constructor(c: PromCounter<L>) {
    this.#c = c;
  }
  inc(...args: IncArgs<L>): void {
    if (typeof args[0] === 'object') this.#c.inc(args[0], (args[1] as number | undefined) ?? 1);
    else this.#c.inc((args[0] as number | undefined) ?? 1);
  }

  /** The counter of one label set, for a caller that increments it often (its labels are hashed once, here). */
  of(labels: Labels<L>): (by?: number) => void {
    const child = this.#c.labels(labels);
    return (by = 1) => child.inc(by);
  }
}

export class Gauge<L extends string = never> {
  readonly #g: PromGauge<L>;
  constructor(g: PromGauge<L>) {
    this.#g = g;
  }
  set(...args: SetArgs<L>): void {
    const [value, labels] = args as [number, Labels<L> | undefined];
    if (labels) this.#g.set(labels, value);
    else this.#g.set(value);
  }
}

export class Histogram<L extends string = never> {
  readonly #h: PromHistogram<L>;
  constructor(h: PromHistogram<L>) {
    this.#h = h;
  }
  observe(...args: ObserveArgs<L>): void {
    const [value, labels] = args as [number, Labels<L> | undefined];
    if (labels) this.#h.observe(labels, value);
    else this.#h.observe(value);
  }

  /** The histogram of one label set, for a caller that observes it often (its labels are hashed once, here). */
  of(labels: Labels<L>): (value: number) => void {
    const child = this.#h.labels(labels);
    return (value) => child.observe(value);
  }
}

/** The part of a prom-client counter or gauge a scrape-time read writes to. */
interface Writable<L extends string> {
  reset(): void;
  remove(labels: Labels<L>): void;
}

/**
 * Writes what `read` returns into a prom-client metric just before it is rendered; no sample when it returns
 * undefined, or throws: one source that cannot be read must not cost every other metric its scrape.
 */
function collect<L extends string, M extends Writable<L>>(metric: M, read: Read<L>, write: (m: M, value: number, labels?: Labels<L>) => void): void {
  let v: ReturnType<Read<L>>;
  try {
    v = read();
  } catch {
    v = undefined;
  }
  metric.reset();
  if (typeof v === 'number' && Number.isFinite(v)) write(metric, v);
  else if (typeof v === 'number' || v === undefined) metric.remove({} as Labels<L>);
  else for (const s of v) write(metric, s.value, s.labels);
}

export class Registry {
  /** The prom-client registry itself, for prom-client's own collectors (the process and runtime metrics). */
  readonly prom = new PromRegistry();
  readonly #beforeRender: Array<() => void> = [];
  /** Metrics rendered here rather than by prom-client (tallyHistogram), by name. */
  readonly #own = new Map<string, () => string>();

  counter<const L extends string = never>(name: CounterName, help: string, o: MetricOptions<L> = {}): Counter<L> {
    check(name, true);
    const read = o.read;
    const c = new PromCounter<L>({
      name,
      help,
      labelNames: o.labels ?? [],
      registers: [this.prom],
      ...(read ? { collect: function (this: PromCounter<L>) { collect(this, read, (m, v, labels) => (labels ? m.inc(labels, v) : m.inc(v))); } } : {}),
    });
    return new Counter(c);
  }

  gauge<const N extends string, const L extends string = never>(name: NonCounterName<N>, help: string, o: MetricOptions<L> = {}): Gauge<L> {
    check(name, false);
    const read = o.read;
    const g = new PromGauge<L>({
      name,
      help,
      labelNames: o.labels ?? [],
      registers: [this.prom],
      ...(read ? { collect: function (this: PromGauge<L>) { collect(this, read, (m, v, labels) => (labels ? m.set(labels, v) : m.set(v))); } } : {}),
    });
    return new Gauge(g);
  }

  histogram<const N extends string, const L extends string = never>(name: NonCounterName<N>, help: string, buckets: readonly number[], o: { labels?: readonly L[] } = {}): Histogram<L> {
    check(name, false);
    return new Histogram(new PromHistogram<L>({ name, help, buckets: [...buckets], labelNames: o.labels ?? [], registers: [this.prom] }));
  }

  /**
   * A histogram whose owner counts the observations (per bucket, and their sum) and hands them over at every
   * scrape through `read`; rendered here as prom-client renders a histogram. For one observed at every request:
   * prom-client's observe (and inc) builds its label key as a string and looks it up at every call, even through a
   * child bound once: the request metrics were about 14,000 instructions of a cached proof's 89,000 (callgrind,
   * BENCHMARKS.md).
   */
  tallyHistogram<const N extends string, const L extends string>(
    name: NonCounterName<N>,
    help: string,
    buckets: readonly number[],
    o: { labels: readonly L[]; read: () => Iterable<HistogramTally<L>> },
  ): void {
    check(name, false);
    if (this.#own.has(name) || this.prom.getSingleMetric(name)) throw new RangeError(`metric "${name}" is registered already`);
    if (!buckets.every((b, i) => Number.isFinite(b) && (i === 0 || b > (buckets[i - 1] as number)))) throw new RangeError(`the buckets of "${name}" must be finite and increasing`);
    const bounds = [...buckets];
    this.#own.set(name, () => renderHistogram(name, help, bounds, o.labels, o.read()));
  }

  /** Runs `collect` before every render: for several metrics read from one owner at once. */
  beforeRender(collect: () => void): void {
    this.#beforeRender.push(collect);
  }

  /** The text exposition format of every metric registered. */
  async render(): Promise<string> {
    for (const c of this.#beforeRender) c();
    const text = await this.prom.metrics();
    if (this.#own.size === 0) return text;
    let own = '';
    for (const render of this.#own.values()) own += render();
    return text === '' || text.endsWith('\n') ? text + own : `${text}\n${own}`;
  }
}

/** A histogram in the text exposition format, its samples in the order and form prom-client writes them. */
function renderHistogram<L extends string>(name: string, help: string, bounds: readonly number[], labelNames: readonly L[], tallies: Iterable<HistogramTally<L>>): string {
  let out = `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} histogram\n`;
  for (const t of tallies) {
    const labels = labelNames.map((l) => `${l}="${labelValue(t.labels[l])}"`).join(',');
    // `le` first, as prom-client writes it
    const rest = labels === '' ? '' : `,${labels}`;
    let total = 0;
    for (let i = 0; i < bounds.length; i++) {
      total += t.counts[i] ?? 0;
      out += `${name}_bucket{le="${bounds[i]}"${rest}} ${total}\n`;
    }
    total += t.counts[bounds.length] ?? 0;
    out += `${name}_bucket{le="+Inf"${rest}} ${total}\n`;
    const own = labels === '' ? '' : `{${labels}}`;
    out += `${name}_sum${own} ${t.sum}\n${name}_count${own} ${total}\n`;
  }
  return out;
}

/** A label value escaped as the exposition format wants it: backslash, double quote and newline. */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** The naming rule, for names that escaped the type (built at run time). */
function check(name: string, counter: boolean): void {
  if (!NAME.test(name)) throw new RangeError(`metric name "${name}" is not a Prometheus name`);
  if (counter !== name.endsWith('_total')) {
    throw new RangeError(counter ? `counter "${name}" must end in _total` : `"${name}" ends in _total, which only a counter's name may`);
  }
}
