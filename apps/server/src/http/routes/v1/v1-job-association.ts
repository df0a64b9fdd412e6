import type { FastifyReply, FastifyRequest } from 'fastify';
import { HEADERS } from '@saas-llm/protocol';
import { DomainError } from '../../../domain/errors.ts';
import type { JobService } from '../../../domain/job-service.ts';
import { keyOf } from '../client/team-scope.ts';

/** The job a `/v1` call runs in. */
export interface V1Job {
  jobId: string;
  teamId: string;
  /** Opened for this one call (no `x-job-id`): the gateway completes and charges it when the call ends. */
  automatic: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_JOB_TYPE = 'api';
const JOB_TYPE = /^[\x20-\x7e]{1,100}$/;

function singleHeader(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  const single = Array.isArray(value) ? value[0] : value;
  return single && single.length > 0 ? single : null;
}

/**
 * The job of a `/v1` call: `x-job-id` names an open job of the key's team (checked atomically when the call
 * is admitted: another team's job is 404, a closed one 409); without it a single-call job is opened, of type
 * `x-job-type` (default `api`), holding its minimum charge like any job. Sets the `x-job-id` response header.
 */
export async function jobForCall(request: FastifyRequest, reply: FastifyReply, jobs: JobService, userId: string | null): Promise<V1Job> {
  const key = keyOf(request);
  const named = singleHeader(request, HEADERS.jobId);
  let job: V1Job;
  if (named !== null) {
    if (!UUID.test(named)) throw new DomainError('invalid_request', `Invalid header '${HEADERS.jobId}': must be a job id (a UUID).`, HEADERS.jobId);
    job = { jobId: named.toLowerCase(), teamId: key.teamId, automatic: false };
  } else {
    const jobType = singleHeader(request, HEADERS.jobType) ?? DEFAULT_JOB_TYPE;
    if (!JOB_TYPE.test(jobType)) throw new DomainError('invalid_request', `Invalid header '${HEADERS.jobType}': 1–100 visible ASCII characters.`, HEADERS.jobType);
    const opened = await jobs.create({ teamId: key.teamId, keyId: key.keyId, jobType, userId: userId === null ? null : userId.slice(0, 200), metadata: {} });
    job = { jobId: opened.jobId, teamId: key.teamId, automatic: true };
  }
  reply.header(HEADERS.jobId, job.jobId);
  return job;
}

/**
 * Closes an automatic job when its call ended (a no-op for jobs named by `x-job-id`: their owner closes them).
 * Completed jobs are charged by the team's budget mode; failed ones by its failed-job policy.
 */
export async function closeAutomaticJob(request: FastifyRequest, jobs: JobService, job: V1Job, outcome: { succeeded: true } | { succeeded: false; error: string }): Promise<void> {
  if (!job.automatic) return;
  await jobs.complete(job.teamId, job.jobId, outcome.succeeded ? 'completed' : 'failed', { errorMessage: outcome.succeeded ? null : outcome.error }, `key:${keyOf(request).keyId}`);
}

/**
 * Runs a non-streaming `/v1` call in its job: closes an automatic job as completed or failed when the call
 * ends, and marks refusals the OpenAI SDKs would otherwise retry in vain (a closed job stays closed) with
 * `x-should-retry: false`.
 */
export async function runInJob<T>(request: FastifyRequest, reply: FastifyReply, jobs: JobService, job: V1Job, call: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await call();
  } catch (error) {
    await closeAutomaticJob(request, jobs, job, { succeeded: false, error: error instanceof Error ? error.message : 'The call failed.' });
    throw withRetryHint(error);
  }
  await closeAutomaticJob(request, jobs, job, { succeeded: true });
  return result;
}

/** OpenAI's SDKs retry every 409 (they mean a lock timeout there); the gateway's 409s are final. */
export function withRetryHint(error: unknown): unknown {
  if (!(error instanceof DomainError) || error.status !== 409) return error;
  return new DomainError(error.code, error.message, error.param, error.extra, { ...error.headers, 'x-should-retry': 'false' });
}
