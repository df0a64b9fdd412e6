import { ConnectionError, SaaSLLMError } from './errors.ts';

/** How hard the SDK tries again after a transient failure. */
export interface RetryOptions {
  /** Retries after the first attempt (0 disables retrying). Default 2. */
  maxRetries?: number;
  /** Backoff before the first retry; doubled for each further one. Default 500 ms. */
  initialDelayMs?: number;
  /** Upper bound of the exponential backoff. Default 8 s. */
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` the SDK waits out by itself. A server asking for longer is answered by
   * throwing at once, so the caller decides instead of hanging. Default 60 s.
   */
  maxRetryAfterMs?: number;
}

/** Statuses that mean "try again later" rather than "your request is wrong". */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Statuses whose response proves the server did not act on the request, so even a non-idempotent
 * request (e.g. adding credits) can be sent again without doing the work twice.
 */
const NOT_PROCESSED_STATUSES = new Set([429, 503]);

/** Network error codes (Node/undici) raised before the request left the machine. */
const NOT_SENT_CAUSES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Decides whether and when to retry: exponential backoff with jitter on 429, 502, 503, 504 and
 * connection errors, honouring `Retry-After`, never on other 4xx. A request that is not idempotent
 * (POST/PATCH without an idempotency key) is retried only when the failure proves it was not processed:
 * repeating a timed-out "add 100 credits" could add them twice.
 */
export class RetryPolicy {
  readonly maxRetries: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;

  /** `random` is injectable so tests can pin the jitter. */
  constructor(options: RetryOptions = {}, random: () => number = Math.random) {
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries ?? 2));
    this.initialDelayMs = options.initialDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 8_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.random = random;
  }

  /**
   * The delay in ms before retry number `retry` (1 = the first retry) after `error`, or `null` when the
   * error must be thrown instead. Counting retries against `maxRetries` is the caller's job, because a
   * single request may override it.
   */
  delayBeforeRetry(retry: number, error: unknown, idempotent: boolean): number | null {
    if (!isRetryable(error, idempotent)) return null;
    const retryAfterMs = error instanceof SaaSLLMError ? error.retryAfterMs : null;
    if (retryAfterMs !== null) {
      if (retryAfterMs > this.maxRetryAfterMs) return null;
      // Never earlier than asked; a little later, so clients told the same time do not return together.
      return retryAfterMs + this.random() * Math.min(1_000, retryAfterMs * 0.1);
    }
    const backoff = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (retry - 1));
    // "Equal jitter": at least half the backoff, so retries still back off, spread over the other half.
    return backoff / 2 + this.random() * (backoff / 2);
  }
}

function isRetryable(error: unknown, idempotent: boolean): boolean {
  if (error instanceof ConnectionError) return idempotent || wasNotSent(error);
  if (!(error instanceof SaaSLLMError) || error.status === undefined) return false;
  if (!RETRYABLE_STATUSES.has(error.status)) return false;
  return idempotent || NOT_PROCESSED_STATUSES.has(error.status);
}

function wasNotSent(error: ConnectionError): boolean {
  if (error.timedOut) return false;
  const cause = error.cause as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = cause?.code ?? cause?.cause?.code;
  return typeof code === 'string' && NOT_SENT_CAUSES.has(code);
}

/**
 * Parses `retry-after-ms` (milliseconds) or `Retry-After` (seconds, or an HTTP date) into a delay in ms.
 * `now` is injectable for tests.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | null {
  const milliseconds = headers.get('retry-after-ms');
  if (milliseconds !== null && /^\d+(\.\d+)?$/.test(milliseconds.trim())) return Number(milliseconds);
  const value = headers.get('retry-after')?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1_000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Waits `ms`, or rejects with the signal's reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
