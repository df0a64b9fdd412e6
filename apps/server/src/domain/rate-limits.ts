import { DomainError } from './errors.ts';

/** The limits of one scope (a team or a key); null = unlimited. */
export interface LimitSpec {
  rpm: number | null;
  tpm: number | null;
  concurrent: number | null;
}

export interface LimitScope {
  /** `team:<id>` or `key:<id>`. */
  id: string;
  limits: LimitSpec;
}

/** A granted admission: report actual tokens and release the concurrency slot when the call ends. */
export interface LimitTicket {
  headers: Record<string, string>;
  /** Corrects the token estimate with the actual usage and frees the concurrency slot. Idempotent. */
  release(actualTokens: number): void;
}

/**
 * Port: per-team and per-key RPM, TPM and concurrency limits (03-domain.md "Limits"), counted in process
 * memory on one instance, in Redis when instances share them. Exceeding one throws `rate_limited` (429)
 * with `Retry-After` and OpenAI-style `x-ratelimit-*` headers.
 */
export interface RateLimits {
  admit(scopes: readonly LimitScope[], estimatedTokens: number): LimitTicket | Promise<LimitTicket>;
  close(): Promise<void>;
}

/** The `x-ratelimit-*` headers of a scope with limits, given what its windows already count. */
export function addLimitHeaders(headers: Record<string, string>, limits: LimitSpec, usedRequests: number, usedTokens: number, estimatedTokens: number): void {
  if (limits.rpm !== null) {
    headers['x-ratelimit-limit-requests'] = String(limits.rpm);
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, Math.floor(limits.rpm - usedRequests - 1)));
  }
  if (limits.tpm !== null) {
    headers['x-ratelimit-limit-tokens'] = String(limits.tpm);
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(limits.tpm - usedTokens - estimatedTokens)));
  }
}

/** The 429 of a scope over one of its limits. */
export function limitExceeded(kind: 'rpm' | 'tpm' | 'concurrent', scope: LimitScope, retryAfterSeconds: number, headers: Record<string, string>): DomainError {
  const reason = kind === 'rpm' ? `${scope.id} exceeded ${scope.limits.rpm} requests per minute`
    : kind === 'tpm' ? `${scope.id} exceeded ${scope.limits.tpm} tokens per minute`
      : `${scope.id} has ${scope.limits.concurrent} calls in flight, its limit`;
  return new DomainError('rate_limited', `Rate limit reached: ${reason}. Retry after ${retryAfterSeconds} s.`, null, {}, { ...headers, 'retry-after': String(retryAfterSeconds) });
}

/** A ticket whose `release` runs once however often it is called. */
export function limitTicket(headers: Record<string, string>, release: (actualTokens: number) => void): LimitTicket {
  let released = false;
  return {
    headers,
    release: (actualTokens: number) => {
      if (released) return;
      released = true;
      release(actualTokens);
    },
  };
}
