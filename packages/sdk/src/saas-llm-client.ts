import type { z } from 'zod';
import { HEADERS, chatCompletionSchema } from '@saas-llm/protocol';
import { ChatStream } from './chat-stream.ts';
import type {
  CallRecord, ChatParams, ClosedJob, CompleteJobParams, CreateJobParams, CreatedJob, JobCostBreakdown, JobDetail, LlmCallResponse,
} from './client-types.ts';
import { SaaSLLMError } from './errors.ts';
import { HttpTransport, pathOf, type FetchLike, type RequestOptions } from './http-transport.ts';
import { JobHandle } from './job-handle.ts';
import type { RetryOptions } from './retry-policy.ts';
import { runStructuredOutput, streamStructuredOutput } from './structured-output-runner.ts';
import type { StructuredOutputParams, StructuredStreamEvent } from './structured-output.ts';
import { TeamReads } from './team-reads.ts';

/** Options of `SaaSLLMClient`. */
export interface SaaSLLMClientOptions {
  /** The gateway's base URL, e.g. `http://localhost:8003`. */
  apiUrl: string;
  /** The team's virtual key (`sk-…`), sent as `Authorization: Bearer`. */
  virtualKey: string;
  /** The key's team, e.g. `team-alpha`: sent with new jobs and used by the team reads. */
  teamId: string;
  /** Milliseconds per attempt (for streams: until the response starts). Default 120 s, as the seed client. */
  timeout?: number;
  /** A WHATWG `fetch`; defaults to the global one (Node 18+, browsers). */
  fetch?: FetchLike;
  /** Retries of 429, 502, 503, 504 and connection failures, with backoff and `Retry-After`. Default 2. */
  maxRetries?: number;
  /** Backoff settings beyond `maxRetries`. */
  retry?: RetryOptions;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

/** `createJob` options besides the per-request ones. */
export interface CreateJobOptions extends RequestOptions {
  /** Sent as `Idempotency-Key`: the same key within 24 h returns the same job, so retries are safe. */
  idempotencyKey?: string;
}

const ERROR_MESSAGE_LIMIT = 10_000;

/**
 * The tenant's typed client for the SaaS LLM gateway (02-client-api.md): jobs, chat calls, streaming,
 * Instructor-style structured outputs validated by zod, and the team's own reads (balance, usage, jobs,
 * model groups). Runs in Node 18+ and in browsers (fetch and web streams only).
 *
 * Like the seed's Python client it remembers the job `createJob` opened last (`currentJobId`), so calls
 * may omit `jobId`; code that runs several jobs at once should pass `jobId` or use `withJob`.
 *
 * Failures throw `SaaSLLMError` subclasses (`AuthenticationError`, `InsufficientCreditsError`,
 * `RateLimitError`, …) carrying the server's message and code; 429, 502, 503 and 504 are retried first
 * with exponential backoff, honouring `Retry-After` (a POST only when the answer proves the server did
 * not act on it); other 4xx never are.
 */
export class SaaSLLMClient extends TeamReads {
  /** The gateway's base URL. */
  readonly apiUrl: string;
  /** The job the last `createJob` opened, until `completeJob`/`cancelJob` closes it. */
  currentJobId: string | null = null;

