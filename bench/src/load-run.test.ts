import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combinePasses, type MeasuredLoad } from './load-run.ts';

const pass = (overrides: Partial<MeasuredLoad>): MeasuredLoad => ({
  connections: 10, targetRate: null, seconds: 8, ok: 8000, non2xx: 0, errors: 0, timeouts: 0, rps: 1000,
  latencyMs: { p50: 9, p90: 12, p99: 20, max: 40, mean: 10 }, statusCodes: { 200: 8000 }, cpuUsPerRequest: 900, ...overrides,
});

test('two passes of a row: requests/s and CPU per request over both, latency mean p50 and highest tail', () => {
  const fast = pass({});
  const slow = pass({ seconds: 8, ok: 4000, rps: 500, cpuUsPerRequest: 1500, latencyMs: { p50: 19, p90: 30, p99: 50, max: 90, mean: 20 }, statusCodes: { 200: 4000, 429: 10 }, non2xx: 10 });
  const combined = combinePasses([fast, slow]);
  assert.equal(combined.ok, 12_000);
  assert.equal(combined.seconds, 16);
  assert.equal(combined.rps, 750, 'answers over time, not a mean of rates weighted the other way');
  // 8,000 answers at 900 µs and 4,010 at 1,500 µs.
  assert.equal(combined.cpuUsPerRequest, Math.round((8000 * 900 + 4010 * 1500) / 12_010));
  assert.deepEqual(combined.latencyMs, { p50: 14, p90: 30, p99: 50, max: 90, mean: 15 });
  assert.deepEqual(combined.statusCodes, { 200: 12_000, 429: 10 });
  assert.equal(combined.non2xx, 10);
});

test('one pass is returned as it is; none is a bug', () => {
  const only = pass({ rps: 1234 });
  assert.equal(combinePasses([only]), only);
  assert.throws(() => combinePasses([]));
});
