import { UpstreamError } from '@saas-llm/providers';
import type { AttemptRecord } from '../domain/calls.ts';
import type { ResolvedCandidate as CallCandidate } from '../domain/model-resolution.ts';
import type { CooldownTracker } from './cooldowns.ts';
import { allCandidatesFailed, upstreamFailureToDomainError } from './upstream-failures.ts';

/** A Retry-After longer than this is not waited for: the next candidate is tried instead. */
const MAX_RETRY_WAIT_MS = 10_000;

export interface FallbackOptions<T> {
  modelName: string;
  candidates: readonly CallCandidate[];
  numRetries: number;
  retryBackoffMs: number;
  signal: AbortSignal;
  cooldowns: CooldownTracker;
  /** Every attempt made, in order (recorded under the call, successful or not). */
  attempts: AttemptRecord[];
  /** One try of one candidate; throws an UpstreamError on failure. */
  attempt: (candidate: CallCandidate, attemptNumber: number) => Promise<T>;
  random?: () => number;
}

/**
 * Tries candidates in order (03-domain.md, "Resolution of a call" 3–5): retries the same deployment with
 * exponential backoff and jitter honouring Retry-After, falls back to the next one on connection errors,
 * timeouts, 408/409/429/5xx and overload — and on a context-window error only when a larger candidate
 * remains — never on the tenant's own 4xx. Every attempt is recorded; failures feed the cooldowns.
 * Throws a DomainError when the call cannot be served (or an UpstreamError of kind `cancelled`).
 */
export async function callWithFallback<T>(options: FallbackOptions<T>): Promise<{ value: T; candidate: CallCandidate }> {
  const random = options.random ?? Math.random;
  let lastError: UpstreamError | null = null;
  let candidatesTried = 0;
  for (let index = 0; index < options.candidates.length; index += 1) {
    const candidate = options.candidates[index]!;
    candidatesTried += 1;
    for (let retry = 0; retry <= options.numRetries; retry += 1) {
      throwIfCancelled(options.signal);
      const startedAt = new Date();
      const started = performance.now();
      const attemptNumber = options.attempts.length + 1;
      try {
        const value = await options.attempt(candidate, attemptNumber);
        options.attempts.push(record(attemptNumber, candidate, 'succeeded', started, startedAt, null));
        options.cooldowns.recordSuccess(candidate.alias);
        return { value, candidate };
      } catch (caught) {
        const error = caught instanceof UpstreamError ? caught : new UpstreamError('protocol', 'The upstream adapter failed unexpectedly.', { cause: caught });
        const cancelled = error.kind === 'cancelled' || options.signal.aborted;
        options.attempts.push(record(attemptNumber, candidate, cancelled ? 'cancelled' : 'failed', started, startedAt, error));
        if (cancelled) throw new UpstreamError('cancelled', 'The call was cancelled.', { cause: error });
        lastError = error;
        if (error.kind === 'context_window') {
          if (hasLargerCandidate(options.candidates, index)) break;
          throw upstreamFailureToDomainError(error, options.modelName);
        }
        if (!error.shouldFallback) throw upstreamFailureToDomainError(error, options.modelName);
        options.cooldowns.recordFailure(candidate.alias);
        // A deployment that has just entered its cooldown is not retried: the next candidate is.
        if (!error.isRetryable || retry === options.numRetries || options.cooldowns.isCoolingDown(candidate.alias)) break;
        const wait = error.retryAfterMs ?? backoff(options.retryBackoffMs, retry, random);
        if (wait > MAX_RETRY_WAIT_MS) break;
        await sleep(wait, options.signal);
      }
    }
  }
  throw allCandidatesFailed(options.modelName, lastError, candidatesTried);
}

function hasLargerCandidate(candidates: readonly CallCandidate[], index: number): boolean {
  const current = candidates[index]!.contextWindow;
  // Only a window known to be larger can help; an unknown one is as likely to fail the same way.
  return current !== null && candidates.slice(index + 1).some((next) => next.contextWindow !== null && next.contextWindow > current);
}

/** base × 2^retry, ±25 % jitter. */
export function backoff(baseMs: number, retry: number, random: () => number): number {
  const exponential = baseMs * 2 ** retry;
  return Math.round(exponential * (0.75 + random() * 0.5));
}

function record(attemptNumber: number, candidate: CallCandidate, status: AttemptRecord['status'], started: number, startedAt: Date, error: UpstreamError | null): AttemptRecord {
  const durationMs = performance.now() - started;
  return {
    attemptNumber,
    deploymentAlias: candidate.alias,
    provider: candidate.target.provider,
    status,
    httpStatus: error ? error.upstreamStatus : 200,
    errorClass: error ? error.kind : null,
    errorMessage: error ? error.message : null,
    latencyMs: Math.round(durationMs),
    durationMs,
    startedAt,
  };
}

function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new UpstreamError('cancelled', 'The call was cancelled.');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
