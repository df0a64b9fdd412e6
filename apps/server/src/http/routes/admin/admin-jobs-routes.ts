import type { FastifyInstance } from 'fastify';
import {
  adminJobDetailSchema, adminJobListQuerySchema, adminJobPageSchema, adminJobParamsSchema, type AdminCall, type AdminJobDetail, type AdminJobSummary,
} from '@saas-llm/protocol';
import type { AdminReportsService, CallReport, JobDetailReport, JobReport } from '../../../domain/admin-reports.ts';
import { microToCredits, nanosToUsd } from '../../../domain/money.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { dateRangeOf } from './date-range-query.ts';

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

/** Both costs and their difference, computed in exact nano-dollars and converted only here, at the edge. */
export function costFieldsOf(providerCostNanos: number, clientCostNanos: number) {
  return {
    provider_cost_usd: nanosToUsd(providerCostNanos),
    client_cost_usd: nanosToUsd(clientCostNanos),
    margin_usd: nanosToUsd(clientCostNanos - providerCostNanos),
  };
}

function toJobSummary(job: JobReport): AdminJobSummary {
  return {
    job_id: job.jobId, team_id: job.teamId, organization_id: job.organizationId, job_type: job.jobType, status: job.status, user_id: job.userId,
    created_at: job.createdAt.toISOString(), started_at: iso(job.startedAt), completed_at: iso(job.completedAt), expires_at: job.expiresAt.toISOString(),
    total_calls: job.totalCalls, successful_calls: job.successfulCalls, failed_calls: job.failedCalls,
    prompt_tokens: job.promptTokens, completion_tokens: job.completionTokens, total_tokens: job.totalTokens,
    ...costFieldsOf(job.providerCostNanos, job.clientCostNanos),
    credits_charged: microToCredits(job.creditsChargedMicro), model_groups_used: job.modelGroupsUsed, metadata: job.metadata,
  };
}

function toCall(call: CallReport): AdminCall {
  return {
    call_id: call.callId, requested_model: call.requestedModel, model_group: call.modelGroup, deployment: call.deploymentAlias,
    provider: call.provider, provider_model: call.providerModel, status: call.status, stream: call.stream,
    prompt_tokens: call.promptTokens, completion_tokens: call.completionTokens, cached_tokens: call.cachedTokens, total_tokens: call.totalTokens,
    usage_source: call.usageSource, ...costFieldsOf(call.providerCostNanos, call.clientCostNanos), unpriced: call.unpriced,
    latency_ms: call.latencyMs, ttft_ms: call.ttftMs, purpose: call.purpose,
    request_body: call.requestBody, response_body: call.responseBody, error: call.error,
    created_at: call.createdAt.toISOString(), finished_at: iso(call.finishedAt), attempt_count: call.attemptCount,
    attempts: call.attempts.map((attempt) => ({
      attempt_number: attempt.attemptNumber, deployment: attempt.deploymentAlias, provider: attempt.provider, status: attempt.status,
      http_status: attempt.httpStatus, error_class: attempt.errorClass, error_message: attempt.errorMessage, latency_ms: attempt.latencyMs,
      started_at: attempt.startedAt.toISOString(),
    })),
  };
}

function toJobDetail(job: JobDetailReport): AdminJobDetail {
  return {
    ...toJobSummary(job), result: job.result, error_message: job.errorMessage,
    max_cost_usd: job.maxCostNanos === null ? null : nanosToUsd(job.maxCostNanos), max_calls: job.maxCalls, calls: job.calls.map(toCall),
  };
}

/** The operator's view of jobs and their calls, across every team. */
export function registerAdminJobsRoutes(app: FastifyInstance, registry: RouteRegistry, deps: { reports: AdminReportsService }): void {
  defineRoute(app, registry, {
    method: 'GET', url: '/api/admin/jobs', summary: 'Jobs across teams, newest first, cursor-paginated', tag: 'jobs (admin)', auth: 'admin',
    query: adminJobListQuerySchema, response: adminJobPageSchema,
    handler: async ({ query }) => {
      const page = await deps.reports.listJobs({
        teamId: query.team_id, organizationId: query.organization_id, status: query.status, jobType: query.job_type, ...dateRangeOf(query),
        cursor: query.cursor, limit: query.limit,
      });
      return { jobs: page.jobs.map(toJobSummary), next_cursor: page.nextCursor };
    },
  });

  defineRoute(app, registry, {
    method: 'GET', url: '/api/admin/jobs/:job_id', summary: 'One job with every call: deployment, provider model, attempts, costs, margin, bodies',
    tag: 'jobs (admin)', auth: 'admin', params: adminJobParamsSchema, response: adminJobDetailSchema,
    handler: async ({ params }) => toJobDetail(await deps.reports.getJob(params.job_id)),
  });
}
