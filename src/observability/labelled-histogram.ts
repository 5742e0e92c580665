import type { Registry } from 'prom-client';

/** One label set's series: what an observation touches (no label object, no hashing, no allocation). */
export interface HistogramSeries {
  observe(value: number): void;
}

interface Series extends HistogramSeries {
  labels: Record<string, string>;
  /** Per bucket (not cumulative; the last one is +Inf). */
  counts: Float64Array;
  sum: number;
}

/**
 * A Prometheus histogram for the per-request duration, in prom-client's registry and format (text exposition and
 * the cluster primary's aggregation: `aggregator: 'sum'`), where an observation is a few array writes on a series
 * resolved once per label set. prom-client's Histogram hashes its label object on every observation, which was
 * about a tenth of a kept thumbnail's 304 (bench/README.md). Label values are set by the caller from a small
 * fixed set (method, route template, status class), so the series stay few.
 */
export class LabelledHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The series of one label set, made on first use; keep it and call observe() on it. */
  labels(labels: Record<L, string>): HistogramSeries {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let series = this.series.get(key);
    if (!series) {
      const counts = new Float64Array(this.buckets.length + 1);
      const buckets = this.buckets;
      series = {
        labels: { ...labels },
        counts,
        sum: 0,
        observe(value: number) {
          let i = 0;
          while (i < buckets.length && value > buckets[i]) i++;
          counts[i]++;
          this.sum += value;
        },
      };
      this.series.set(key, series);
    }
    return series;
  }

  /** prom-client's metric interface: the series as cumulative buckets, sum and count. */
  get() {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const { labels, counts, sum } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += counts[i];
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      cumulative += counts[this.buckets.length];
      values.push({ labels: { le: '+Inf', ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: cumulative, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}
