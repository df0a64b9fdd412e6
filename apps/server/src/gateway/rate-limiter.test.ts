import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '../domain/errors.ts';
import { RateLimiter } from './rate-limiter.ts';

test('RPM limit refuses the request past the limit with Retry-After and x-ratelimit headers', () => {
  let now = 1_000_000;
  const limiter = new RateLimiter(() => now);
  const scope = [{ id: 'team:a', limits: { rpm: 2, tpm: null, concurrent: null } }];
  limiter.admit(scope, 10).release(10);
  const second = limiter.admit(scope, 10);
  assert.equal(second.headers['x-ratelimit-remaining-requests'], '0');
  second.release(10);
  assert.throws(() => limiter.admit(scope, 10), (error: unknown) => {
    assert.ok(error instanceof DomainError);
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.headers['x-ratelimit-limit-requests'], '2');
    assert.ok(Number(error.headers['retry-after']) >= 1);
    return true;
  });
  now += 2 * 60_000 + 1;
  limiter.admit(scope, 10).release(10);
});

test('TPM limit counts estimates and corrects them with actual usage', () => {
  const now = 5_000_000;
  const limiter = new RateLimiter(() => now);
  const scope = [{ id: 'key:k', limits: { rpm: null, tpm: 100, concurrent: null } }];
  limiter.admit(scope, 90).release(10); // estimate 90, actual 10
  limiter.admit(scope, 80).release(80);
  assert.throws(() => limiter.admit(scope, 20), /tokens per minute/);
});

test('concurrency limit frees a slot on release, once', () => {
  const limiter = new RateLimiter(() => 0);
  const scope = [{ id: 'team:c', limits: { rpm: null, tpm: null, concurrent: 1 } }];
  const first = limiter.admit(scope, 1);
  assert.throws(() => limiter.admit(scope, 1), /in flight/);
  first.release(1);
  first.release(1);
  const again = limiter.admit(scope, 1);
  assert.throws(() => limiter.admit(scope, 1), /in flight/);
  again.release(1);
});

test('TPM: a call admitted just before a minute ends and settled just after corrects the minute it was counted in', () => {
  let now = 60_000 * 100;
  const limiter = new RateLimiter(() => now);
  const scope = [{ id: 'team:t', limits: { rpm: null, tpm: 3_000, concurrent: null } }];
  limiter.admit(scope, 1).release(1); // opens the window at a minute's start
  now += 59_900;
  const ticket = limiter.admit(scope, 2_000);
  now += 300; // settled 0.2 s into the next minute, having used 30 tokens
  ticket.release(30);
  // The previous minute (weighted ~1) now holds 31 tokens, not 2,001: another 2,000-token estimate fits.
  limiter.admit(scope, 2_000).release(30);
  // A correction for a minute already out of the window changes nothing.
  const late = limiter.admit(scope, 500);
  now += 3 * 60_000;
  late.release(0);
  limiter.admit(scope, 2_900).release(0);
});
