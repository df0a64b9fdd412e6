import { DomainError } from './errors.ts';

/**
 * Throttles clients that keep presenting invalid API keys (key guessing): after `maxFailures` failed
 * authentications from one address within `windowMs`, that address gets 429 before any key is even
 * looked at, until the window moves on. Per instance, in memory; bounded by `maxTrackedAddresses`.
 */
export class AuthFailureThrottle {
  private readonly failures = new Map<string, { count: number; windowStart: number }>();

  constructor(
    private readonly maxFailures = 100,
    private readonly windowMs = 60_000,
    private readonly maxTrackedAddresses = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws 429 `rate_limited` when `address` is over its failure budget. */
  assertAllowed(address: string): void {
    const entry = this.failures.get(address);
    if (!entry) return;
    const now = this.now();
    if (now - entry.windowStart >= this.windowMs) {
      this.failures.delete(address);
      return;
    }
    if (entry.count >= this.maxFailures) {
      const seconds = Math.max(1, Math.ceil((entry.windowStart + this.windowMs - now) / 1000));
      throw new DomainError('rate_limited', `Too many requests with invalid API keys from this address; retry in ${seconds} seconds.`, null, {}, { 'retry-after': String(seconds) });
    }
  }

  recordFailure(address: string): void {
    const now = this.now();
    const entry = this.failures.get(address);
    if (entry && now - entry.windowStart < this.windowMs) {
      entry.count += 1;
      return;
    }
    if (this.failures.size >= this.maxTrackedAddresses) this.failures.clear();
    this.failures.set(address, { count: 1, windowStart: now });
  }
}
