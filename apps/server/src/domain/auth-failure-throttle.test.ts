import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthFailureThrottle } from './auth-failure-throttle.ts';
import { DomainError } from './errors.ts';

test('an address over its failure budget gets 429 until the window moves on; others are unaffected', () => {
  let now = 0;
  const throttle = new AuthFailureThrottle(3, 60_000, 100, () => now);
  for (let index = 0; index < 3; index += 1) {
    throttle.assertAllowed('10.0.0.1');
    throttle.recordFailure('10.0.0.1');
  }
  assert.throws(() => throttle.assertAllowed('10.0.0.1'), (error: unknown) => error instanceof DomainError && error.code === 'rate_limited' && error.headers['retry-after'] === '60');
  throttle.assertAllowed('10.0.0.2');
  now = 60_000;
  throttle.assertAllowed('10.0.0.1');
});
