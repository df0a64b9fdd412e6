import { DomainError } from './errors.ts';

/** Limits of the login throttle: failures allowed per email and per client address within a window. */
export interface LoginThrottleOptions {
  maxFailuresPerEmail: number;
  /** Higher than per email: offices and NATs share one address. */
  maxFailuresPerIp: number;
  windowMs: number;
  /** Tracked keys before expired ones are swept, bounding memory under a spray of random emails. */
  maxTrackedKeys: number;
  now: () => number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  maxFailuresPerEmail: 10,
  maxFailuresPerIp: 100,
  windowMs: 15 * 60 * 1000,
  maxTrackedKeys: 50_000,
  now: Date.now,
};

/**
 * Counts failed admin logins per email and per IP in a sliding window and refuses further attempts
 * (429 with Retry-After) once either is over its limit — a correct password included, so a guesser
 * learns nothing while locked out. In memory: each instance throttles on its own, which bounds a
 * guesser to (instances × limit) tries per window.
 */
export class LoginRateLimiter {
  private readonly options: LoginThrottleOptions;
  /** key → timestamps of failures inside the window, oldest first. */
  private readonly failures = new Map<string, number[]>();

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.options = { ...DEFAULT_LOGIN_THROTTLE, ...options };
  }

  /** Throws 429 `rate_limited` when the email or the address has too many recent failures. */
  assertAllowed(email: string, ip: string | null): void {
    const now = this.options.now();
    const waits = [this.retryAfterMs(emailKey(email), this.options.maxFailuresPerEmail, now)];
    if (ip) waits.push(this.retryAfterMs(ipKey(ip), this.options.maxFailuresPerIp, now));
    const waitMs = Math.max(...waits);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new DomainError('rate_limited', `Too many failed login attempts; try again in ${seconds} seconds.`, null, {}, { 'retry-after': String(seconds) });
    }
  }

  recordFailure(email: string, ip: string | null): void {
    const now = this.options.now();
    if (this.failures.size >= this.options.maxTrackedKeys) this.sweep(now);
    this.push(emailKey(email), now);
    if (ip) this.push(ipKey(ip), now);
  }

  /** A successful login clears its email's failures (not the address's: one good account must not reset a spray). */
  recordSuccess(email: string): void {
    this.failures.delete(emailKey(email));
  }

  private push(key: string, now: number): void {
    const list = this.recent(key, now) ?? [];
    list.push(now);
    // Only the newest `max` failures matter for the decision; keep the list bounded.
    const cap = Math.max(this.options.maxFailuresPerEmail, this.options.maxFailuresPerIp);
    if (list.length > cap) list.splice(0, list.length - cap);
    this.failures.set(key, list);
  }

  /** The failures of `key` still inside the window (pruned in place); undefined when none. */
  private recent(key: string, now: number): number[] | undefined {
    const list = this.failures.get(key);
    if (!list) return undefined;
    const cutoff = now - this.options.windowMs;
    const firstLive = list.findIndex((at) => at > cutoff);
    if (firstLive === -1) {
      this.failures.delete(key);
      return undefined;
    }
    if (firstLive > 0) list.splice(0, firstLive);
    return list;
  }

  private retryAfterMs(key: string, max: number, now: number): number {
    const list = this.recent(key, now);
    if (!list || list.length < max) return 0;
    // Allowed again once the failure that put the count at the limit leaves the window.
    const blocking = list[list.length - max]!;
    return blocking + this.options.windowMs - now;
  }

  private sweep(now: number): void {
    for (const key of [...this.failures.keys()]) this.recent(key, now);
    // Still full of live keys (a spray): forget the oldest-inserted half rather than grow without bound.
    if (this.failures.size >= this.options.maxTrackedKeys) {
      let toDrop = Math.ceil(this.failures.size / 2);
      for (const key of this.failures.keys()) {
        if (toDrop-- <= 0) break;
        this.failures.delete(key);
      }
    }
  }
}

const emailKey = (email: string) => `email:${email.trim().toLowerCase()}`;
const ipKey = (ip: string) => `ip:${ip}`;
