import type { z } from 'zod';
import type { ChatStream } from './chat-stream.ts';
import type { CallRecord, ChatParams, CreatedJob, JobCostBreakdown, JobDetail, LlmCallResponse } from './client-types.ts';
import type { RequestOptions } from './http-transport.ts';
import type { StructuredOutputParams, StructuredStreamEvent } from './structured-output.ts';

/** The call methods of `SaaSLLMClient` that a `JobHandle` binds to its job. */
export interface JobScopedCalls {
  chat(params: ChatParams, options?: RequestOptions): Promise<LlmCallResponse>;
  chatStream(params: ChatParams, options?: RequestOptions): ChatStream;
  structuredOutput<Schema extends z.ZodType>(params: StructuredOutputParams<Schema>, options?: RequestOptions): Promise<z.output<Schema>>;
  structuredOutputStream<Schema extends z.ZodType>(
    params: StructuredOutputParams<Schema>, options?: RequestOptions,
  ): AsyncGenerator<StructuredStreamEvent<z.output<Schema>>, void, undefined>;
  getJob(jobId?: string, options?: RequestOptions): Promise<JobDetail>;
  getJobCosts(jobId?: string, options?: RequestOptions): Promise<JobCostBreakdown>;
  getCall(jobId: string, callId: string, options?: RequestOptions): Promise<CallRecord>;
  updateJobMetadata(jobId: string, metadata: Record<string, unknown>, options?: RequestOptions): Promise<{ job_id: string; metadata: Record<string, unknown> }>;
}

/**
 * One open job, as `withJob` hands it to your function: the client's call methods with the job fixed,
 * so concurrent jobs on one client never mix up their calls. Closing is `withJob`'s business.
 */
export class JobHandle {
  /** The job's id. */
  readonly jobId: string;

  constructor(private readonly client: JobScopedCalls, readonly job: CreatedJob) {
    this.jobId = job.job_id;
  }

  /** A non-streaming call in this job. See `SaaSLLMClient.chat`. */
  chat(params: ChatParams, options?: RequestOptions): Promise<LlmCallResponse> {
    return this.client.chat({ ...params, jobId: this.jobId }, options);
  }

  /** A streaming call in this job. See `SaaSLLMClient.chatStream`. */
  chatStream(params: ChatParams, options?: RequestOptions): ChatStream {
    return this.client.chatStream({ ...params, jobId: this.jobId }, options);
  }

  /** A validated structured answer, every attempt a call of this job. See `SaaSLLMClient.structuredOutput`. */
  structuredOutput<Schema extends z.ZodType>(params: StructuredOutputParams<Schema>, options?: RequestOptions): Promise<z.output<Schema>> {
    return this.client.structuredOutput({ ...params, jobId: this.jobId }, options);
  }

  /** Partial objects while the JSON streams, then the validated one. See `SaaSLLMClient.structuredOutputStream`. */
  structuredOutputStream<Schema extends z.ZodType>(
    params: StructuredOutputParams<Schema>, options?: RequestOptions,
  ): AsyncGenerator<StructuredStreamEvent<z.output<Schema>>, void, undefined> {
    return this.client.structuredOutputStream({ ...params, jobId: this.jobId }, options);
  }

  /** The job with its live totals. */
  get(options?: RequestOptions): Promise<JobDetail> {
    return this.client.getJob(this.jobId, options);
  }

  /** The job's cost, call by call. */
  costs(options?: RequestOptions): Promise<JobCostBreakdown> {
    return this.client.getJobCosts(this.jobId, options);
  }

  /** One call of this job with its request and response bodies. */
  call(callId: string, options?: RequestOptions): Promise<CallRecord> {
    return this.client.getCall(this.jobId, callId, options);
  }

  /** Shallow-merges `metadata` into the job's metadata; returns the merged object. */
  updateMetadata(metadata: Record<string, unknown>, options?: RequestOptions): Promise<{ job_id: string; metadata: Record<string, unknown> }> {
    return this.client.updateJobMetadata(this.jobId, metadata, options);
  }
}
