import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { CounterFamily, HistogramFamily } from './metric-series.ts';

const BUCKETS = [0.001, 0.0025, 0.01, 0.5, 1, 120];
const LABELS = ['method', 'route', 'status'] as const;
type Label = (typeof LABELS)[number];

const operation = fc.record({
  family: fc.constantFrom('counter', 'histogram', 'counter2', 'histogram1'),
  labels: fc.record({ method: fc.constantFrom('GET', 'POST'), route: fc.constantFrom('/api/jobs/:job_id/llm-call', '/v1/chat/completions', 'unmatched', 'a "quoted\\ \nroute'), status: fc.constantFrom('200', '404', '500') }),
  value: fc.oneof(fc.constantFrom(0, 0.001, 0.0025, 0.003, 1, 120, 121, 1e9), fc.double({ min: 0, max: 200, noNaN: true })),
});

function pair() {
  const reference = new Registry();
  const ours = new Registry();
  return {
    reference, ours,
    prom: {
      counter: new Counter({ name: 'test_requests_total', help: 'Requests', labelNames: [...LABELS], registers: [reference] }),
      histogram: new Histogram({ name: 'test_request_seconds', help: 'Latency', labelNames: [...LABELS], buckets: BUCKETS, registers: [reference] }),
      counter2: new Counter({ name: 'test_tokens_total', help: 'Tokens', labelNames: ['route', 'status'], registers: [reference] }),
      histogram1: new Histogram({ name: 'test_overhead_seconds', help: 'Overhead', labelNames: ['route'], buckets: BUCKETS, registers: [reference] }),
    },
    series: {
      counter: new CounterFamily<Label>('test_requests_total', 'Requests', LABELS, [ours]),
      histogram: new HistogramFamily<Label>('test_request_seconds', 'Latency', LABELS, BUCKETS, [ours]),
      counter2: new CounterFamily<'route' | 'status'>('test_tokens_total', 'Tokens', ['route', 'status'], [ours]),
      histogram1: new HistogramFamily<'route'>('test_overhead_seconds', 'Overhead', ['route'], BUCKETS, [ours]),
    },
  };
}

describe('metric series', () => {
  it('export exactly what prom-client Counter and Histogram export for the same observations', async () => {
    await fc.assert(fc.asyncProperty(fc.array(operation, { maxLength: 40 }), async (operations) => {
      const { reference, ours, prom, series } = pair();
      for (const { family, labels, value } of operations) {
        const { method, route, status } = labels;
        if (family === 'histogram') {
          prom.histogram.observe({ method, route, status }, value);
          series.histogram.series(method, route, status).observe(value);
        } else if (family === 'counter') {
          prom.counter.inc({ method, route, status }, value);
          series.counter.series(method, route, status).inc(value);
        } else if (family === 'counter2') {
          prom.counter2.inc({ route, status }, value);
          series.counter2.series(route, status).inc(value);
        } else {
          prom.histogram1.observe({ route }, value);
          series.histogram1.series(route).observe(value);
        }
      }
      assert.equal(await ours.metrics(), await reference.metrics());
      assert.deepEqual(await ours.getMetricsAsJSON(), await reference.getMetricsAsJSON());
    }), { numRuns: 300 });
  });

  it('refuse what prom-client refuses', () => {
    const { prom, series } = pair();
    const labels = { method: 'GET', route: '/', status: '200' };
    assert.throws(() => prom.counter.inc(labels, -1), /decrease/);
    assert.throws(() => series.counter.series('GET', '/', '200').inc(-1), /decrease/);
    assert.throws(() => prom.counter.inc(labels, Infinity), TypeError);
    assert.throws(() => series.counter.series('GET', '/', '200').inc(Infinity), TypeError);
    assert.throws(() => prom.histogram.observe(labels, Number.NaN), TypeError);
    assert.throws(() => series.histogram.series('GET', '/', '200').observe(Number.NaN), TypeError);
  });

  it('start over after a registry reset', async () => {
    const { reference, ours, prom, series } = pair();
    const labels = { method: 'GET', route: '/', status: '200' };
    prom.counter.inc(labels);
    series.counter.series('GET', '/', '200').inc();
    reference.resetMetrics();
    ours.resetMetrics();
    assert.equal(await ours.metrics(), await reference.metrics());
    prom.counter.inc(labels, 2);
    series.counter.series('GET', '/', '200').inc(2);
    assert.equal(await ours.metrics(), await reference.metrics());
  });
});
