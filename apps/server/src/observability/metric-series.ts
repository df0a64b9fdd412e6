import type { Metric, Registry } from 'prom-client';

/*
 * Labelled counters and histograms for the per-request metrics. prom-client hashes and validates the label
 * object, allocates a closure and turns the bucket bound into a property name on every observation (tens of
 * microseconds per request on a busy event loop); here a label set is resolved once to a series that is
 * then updated in place. Both families register in a prom-client `Registry` and export the same values in
 * the same order as prom-client's Counter and Histogram (`metric-series.test.ts` compares the two), so
 * `GET /metrics` is unchanged.
 */

type Labels<L extends string> = Readonly<Record<L, string>>;

/** Series by their label values, one map level per label (no key string is built per observation). */
type SeriesTree<S> = Map<string, SeriesTree<S> | S>;

abstract class SeriesFamily<L extends string, S extends { labels: Labels<L> }> {
  readonly aggregator = 'sum';
  private readonly tree: SeriesTree<S> = new Map();
  /** The last series asked for, by its label values. */
  private lastSeries: S | null = null;
  private lastFirst: string | undefined;
  private lastSecond: string | undefined;
  private lastThird: string | undefined;
  /** Every series in creation order: prom-client exports them in that order. */
  protected readonly all: S[] = [];

  constructor(readonly name: string, readonly help: string, private readonly labelNames: readonly L[], registers: readonly Registry[]) {
    if (labelNames.length < 1 || labelNames.length > 3) throw new Error(`${name}: 1 to 3 labels`);
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of these label values (in label-name order), created (and from then on exported) at its first use. */
  series(first: string, second?: string, third?: string): S {
    // Consecutive observations mostly repeat the labels (one route, one model group): skip the map walk then.
    if (this.lastSeries !== null && first === this.lastFirst && second === this.lastSecond && third === this.lastThird) return this.lastSeries;
    const series = this.find(first, second, third);
    this.lastSeries = series;
    this.lastFirst = first;
    this.lastSecond = second;
    this.lastThird = third;
    return series;
  }

  private find(first: string, second: string | undefined, third: string | undefined): S {
    const depth = this.labelNames.length;
    let level = this.tree;
    if (depth > 1) level = this.branch(level, first);
    if (depth > 2) level = this.branch(level, second!);
    const leaf = depth === 1 ? first : depth === 2 ? second! : third!;
    let series = level.get(leaf) as S | undefined;
    if (series === undefined) {
      const values = [first, second, third];
      const labels = {} as Record<L, string>;
      this.labelNames.forEach((name, index) => { labels[name] = values[index]!; });
      series = this.create(labels);
      level.set(leaf, series);
      this.all.push(series);
    }
    return series;
  }

  reset(): void {
    this.tree.clear();
    this.all.length = 0;
    this.lastSeries = null;
  }

  protected abstract create(labels: Labels<L>): S;

  private branch(level: SeriesTree<S>, value: string): SeriesTree<S> {
    let next = level.get(value) as SeriesTree<S> | undefined;
    if (next === undefined) level.set(value, (next = new Map()));
    return next;
  }
}

export class CounterSeries<L extends string = string> {
  value = 0;
  constructor(readonly labels: Labels<L>) {}

  inc(amount = 1): void {
    // As prom-client: a non-finite amount is a TypeError, a negative one an Error.
    if (amount && !Number.isFinite(amount)) throw new TypeError(`Value is not a valid number: ${amount}`);
    if (amount < 0) throw new Error('It is not possible to decrease a counter');
    this.value += amount;
  }
}

export class CounterFamily<L extends string> extends SeriesFamily<L, CounterSeries<L>> {
  readonly type = 'counter';

  protected create(labels: Labels<L>): CounterSeries<L> {
    return new CounterSeries(labels);
  }

  async get() {
    return { help: this.help, name: this.name, type: this.type, values: this.all.map(({ value, labels }) => ({ value, labels })), aggregator: this.aggregator };
  }
}

export class HistogramSeries<L extends string = string> {
  /** Observations per bucket (not cumulative), as prom-client keeps them. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly labels: Labels<L>, private readonly upperBounds: readonly number[]) {
    this.counts = new Float64Array(upperBounds.length);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.upperBounds;
    for (let index = 0; index < bounds.length; index += 1) {
      if (value <= bounds[index]!) {
        this.counts[index]! += 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

export class HistogramFamily<L extends string> extends SeriesFamily<L, HistogramSeries<L>> {
  readonly type = 'histogram';
  private readonly upperBounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly L[], buckets: readonly number[], registers: readonly Registry[]) {
    super(name, help, labelNames, registers);
    this.upperBounds = Object.freeze([...buckets]);
  }

  protected create(labels: Labels<L>): HistogramSeries<L> {
    return new HistogramSeries(labels, this.upperBounds);
  }

  /** What the registry formats: per series the cumulative buckets, `+Inf`, sum and count (prom-client's layout). */
  async getForPromString() {
    const bucketName = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    for (const series of this.all) {
      const sharedLabels = series.labels as Record<string, string>;
      let cumulative = 0;
      this.upperBounds.forEach((upperBound, index) => {
        cumulative += series.counts[index]!;
        values.push({ labels: { le: upperBound }, sharedLabels, value: cumulative, metricName: bucketName, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels, value: series.count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels, value: series.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels, value: series.count, metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  async get() {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
  }
}
