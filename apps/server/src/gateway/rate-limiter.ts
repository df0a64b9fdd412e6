import { addLimitHeaders, limitExceeded, limitTicket, type LimitScope, type LimitTicket, type RateLimits } from '../domain/rate-limits.ts';

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

/**
 * Corrects the minute the estimate was counted in (`countedIn`, a window start), not the current one: a call
 * admitted just before a minute ends and settled just after would otherwise leave its whole estimate in the
 * previous minute, which the sliding window still weighs. A minute already out of the window is left alone.
 */
function correct(window: Window, countedIn: number, delta: number): void {
  if (window.start === countedIn) window.current = Math.max(0, window.current + delta);
  else if (window.start - MINUTE === countedIn) window.previous = Math.max(0, window.previous + delta);
}

/**
 * Per-team and per-key RPM, TPM and concurrency limits, in process memory (one instance; `RedisRateLimiter`
 * counts them across instances). Sliding one-minute windows.
 */
export class RateLimiter implements RateLimits {
  private readonly requests = new Map<string, Window>();
  private readonly tokens = new Map<string, Window>();
  private readonly concurrent = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  admit(scopes: readonly LimitScope[], estimatedTokens: number): LimitTicket {
    const now = this.now();
    const headers: Record<string, string> = {};
    for (const scope of scopes) {
      const { id, limits } = scope;
      const requests = this.window(this.requests, id, now);
      const tokens = this.window(this.tokens, id, now);
      const usedRequests = windowCount(requests, now);
      const usedTokens = windowCount(tokens, now);
      addLimitHeaders(headers, limits, usedRequests, usedTokens, estimatedTokens);
      if (limits.rpm !== null && usedRequests + 1 > limits.rpm) throw limitExceeded('rpm', scope, retryAfter(requests, now), headers);
      if (limits.tpm !== null && usedTokens + estimatedTokens > limits.tpm) throw limitExceeded('tpm', scope, retryAfter(tokens, now), headers);
      if (limits.concurrent !== null && (this.concurrent.get(id) ?? 0) >= limits.concurrent) throw limitExceeded('concurrent', scope, 1, headers);
    }
    const countedIn: number[] = [];
    for (const { id } of scopes) {
      this.window(this.requests, id, now).current += 1;
      const tokens = this.window(this.tokens, id, now);
      tokens.current += estimatedTokens;
      countedIn.push(tokens.start);
      this.concurrent.set(id, (this.concurrent.get(id) ?? 0) + 1);
    }
    return limitTicket(headers, (actualTokens) => {
      const at = this.now();
      scopes.forEach(({ id }, index) => {
        correct(this.window(this.tokens, id, at), countedIn[index]!, actualTokens - estimatedTokens);
        const inFlight = (this.concurrent.get(id) ?? 1) - 1;
        if (inFlight <= 0) this.concurrent.delete(id);
        else this.concurrent.set(id, inFlight);
      });
    });
  }

  async close(): Promise<void> {}

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
