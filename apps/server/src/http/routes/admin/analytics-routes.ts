import type { FastifyInstance } from 'fastify';
import { adminAnalyticsQuerySchema, adminAnalyticsSchema, dashboardStatsSchema, type AnalyticsMetrics } from '@saas-llm/protocol';
import type { AdminReportsService, AnalyticsMetricsReport } from '../../../domain/admin-reports.ts';
import { microToCredits } from '../../../domain/money.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { costFieldsOf } from './admin-jobs-routes.ts';
import { dateRangeOf } from './date-range-query.ts';

const roundMs = (value: number | null): number | null => (value === null ? null : Math.round(value * 10) / 10);

function toMetrics(metrics: AnalyticsMetricsReport): AnalyticsMetrics {
  return {
    calls: metrics.calls, jobs: metrics.jobs, failed_calls: metrics.failedCalls,
    error_rate: metrics.calls === 0 ? 0 : Math.round((metrics.failedCalls / metrics.calls) * 10_000) / 10_000,
    prompt_tokens: metrics.promptTokens, completion_tokens: metrics.completionTokens, total_tokens: metrics.totalTokens,
    ...costFieldsOf(metrics.providerCostNanos, metrics.clientCostNanos),
    latency_p50_ms: roundMs(metrics.latencyP50Ms), latency_p95_ms: roundMs(metrics.latencyP95Ms),
  };
}

/** Usage, cost and margin analytics over calls, and the dashboard's headline counters. */
export function registerAnalyticsRoutes(app: FastifyInstance, registry: RouteRegistry, deps: { reports: AdminReportsService }): void {
  defineRoute(app, registry, {
    method: 'GET', url: '/api/admin/analytics', summary: 'Calls, jobs, tokens, costs, margin, error rate and latency percentiles, grouped',
    tag: 'analytics', auth: 'admin', query: adminAnalyticsQuerySchema, response: adminAnalyticsSchema,
    handler: async ({ query }) => {
      const report = await deps.reports.analytics({
        organizationId: query.organization_id, teamId: query.team_id, groupBy: query.group_by, ...dateRangeOf(query),
      });
      return {
        from: report.from.toISOString(), to: report.to.toISOString(), group_by: report.groupBy,
        groups: report.groups.map((group) => ({ key: group.key, ...toMetrics(group) })), totals: toMetrics(report.totals),
      };
    },
  });

  defineRoute(app, registry, {
    method: 'GET', url: '/api/stats/dashboard', summary: 'Headline counters: tenants, today\'s jobs, calls and cost, credits outstanding',
    tag: 'analytics', auth: 'admin', response: dashboardStatsSchema,
    handler: async () => {
      const stats = await deps.reports.dashboard();
      const today = costFieldsOf(stats.providerCostNanosToday, stats.clientCostNanosToday);
      return {
        organizations: stats.organizations, teams: stats.teams, active_teams: stats.activeTeams, open_jobs: stats.openJobs,
        jobs_today: stats.jobsToday, calls_today: stats.callsToday, failed_calls_today: stats.failedCallsToday, tokens_today: stats.tokensToday,
        provider_cost_usd_today: today.provider_cost_usd, client_cost_usd_today: today.client_cost_usd, margin_usd_today: today.margin_usd,
        credits_outstanding: microToCredits(stats.creditsOutstandingMicro), credits_reserved: microToCredits(stats.creditsReservedMicro),
        as_of: stats.asOf.toISOString(),
      };
    },
  });
}
