import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { LabelledHistogram } from './labelled-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: Array<[Record<'method' | 'route', string>, number]> = [
  [{ method: 'GET', route: '/a' }, 0.0005],
  [{ method: 'GET', route: '/a' }, 0.01], // on a bound: that bucket, as prom-client
  [{ method: 'GET', route: '/a' }, 3], // past the last bound: +Inf only
  [{ method: 'POST', route: '/b' }, 0.05],
];

function both() {
  const ours = new Registry();
  const theirs = new Registry();
  const fast = new LabelledHistogram('d_seconds', 'help', ['method', 'route'], BUCKETS, ours);
  const reference = new Histogram({
    name: 'd_seconds',
    help: 'help',
    labelNames: ['method', 'route'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  for (const [labels, value] of OBSERVED) {
    fast.labels(labels).observe(value);
    reference.labels(labels).observe(value);
  }
  return { ours, theirs };
}

describe('LabelledHistogram', () => {
  it('exposes exactly what prom-client’s Histogram exposes for the same observations', async () => {
    const { ours, theirs } = both();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('adds up across cluster workers as prom-client’s does', async () => {
    const { ours, theirs } = both();
    const json = async (r: Registry) => r.getMetricsAsJSON();
    const aggregated = async (r: Registry) => AggregatorRegistry.aggregate([await json(r), await json(r)]).metrics();
    expect(await aggregated(ours)).toBe(await aggregated(theirs));
  });
});
