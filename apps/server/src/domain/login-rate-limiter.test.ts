import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from './errors.ts';
import { LoginRateLimiter } from './login-rate-limiter.ts';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

function refusal(run: () => void): DomainError | null {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

test('locks an email after its limit, with Retry-After until the oldest counted failure leaves the window', () => {
  const time = clock();
  const limiter = new LoginRateLimiter({ maxFailuresPerEmail: 3, maxFailuresPerIp: 100, windowMs: 60_000, now: time.now });
  for (let index = 0; index < 3; index += 1) {
    assert.equal(refusal(() => limiter.assertAllowed('A@example.com', '10.0.0.1')), null);
    limiter.recordFailure('a@example.com', '10.0.0.1');
    time.advance(10_000);
  }
  const locked = refusal(() => limiter.assertAllowed('a@EXAMPLE.com', '10.0.0.2'));
  assert.equal(locked?.code, 'rate_limited');
  assert.equal(locked?.status, 429);
  // First failure at t0, now t0+30 s: allowed again at t0+60 s.
  assert.equal(locked?.headers['retry-after'], '30');
  assert.equal(refusal(() => limiter.assertAllowed('b@example.com', '10.0.0.1')), null);
  time.advance(30_000);
  assert.equal(refusal(() => limiter.assertAllowed('a@example.com', '10.0.0.1')), null);
});

test('locks an address across emails, and a success clears only the email', () => {
  const time = clock();
  const limiter = new LoginRateLimiter({ maxFailuresPerEmail: 100, maxFailuresPerIp: 4, windowMs: 60_000, now: time.now });
  for (let index = 0; index < 4; index += 1) limiter.recordFailure(`user${index}@example.com`, '10.0.0.9');
  assert.equal(refusal(() => limiter.assertAllowed('fresh@example.com', '10.0.0.9'))?.code, 'rate_limited');
  assert.equal(refusal(() => limiter.assertAllowed('fresh@example.com', '10.0.0.10')), null);
  limiter.recordSuccess('user0@example.com');
  assert.equal(refusal(() => limiter.assertAllowed('fresh@example.com', '10.0.0.9'))?.code, 'rate_limited');
});

test('memory stays bounded under a spray of distinct emails', () => {
  const time = clock();
  const limiter = new LoginRateLimiter({ maxTrackedKeys: 100, windowMs: 60_000, now: time.now });
  for (let index = 0; index < 1000; index += 1) limiter.recordFailure(`spray${index}@example.com`, null);
  const tracked = (limiter as unknown as { failures: Map<string, number[]> }).failures.size;
  assert.ok(tracked <= 100, `tracked ${tracked}`);
});
