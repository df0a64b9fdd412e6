import { DomainError } from '../domain/errors.ts';

/** The limits of one scope (a team or a key); null = unlimited. */
export interface LimitSpec {
  rpm: number | null;
  tpm: number | null;
  concurrent: number | null;
}

interface Window {
  start: number;
  current: number;
  previous: number;
}

const MINUTE = 60_000;

/** A sliding-window counter: the previous minute weighted by how much of it still overlaps (window already rolled). */
function windowCount(window: Window, now: number): number {
  const elapsed = Math.min(MINUTE, Math.max(0, now - window.start));
  return window.current + window.previous * ((MINUTE - elapsed) / MINUTE);
}

function roll(window: Window, now: number): void {
  const elapsed = now - window.start;
  if (elapsed >= 2 * MINUTE) { window.start = now; window.previous = 0; window.current = 0; }
  else if (elapsed >= MINUTE) { window.previous = window.current; window.current = 0; window.start += MINUTE; }
}

/** A granted admission: report actual tokens and release the concurrency slot when the call ends. */
export interface LimitTicket {
  headers: Record<string, string>;
  /** Corrects the token estimate with the actual usage and frees the concurrency slot. Idempotent. */
  release(actualTokens: number): void;
}

/**
 * Per-team and per-key RPM, TPM and concurrency limits, in process memory (one instance). Exceeding one
 * is 429 `rate_limited` with `Retry-After` and OpenAI-style `x-ratelimit-*` headers.
 */
export class RateLimiter {
  private readonly requests = new Map<string, Window>();
  private readonly tokens = new Map<string, Window>();
  private readonly concurrent = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  admit(scopes: ReadonlyArray<{ id: string; limits: LimitSpec }>, estimatedTokens: number): LimitTicket {
    const now = this.now();
    const headers: Record<string, string> = {};
    for (const { id, limits } of scopes) {
      const requests = this.window(this.requests, id, now);
      const tokens = this.window(this.tokens, id, now);
      const usedRequests = windowCount(requests, now);
      const usedTokens = windowCount(tokens, now);
      if (limits.rpm !== null) {
        headers['x-ratelimit-limit-requests'] = String(limits.rpm);
        headers['x-ratelimit-remaining-requests'] = String(Math.max(0, Math.floor(limits.rpm - usedRequests - 1)));
        if (usedRequests + 1 > limits.rpm) throw limited(`${id} exceeded ${limits.rpm} requests per minute`, retryAfter(requests, now), headers);
      }
      if (limits.tpm !== null) {
        headers['x-ratelimit-limit-tokens'] = String(limits.tpm);
        headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(limits.tpm - usedTokens - estimatedTokens)));
        if (usedTokens + estimatedTokens > limits.tpm) throw limited(`${id} exceeded ${limits.tpm} tokens per minute`, retryAfter(tokens, now), headers);
      }
      if (limits.concurrent !== null && (this.concurrent.get(id) ?? 0) >= limits.concurrent) {
        throw limited(`${id} has ${limits.concurrent} calls in flight, its limit`, 1, headers);
      }
    }
    for (const { id } of scopes) {
      this.window(this.requests, id, now).current += 1;
      this.window(this.tokens, id, now).current += estimatedTokens;
      this.concurrent.set(id, (this.concurrent.get(id) ?? 0) + 1);
    }
    let released = false;
    return {
      headers,
      release: (actualTokens: number) => {
        if (released) return;
        released = true;
        const at = this.now();
        for (const { id } of scopes) {
          const tokens = this.window(this.tokens, id, at);
          tokens.current = Math.max(0, tokens.current + actualTokens - estimatedTokens);
          const inFlight = (this.concurrent.get(id) ?? 1) - 1;
          if (inFlight <= 0) this.concurrent.delete(id);
          else this.concurrent.set(id, inFlight);
        }
      },
    };
  }

  private window(map: Map<string, Window>, id: string, now: number): Window {
    let window = map.get(id);
    if (!window) {
      window = { start: now, current: 0, previous: 0 };
      map.set(id, window);
    }
    roll(window, now);
    return window;
  }
}

function retryAfter(window: Window, now: number): number {
  return Math.max(1, Math.ceil((window.start + MINUTE - now) / 1000));
}

function limited(message: string, retryAfterSeconds: number, headers: Record<string, string>): DomainError {
  return new DomainError('rate_limited', `Rate limit reached: ${message}. Retry after ${retryAfterSeconds} s.`, null, {}, { ...headers, 'retry-after': String(retryAfterSeconds) });
}
