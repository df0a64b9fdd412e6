import type { FastifyInstance } from 'fastify';
import {
  HEADERS, jobCancelSchema, jobCompleteSchema, jobCreateSchema, jobIdParamsSchema, jobMetadataPatchSchema,
} from '@saas-llm/protocol';
import { DomainError } from '../../../domain/errors.ts';
import type { JobService } from '../../../domain/job-service.ts';
import { nanosToUsd } from '../../../domain/money.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { closedJobView, createdJobView, jobView } from './job-views.ts';
import { keyOf, scopedTeamId } from './team-scope.ts';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The job lifecycle of 02-client-api.md: create, read, metadata, costs, complete, cancel. */
export function registerJobsRoutes(app: FastifyInstance, registry: RouteRegistry, jobs: JobService): void {
  const tag = 'jobs';

  defineRoute(app, registry, {
    method: 'POST', url: '/api/jobs/create', summary: 'Open a job (holds its minimum charge)', tag, auth: 'virtual_key', body: jobCreateSchema,
    handler: async ({ body, request }) => {
      const teamId = scopedTeamId(request, body.team_id);
      const header = request.headers[HEADERS.idempotencyKey];
      const idempotencyKey = typeof header === 'string' && header.length > 0 ? header : null;
      if (idempotencyKey && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw new DomainError('invalid_request', 'Idempotency-Key must be 1–200 visible ASCII characters.', 'Idempotency-Key');
      }
      const job = await jobs.create({
        teamId, keyId: keyOf(request).keyId, jobType: body.job_type, userId: body.user_id ?? null, metadata: body.metadata ?? {},
        maxCostUsd: body.max_cost_usd ?? null, maxCalls: body.max_calls ?? null, ttlSeconds: body.ttl_seconds ?? null, idempotencyKey,
      });
      return createdJobView(job);
    },
  });

  defineRoute(app, registry, {
    method: 'GET', url: '/api/jobs/:job_id', summary: 'A job with its live totals', tag, auth: 'virtual_key', params: jobIdParamsSchema,
    handler: async ({ params, request }) => jobView(await jobs.get(scopedTeamId(request), params.job_id)),
  });

  defineRoute(app, registry, {
    method: 'PATCH', url: '/api/jobs/:job_id/metadata', summary: 'Shallow-merge job metadata', tag, auth: 'virtual_key',
    params: jobIdParamsSchema, body: jobMetadataPatchSchema,
    handler: async ({ params, body, request }) => ({ job_id: params.job_id, metadata: await jobs.mergeMetadata(scopedTeamId(request), params.job_id, body.metadata) }),
  });

  defineRoute(app, registry, {
    method: 'GET', url: '/api/jobs/:job_id/costs', summary: 'Cost breakdown of a job by call', tag, auth: 'virtual_key', params: jobIdParamsSchema,
    handler: async ({ params, request }) => {
      const job = await jobs.get(scopedTeamId(request), params.job_id);
      const calls = await jobs.listCalls(job.jobId);
      return {
        job_id: job.jobId, team_id: job.teamId, job_type: job.jobType, status: job.status,
        costs: {
          total_cost_usd: nanosToUsd(job.clientCostNanos),
          breakdown: calls.map((call) => ({
            call_id: call.callId, model_group: call.modelGroup, purpose: call.purpose, prompt_tokens: call.promptTokens,
            completion_tokens: call.completionTokens, cost_usd: nanosToUsd(call.clientCostNanos), created_at: call.createdAt.toISOString(),
          })),
        },
      };
    },
  });

  defineRoute(app, registry, {
    method: 'POST', url: '/api/jobs/:job_id/complete', summary: 'Close a job (idempotent; charges once)', tag, auth: 'virtual_key',
    params: jobIdParamsSchema, body: jobCompleteSchema,
    handler: async ({ params, body, request }) => {
      const teamId = scopedTeamId(request);
      const closed = await jobs.complete(teamId, params.job_id, body.status, {
        ...(body.result !== undefined ? { result: body.result } : {}),
        ...(body.metadata ? { metadata: body.metadata } : {}),
        errorMessage: body.error_message ?? null,
      }, `key:${keyOf(request).keyId}`);
      return closedJobView(closed.job, closed.calls, closed.remainingMicro);
    },
  });

  defineRoute(app, registry, {
    method: 'POST', url: '/api/jobs/:job_id/cancel', summary: 'Abort in-flight calls and close the job as cancelled', tag, auth: 'virtual_key',
    params: jobIdParamsSchema, body: jobCancelSchema,
    handler: async ({ params, body, request }) => {
      const closed = await jobs.complete(scopedTeamId(request), params.job_id, 'cancelled', { errorMessage: body?.reason ?? null }, `key:${keyOf(request).keyId}`);
      return closedJobView(closed.job, closed.calls, closed.remainingMicro);
    },
  });
}