  constructor(options: SaaSLLMClientOptions) {
    const http = new HttpTransport({
      baseUrl: options.apiUrl,
      headers: { ...options.headers, authorization: `Bearer ${options.virtualKey}` },
      timeout: options.timeout ?? 120_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      retry: { ...options.retry, ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }) },
    });
    super(http, options.teamId);
    this.apiUrl = http.baseUrl;
  }

  // ---------- jobs ----------

  /**
   * Opens a job (`POST /api/jobs/create`) and makes it the current job. Pass the job type, or the whole
   * body (`job_type`, `metadata`, `user_id`, and the limits `max_cost_usd`, `max_calls`, `ttl_seconds`).
   * Throws `InsufficientCreditsError` when the team cannot afford another job.
   */
  async createJob(params: CreateJobParams | string, options: CreateJobOptions = {}): Promise<CreatedJob> {
    const job = await this.openJob(params, options);
    this.currentJobId = job.job_id;
    return job;
  }

  /** The job (default: the current one) with its live totals. `GET /api/jobs/{id}` */
  getJob(jobId?: string, options?: RequestOptions): Promise<JobDetail> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'jobs', this.jobIdOf(jobId)) });
  }

  /** Shallow-merges `metadata` into the job's metadata; returns the merged object. `PATCH /api/jobs/{id}/metadata` */
  updateJobMetadata(jobId: string, metadata: Record<string, unknown>, options?: RequestOptions): Promise<{ job_id: string; metadata: Record<string, unknown> }> {
    // A shallow merge of the same values is idempotent, so it may be retried like a PUT.
    return this.http.request({ ...options, method: 'PATCH', path: pathOf('api', 'jobs', jobId, 'metadata'), body: { metadata }, idempotent: true });
  }

  /** The job's cost, call by call. `GET /api/jobs/{id}/costs` */
  getJobCosts(jobId?: string, options?: RequestOptions): Promise<JobCostBreakdown> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'jobs', this.jobIdOf(jobId), 'costs') });
  }

  /** One call with its status, usage, cost and (if the team keeps them) bodies. `GET /api/jobs/{id}/calls/{call_id}` */
  getCall(jobId: string, callId: string, options?: RequestOptions): Promise<CallRecord> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'jobs', jobId, 'calls', callId) });
  }

  /**
   * Closes a job (default: the current one) as `completed` (the default), `failed` or `cancelled`, with an
   * optional `result`, `metadata` and `error_message`, and returns what it cost. Idempotent on the server:
   * repeating the same status returns the same answer and never charges twice, so it is retried freely.
   */
  async completeJob(params: CompleteJobParams = {}, options?: RequestOptions): Promise<ClosedJob> {
    const { jobId, ...body } = params;
    const id = this.jobIdOf(jobId);
    const closed = await this.http.request<ClosedJob>({
      ...options, method: 'POST', path: pathOf('api', 'jobs', id, 'complete'), body: { status: 'completed', ...body }, idempotent: true,
    });
    if (this.currentJobId === id) this.currentJobId = null;
    return closed;
  }

  /**
   * The kill switch: aborts every call of the job still in flight, closes it as `cancelled` and releases
   * its reserved credits. `POST /api/jobs/{id}/cancel`
   */
  async cancelJob(jobId?: string, reason?: string, options?: RequestOptions): Promise<ClosedJob> {
    const id = this.jobIdOf(jobId);
    const closed = await this.http.request<ClosedJob>({
      ...options, method: 'POST', path: pathOf('api', 'jobs', id, 'cancel'), body: reason === undefined ? {} : { reason }, idempotent: true,
    });
    if (this.currentJobId === id) this.currentJobId = null;
    return closed;
  }

  /**
   * Runs `fn` inside a new job and always closes it: `completed` when `fn` returns (its return value is
   * stored as the job's `result`: a plain object as it is, another value as `{ value }`), `failed` with the
   * error's message when `fn`
   * throws, `cancelled` when it throws an `AbortError`. The error is rethrown; if closing fails too, an
   * `AggregateError` holds both. `fn` gets a `JobHandle` whose calls all go to this job; the client's
   * `currentJobId` is left alone, so `withJob` calls may run concurrently.
   */
  async withJob<T>(job: CreateJobParams | string, fn: (job: JobHandle) => Promise<T> | T, options?: RequestOptions): Promise<T> {
    const created = await this.openJob(job, options ?? {});
    // Closing must happen even when the caller's signal aborted the work, so it does not carry that signal.
    const { signal, ...closeOptions } = options ?? {};
    void signal;
    const handle = new JobHandle(this, created);
    let value: T;
    try {
      value = await fn(handle);
    } catch (error) {
      try {
        if (isAbortError(error)) await this.cancelJob(created.job_id, describe(error), closeOptions);
        else await this.completeJob({ jobId: created.job_id, status: 'failed', error_message: describe(error) }, closeOptions);
      } catch (closeError) {
        throw new AggregateError([error, closeError], `The job function failed and closing job ${created.job_id} failed too.`);
      }
      throw error;
    }
    const result = resultOf(value);
    await this.completeJob({ jobId: created.job_id, status: 'completed', ...(result === undefined ? {} : { result }) }, closeOptions);
    return value;
  }

  // ---------- calls ----------

  /**
   * One non-streaming LLM call in a job (`POST /api/jobs/{id}/llm-call`): every OpenAI chat parameter,
   * the model group as `model_group`, and `purpose` for tracking. Returns the OpenAI `chat.completion`
   * with `call_id`, `job_id` and `metadata` (latency, attempts, cost).
   */
  async chat(params: ChatParams, options?: RequestOptions): Promise<LlmCallResponse> {
    const { jobId, stream, ...body } = params;
    void stream; // this method answers JSON; chatStream is the streaming one
    const { data, response } = await this.http.requestWithResponse<unknown>({
      ...options, method: 'POST', path: pathOf('api', 'jobs', this.jobIdOf(jobId), 'llm-call'), body,
    });
    const parsed = chatCompletionSchema.safeParse(data);
    if (!parsed.success) {
      throw new SaaSLLMError(`The gateway answered with something that is not a chat.completion: ${parsed.error.message}`, {
        status: response.status, code: 'invalid_response', requestId: response.headers.get(HEADERS.requestId), body: data, cause: parsed.error,
      });
    }
    return parsed.data as LlmCallResponse;
  }

  /**
   * One streaming LLM call in a job (`POST /api/jobs/{id}/llm-call-stream`), same parameters as `chat`.
   * Returns a `ChatStream`: iterate it with `for await` to get each `chat.completion.chunk` the moment it
   * arrives. `break`, `options.signal` or `stream.abort()` closes the connection, and the gateway cancels
   * the upstream call. Errors (402, 429, …) are thrown by the loop, on its first step.
   */
  chatStream(params: ChatParams, options: RequestOptions = {}): ChatStream {
    const { jobId, stream, ...body } = params;
    void stream;
    const path = pathOf('api', 'jobs', this.jobIdOf(jobId), 'llm-call-stream');
    const { signal, ...requestOptions } = options;
    return new ChatStream((streamSignal) => this.http.send({
      ...requestOptions, method: 'POST', path, body, signal: streamSignal,
      headers: { ...requestOptions.headers, accept: 'text/event-stream' },
    }), signal);
  }

  /**
   * Instructor-style structured output: sends `responseModel` (a zod 4 schema) as the `json_schema`
   * response format, validates the answer with it and returns the typed value. An answer that fails
   * validation is sent back with the errors ("re-ask") up to `maxRetries` times (default 2); each
   * attempt is a call of the job, billed as such. Throws `StructuredOutputError` when every attempt fails.
   */
  structuredOutput<Schema extends z.ZodType>(params: StructuredOutputParams<Schema>, options?: RequestOptions): Promise<z.output<Schema>> {
    const jobId = this.jobIdOf(params.jobId);
    return runStructuredOutput((call) => this.chat({ ...call, jobId }, options), params);
  }

  /**
   * Streams a structured output: yields `{type: 'partial', partial, delta}` per chunk with the object
   * parsed so far (a tolerant partial-JSON parse, typed `DeepPartial`), `{type: 'retry', issues}` when
   * the model is re-asked after a failed validation, and finally `{type: 'final', value}` — validated by
   * `responseModel`. Leaving the loop cancels the call in flight.
   */
  structuredOutputStream<Schema extends z.ZodType>(
    params: StructuredOutputParams<Schema>, options?: RequestOptions,
  ): AsyncGenerator<StructuredStreamEvent<z.output<Schema>>, void, undefined> {
    const jobId = this.jobIdOf(params.jobId);
    return streamStructuredOutput((call) => this.chatStream({ ...call, jobId }, options), params);
  }

  // ---------- helpers ----------

  private openJob(params: CreateJobParams | string, options: CreateJobOptions): Promise<CreatedJob> {
    const { idempotencyKey, ...requestOptions } = options;
    const body = typeof params === 'string' ? { job_type: params } : params;
    return this.http.request<CreatedJob>({
      ...requestOptions, method: 'POST', path: '/api/jobs/create', body: { team_id: this.teamId, ...body },
      ...(idempotencyKey === undefined ? {} : { headers: { ...requestOptions.headers, [HEADERS.idempotencyKey]: idempotencyKey } }),
    });
  }

  private jobIdOf(jobId: string | undefined): string {
    const id = jobId ?? this.currentJobId;
    if (!id) throw new TypeError('No job: pass `jobId`, run the call inside withJob(), or call createJob() first.');
    return id;
  }
}

function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

function describe(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return message.slice(0, ERROR_MESSAGE_LIMIT);
}

/** A plain object is stored as the job's result as it is; other values are wrapped; undefined stores none. */
function resultOf(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype === Object.prototype || prototype === null) return value as Record<string, unknown>;
  }
  return { value };
}
