import type { FastifyInstance } from 'fastify';
import { teamIdParamsSchema, teamJobsQuerySchema, teamUsageQuerySchema } from '@saas-llm/protocol';
import { DomainError } from '../../../domain/errors.ts';
import type { JobStore } from '../../../domain/jobs.ts';
import { microToCredits, nanosToUsd } from '../../../domain/money.ts';
import { usageRange, type TeamUsageSource } from '../../../domain/team-usage.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { jobView } from './job-views.ts';
import { scopedTeamId } from './team-scope.ts';

/** Opaque cursor: the (created_at, job_id) of the last job of a page. */
function encodeCursor(createdAt: Date, jobId: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${jobId}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; jobId: string } {
  const [at, jobId] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!jobId || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/.test(jobId)) throw new DomainError('invalid_request', "Invalid query field 'cursor': not a cursor this API returned.", 'cursor');
  return { createdAt, jobId };
}

/** A team's own history with its virtual key: jobs (cursor-paginated) and usage. */
export function registerTeamJobsRoutes(app: FastifyInstance, registry: RouteRegistry, jobs: JobStore, usage: TeamUsageSource): void {
  defineRoute(app, registry, {
    method: 'GET', url: '/api/teams/:team_id/jobs', summary: "The team's jobs, newest first", tag: 'jobs', auth: 'virtual_key',
    params: teamIdParamsSchema, query: teamJobsQuerySchema,
    handler: async ({ params, query, request }) => {
      const teamId = scopedTeamId(request, params.team_id);
      const limit = query.limit ?? 50;
      const page = await jobs.listForTeam(teamId, {
        limit: limit + 1, cursor: query.cursor ? decodeCursor(query.cursor) : null,
        ...(query.status ? { status: query.status } : {}), ...(query.job_type ? { jobType: query.job_type } : {}),
        ...(query.from ? { from: new Date(query.from) } : {}), ...(query.to ? { to: new Date(query.to) } : {}),
      });
      const shown = page.slice(0, limit);
      const last = shown.at(-1);
      return { team_id: teamId, jobs: shown.map(jobView), next_cursor: page.length > limit && last ? encodeCursor(last.createdAt, last.jobId) : null };
    },
  });

  defineRoute(app, registry, {
    method: 'GET', url: '/api/teams/:team_id/usage', summary: "The team's usage over a period, with a daily series", tag: 'jobs', auth: 'virtual_key',
    params: teamIdParamsSchema, query: teamUsageQuerySchema,
    handler: async ({ params, query, request }) => {
      const teamId = scopedTeamId(request, params.team_id);
      const range = usageRange(query);
      const report = await usage.usage(teamId, range.from, range.to);
      const s = report.summary;
      return {
        team_id: teamId,
        period: range.label,
        summary: {
          total_jobs: s.totalJobs, successful_jobs: s.successfulJobs, failed_jobs: s.failedJobs, total_calls: s.totalCalls, total_tokens: s.totalTokens,
          total_cost_usd: nanosToUsd(s.clientCostNanos), avg_cost_per_job: s.totalJobs > 0 ? nanosToUsd(Math.round(s.clientCostNanos / s.totalJobs)) : 0,
          credits_used: microToCredits(s.creditsUsedMicro),
        },
        job_types: Object.fromEntries(report.jobTypes.map((row) => [row.jobType, { count: row.count, cost_usd: nanosToUsd(row.clientCostNanos) }])),
        model_groups: Object.fromEntries(report.modelGroups.map((row) => [row.name, { calls: row.calls, tokens: row.tokens, cost_usd: nanosToUsd(row.clientCostNanos) }])),
        daily: report.daily.map((row) => ({ date: row.date, jobs: row.jobs, cost_usd: nanosToUsd(row.clientCostNanos), tokens: row.tokens })),
      };
    },
  });
}
