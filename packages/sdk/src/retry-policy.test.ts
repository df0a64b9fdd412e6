import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RetryPolicy, parseRetryAfter } from './retry-policy.ts';
import { ConnectionError, errorFromResponse } from './errors.ts';

function httpError(status: number, retryAfterMs: number | null = null) {
  return errorFromResponse({ status, body: undefined, requestId: null, retryAfterMs });
}

describe('RetryPolicy', () => {
  const lowest = new RetryPolicy({ initialDelayMs: 100, maxDelayMs: 1_000 }, () => 0);
  const highest = new RetryPolicy({ initialDelayMs: 100, maxDelayMs: 1_000 }, () => 1);

  test('backs off exponentially, with jitter between half and all of the backoff, up to the cap', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((retry) => lowest.delayBeforeRetry(retry, httpError(503), true)), [50, 100, 200, 400, 500]);
    assert.deepEqual([1, 2, 3, 4, 5].map((retry) => highest.delayBeforeRetry(retry, httpError(503), true)), [100, 200, 400, 800, 1_000]);
  });

  test('waits at least the Retry-After the server asked for, whatever the attempt', () => {
    assert.equal(lowest.delayBeforeRetry(1, httpError(429, 2_000), true), 2_000);
    const delay = highest.delayBeforeRetry(3, httpError(429, 2_000), true);
    assert.ok(delay !== null && delay >= 2_000 && delay <= 2_200, `delay ${delay}`);
  });

  test('gives up on a Retry-After longer than maxRetryAfterMs', () => {
    const policy = new RetryPolicy({ maxRetryAfterMs: 10_000 });
    assert.equal(policy.delayBeforeRetry(1, httpError(429, 10_001), true), null);
  });

  test('never retries other 4xx or 500', () => {
    for (const status of [400, 401, 402, 403, 404, 409, 413, 422, 500]) {
      assert.equal(lowest.delayBeforeRetry(1, httpError(status), true), null, `status ${status}`);
    }
  });

  test('repeats a non-idempotent request only when the server proves it did nothing', () => {
    assert.notEqual(lowest.delayBeforeRetry(1, httpError(429), false), null);
    assert.notEqual(lowest.delayBeforeRetry(1, httpError(503), false), null);
    assert.equal(lowest.delayBeforeRetry(1, httpError(502), false), null);
    assert.equal(lowest.delayBeforeRetry(1, httpError(504), false), null);
    assert.equal(lowest.delayBeforeRetry(1, new ConnectionError('timed out', { timedOut: true }), false), null);
    const refused = new ConnectionError('refused', { timedOut: false, cause: new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }) });
    assert.notEqual(lowest.delayBeforeRetry(1, refused, false), null);
  });

  test('retries connection errors of idempotent requests', () => {
    assert.notEqual(lowest.delayBeforeRetry(1, new ConnectionError('reset', { timedOut: false }), true), null);
    assert.notEqual(lowest.delayBeforeRetry(1, new ConnectionError('timed out', { timedOut: true }), true), null);
  });

  test('does not retry errors that are not from a request', () => {
    assert.equal(lowest.delayBeforeRetry(1, new Error('bug'), true), null);
  });
});

describe('parseRetryAfter', () => {
  test('reads seconds, milliseconds and HTTP dates', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '3' })), 3_000);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '3' })), 250);
    const now = Date.parse('2026-11-24T10:00:00Z');
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 24 Nov 2026 10:00:05 GMT' }), now), 5_000);
  });

  test('ignores what it cannot read', () => {
    assert.equal(parseRetryAfter(new Headers()), null);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' })), null);
  });
});
