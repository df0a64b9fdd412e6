import { HEADERS } from '@saas-llm/protocol';
import { ConnectionError, SaaSLLMError, errorFromResponse } from './errors.ts';
import { RetryPolicy, parseRetryAfter, sleep, type RetryOptions } from './retry-policy.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A WHATWG `fetch`: the global one, undici's, or a test double. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Query parameters; `undefined` and `null` values are left out, arrays repeat the parameter. */
export type QueryParams = Record<string, string | number | boolean | readonly (string | number)[] | null | undefined>;

/** Per-call settings every SDK method accepts as its last argument. */
export interface RequestOptions {
  /** Aborts the request (and any retry wait); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Milliseconds per attempt, overriding the client's `timeout`. */
  timeout?: number;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number;
  /** Extra headers for this call (e.g. `Idempotency-Key`). */
  headers?: Record<string, string>;
}

/** One request as the resource classes describe it. */
export interface TransportRequest extends RequestOptions {
  method: HttpMethod;
  /** Path below the base URL, starting with `/`; segments already encoded (see `pathOf`). */
  path: string;
  query?: QueryParams;
  /** Sent as JSON when defined. */
  body?: unknown;
  /**
   * Whether repeating the request is harmless; decides which failures are retried. Defaults to true for
   * GET, PUT and DELETE and for requests carrying an `Idempotency-Key`, false otherwise.
   */
  idempotent?: boolean;
}

export interface HttpTransportOptions {
  /** The gateway's base URL, e.g. `http://localhost:8003`. */
  baseUrl: string;
  /** Defaults to the global `fetch`, looked up at call time. */
  fetch?: FetchLike;
  /** Milliseconds per attempt until the response is read (until its headers, for `send`). Default 60 s. */
  timeout?: number;
  /** Retries after the first attempt. Default 2. Shorthand for `retry.maxRetries`. */
  maxRetries?: number;
  /** Backoff settings, or a ready policy. */
  retry?: RetryOptions | RetryPolicy;
  /** Headers sent with every request (authentication); a function is called per request. */
  headers?: Record<string, string> | (() => Record<string, string>);
}

/** A parsed JSON body together with the response it came from (for headers such as `x-request-id`). */
export interface TransportResult<T> {
  data: T;
  response: Response;
}

const IDEMPOTENT_METHODS = new Set<HttpMethod>(['GET', 'PUT', 'DELETE']);

/**
 * The SDK's HTTP layer, shared by the admin and tenant clients: JSON in and out, a timeout per attempt,
 * retries by `RetryPolicy`, and every failure turned into a `SaaSLLMError` subclass. Uses only web
 * platform APIs (fetch, AbortController, Headers), so it runs in Node and in browsers.
 */
export class HttpTransport {
  readonly baseUrl: string;
  private readonly fetchImpl: FetchLike | undefined;
  private readonly timeout: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly defaultHeaders: HttpTransportOptions['headers'];

  constructor(options: HttpTransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch;
    this.timeout = options.timeout ?? 60_000;
    this.retryPolicy = options.retry instanceof RetryPolicy
      ? options.retry
      : new RetryPolicy({ ...options.retry, ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }) });
    this.defaultHeaders = options.headers;
  }

  /** Sends `request` and returns its parsed JSON body (`undefined` for an empty body). */
  async request<T>(request: TransportRequest): Promise<T> {
    return (await this.requestWithResponse<T>(request)).data;
  }

  /** Like `request`, and also hands back the `Response` so callers can read its headers. */
  requestWithResponse<T>(request: TransportRequest): Promise<TransportResult<T>> {
    return this.withRetries(request, async (response) => ({ data: (await readJson(response)) as T, response }), false);
  }

  /**
   * Sends `request` and returns the successful `Response` with its body unread, for streaming (SSE).
   * The timeout covers the wait for the headers only; the caller's `signal` keeps aborting the body.
   */
  send(request: TransportRequest): Promise<Response> {
    return this.withRetries(request, async (response) => response, true);
  }

  private async withRetries<T>(request: TransportRequest, read: (response: Response) => Promise<T>, streaming: boolean): Promise<T> {
    const maxRetries = Math.max(0, request.maxRetries ?? this.retryPolicy.maxRetries);
    const idempotent = request.idempotent ?? isIdempotent(request);
    for (let retry = 1; ; retry += 1) {
      try {
        return await this.attempt(request, read, streaming);
      } catch (error) {
        const delay = retry <= maxRetries && !request.signal?.aborted ? this.retryPolicy.delayBeforeRetry(retry, error, idempotent) : null;
        if (delay === null) throw error;
        await sleep(delay, request.signal);
      }
    }
  }

  private async attempt<T>(request: TransportRequest, read: (response: Response) => Promise<T>, streaming: boolean): Promise<T> {
    const callerSignal = request.signal;
    if (callerSignal?.aborted) throw callerSignal.reason;
    const timeoutMs = request.timeout ?? this.timeout;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    let succeeded = false;
    try {
      const response = await this.fetchOnce(request, controller.signal);
      if (!response.ok) {
        throw errorFromResponse({
          status: response.status,
          statusText: response.statusText,
          body: await readErrorBody(response),
          requestId: response.headers.get(HEADERS.requestId),
          retryAfterMs: parseRetryAfter(response.headers),
        });
      }
      const result = await read(response);
      succeeded = true;
      return result;
    } catch (error) {
      if (error instanceof SaaSLLMError) throw error;
      if (timedOut) throw new ConnectionError(`Request timed out after ${timeoutMs} ms (${request.method} ${request.path}).`, { timedOut: true, cause: error });
      if (callerSignal?.aborted) throw callerSignal.reason;
      if (error instanceof TypeError) throw new ConnectionError(`Could not reach ${this.baseUrl}: ${describeNetworkError(error)}`, { timedOut: false, cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
      // A returned stream must stay abortable by the caller; everything else lets go of the signal.
      if (!(streaming && succeeded)) callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  private fetchOnce(request: TransportRequest, signal: AbortSignal): Promise<Response> {
    const headers = new Headers(typeof this.defaultHeaders === 'function' ? this.defaultHeaders() : this.defaultHeaders);
    if (!headers.has('accept')) headers.set('accept', 'application/json');
    const init: RequestInit = { method: request.method, headers, signal };
    if (request.body !== undefined) {
      headers.set('content-type', 'application/json');
      init.body = JSON.stringify(request.body);
    }
    for (const [name, value] of Object.entries(request.headers ?? {})) headers.set(name, value);
    // Looked up per call (and bound): browsers throw "Illegal invocation" on a detached fetch.
    const fetchImpl = this.fetchImpl ?? globalThis.fetch.bind(globalThis);
    return fetchImpl(this.baseUrl + request.path + queryString(request.query), init);
  }
}

/** Joins path segments, percent-encoding each, e.g. `pathOf('api', 'teams', id, 'keys')`. */
export function pathOf(...segments: string[]): string {
  return segments.map((segment) => `/${encodeURIComponent(segment)}`).join('');
}

function queryString(query: QueryParams | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) params.append(name, String(item));
    else params.append(name, String(value));
  }
  const encoded = params.toString();
  return encoded ? `?${encoded}` : '';
}

function isIdempotent(request: TransportRequest): boolean {
  if (IDEMPOTENT_METHODS.has(request.method)) return true;
  return Object.keys(request.headers ?? {}).some((name) => name.toLowerCase() === HEADERS.idempotencyKey);
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SaaSLLMError(`The server answered ${response.status} with a body that is not JSON.`, {
      status: response.status,
      code: 'invalid_response',
      requestId: response.headers.get(HEADERS.requestId),
      body: text.slice(0, 1_000),
      cause: error,
    });
  }
}

/** The error body as JSON when it is JSON, else its text: proxies in front of the gateway answer HTML. */
async function readErrorBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return text;
    throw error;
  }
}

function describeNetworkError(error: TypeError): string {
  // undici hides the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`.
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const causeMessage = typeof cause?.message === 'string' && cause.message !== '' ? cause.message : undefined;
  if (typeof cause?.code === 'string') return causeMessage ? `${cause.code} (${causeMessage})` : cause.code;
  return causeMessage ?? error.message;
}
