import type { AnalyticsGroupBy } from '@saas-llm/protocol';
import type {
  AdminReportsReader, AnalyticsFilter, AnalyticsMetricsReport, AnalyticsReport, CallAttemptReport, CallReport, DashboardReport,
  JobDetailReport, JobListFilter, JobReport,
} from '../domain/admin-reports.ts';
import type { Queryable } from './database.ts';

const JOB_COLUMNS = `j.job_id AS "jobId", j.team_id AS "teamId", t.organization_id AS "organizationId", j.job_type AS "jobType", j.status,
  j.user_id AS "userId", j.created_at AS "createdAt", j.started_at AS "startedAt", j.completed_at AS "completedAt", j.expires_at AS "expiresAt",
  j.total_calls AS "totalCalls", j.successful_calls AS "successfulCalls", j.failed_calls AS "failedCalls",
  j.prompt_tokens AS "promptTokens", j.completion_tokens AS "completionTokens", j.total_tokens AS "totalTokens",
  j.provider_cost_nanos AS "providerCostNanos", j.client_cost_nanos AS "clientCostNanos", j.credits_charged AS "creditsChargedMicro",
  j.model_groups_used AS "modelGroupsUsed", j.metadata,
  (extract(epoch FROM j.created_at) * 1000000)::bigint AS "createdAtMicros"`;

/** The grouping expression per dimension; every one is non-null, so ROLLUP's total row is the only null key. */
const GROUP_KEY: Record<AnalyticsGroupBy, string> = {
  day: `to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  team: 'c.team_id',
  model_group: 'coalesce(c.model_group, c.requested_model)',
  deployment: `coalesce(c.deployment_alias, '(none)')`,
  job_type: 'j.job_type',
};

interface MetricsRow extends AnalyticsMetricsReport {
  groupKey: string | null;
  isTotal: number;
}

/** Operator reads over jobs, calls and attempts, in PostgreSQL/PGlite (the same SQL on both). */
export class PgAdminReportsStore implements AdminReportsReader {
  constructor(private readonly db: Queryable) {}

  listJobs(filter: JobListFilter): Promise<JobReport[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.teamId !== undefined) conditions.push(`j.team_id = ${param(filter.teamId)}`);
    if (filter.organizationId !== undefined) conditions.push(`t.organization_id = ${param(filter.organizationId)}`);
    if (filter.status !== undefined) conditions.push(`j.status = ${param(filter.status)}`);
    if (filter.jobType !== undefined) conditions.push(`j.job_type = ${param(filter.jobType)}`);
    if (filter.from !== undefined) conditions.push(`j.created_at >= ${param(filter.from)}`);
    if (filter.to !== undefined) conditions.push(`j.created_at < ${param(filter.to)}`);
    if (filter.before !== undefined) {
      // Microseconds rebuild the exact timestamp; a millisecond Date would skip or repeat rows on a page boundary.
      conditions.push(`(j.created_at, j.job_id) < (timestamptz 'epoch' + ${param(filter.before.createdAtMicros)}::bigint * interval '1 microsecond', ${param(filter.before.jobId)}::uuid)`);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    return this.db.query<JobReport>(
      `SELECT ${JOB_COLUMNS} FROM jobs j JOIN teams t ON t.team_id = j.team_id ${where}
       ORDER BY j.created_at DESC, j.job_id DESC LIMIT ${param(filter.limit)}`,
      params,
    );
  }

  async findJob(jobId: string): Promise<JobDetailReport | null> {
    const jobs = await this.db.query<Omit<JobDetailReport, 'calls'>>(
      `SELECT ${JOB_COLUMNS}, j.result, j.error_message AS "errorMessage", j.max_cost_nanos AS "maxCostNanos", j.max_calls AS "maxCalls"
       FROM jobs j JOIN teams t ON t.team_id = j.team_id WHERE j.job_id = $1`,
      [jobId],
    );
    const job = jobs[0];
    if (!job) return null;
    const calls = await this.db.query<Omit<CallReport, 'attempts'>>(
      `SELECT call_id AS "callId", requested_model AS "requestedModel", model_group AS "modelGroup", deployment_alias AS "deploymentAlias",
              provider, provider_model AS "providerModel", status, stream, prompt_tokens AS "promptTokens",
              completion_tokens AS "completionTokens", cached_tokens AS "cachedTokens", total_tokens AS "totalTokens",
              usage_source AS "usageSource", provider_cost_nanos AS "providerCostNanos", client_cost_nanos AS "clientCostNanos", unpriced,
              latency_ms AS "latencyMs", ttft_ms AS "ttftMs", purpose, request_body AS "requestBody", response_body AS "responseBody", error,
              created_at AS "createdAt", finished_at AS "finishedAt", attempts AS "attemptCount"
       FROM calls WHERE job_id = $1 ORDER BY created_at, call_id`,
      [jobId],
    );
    const attempts = await this.db.query<CallAttemptReport & { callId: string }>(
      `SELECT a.call_id AS "callId", a.attempt_number AS "attemptNumber", a.deployment_alias AS "deploymentAlias", a.provider, a.status,
              a.http_status AS "httpStatus", a.error_class AS "errorClass", a.error_message AS "errorMessage", a.latency_ms AS "latencyMs",
              a.started_at AS "startedAt"
       FROM call_attempts a JOIN calls c ON c.call_id = a.call_id WHERE c.job_id = $1 ORDER BY a.call_id, a.attempt_number`,
      [jobId],
    );
    const attemptsByCall = new Map<string, CallAttemptReport[]>();
    for (const { callId, ...attempt } of attempts) {
      const list = attemptsByCall.get(callId) ?? [];
      list.push(attempt);
      attemptsByCall.set(callId, list);
    }
    return { ...job, calls: calls.map((call) => ({ ...call, attempts: attemptsByCall.get(call.callId) ?? [] })) };
  }

  async analytics(filter: AnalyticsFilter): Promise<AnalyticsReport> {
    const params: unknown[] = [filter.from, filter.to];
    const conditions = ['c.created_at >= $1', 'c.created_at < $2'];
    if (filter.organizationId !== undefined) conditions.push(`t.organization_id = $${params.push(filter.organizationId)}`);
    if (filter.teamId !== undefined) conditions.push(`c.team_id = $${params.push(filter.teamId)}`);
    // ROLLUP adds the all-groups row, so totals (percentiles included) come from the same scan.
    const rows = await this.db.query<MetricsRow>(
      `SELECT group_key AS "groupKey", GROUPING(group_key)::int AS "isTotal",
              count(*)::bigint AS calls, count(DISTINCT job_id)::bigint AS jobs,
              count(*) FILTER (WHERE status = 'failed')::bigint AS "failedCalls",
              coalesce(sum(prompt_tokens), 0)::bigint AS "promptTokens", coalesce(sum(completion_tokens), 0)::bigint AS "completionTokens",
              coalesce(sum(total_tokens), 0)::bigint AS "totalTokens",
              coalesce(sum(provider_cost_nanos), 0)::bigint AS "providerCostNanos", coalesce(sum(client_cost_nanos), 0)::bigint AS "clientCostNanos",
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS "latencyP50Ms",
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS "latencyP95Ms"
       FROM (
         SELECT ${GROUP_KEY[filter.groupBy]} AS group_key, c.job_id, c.status, c.prompt_tokens, c.completion_tokens, c.total_tokens,
                c.provider_cost_nanos, c.client_cost_nanos, c.latency_ms
         FROM calls c JOIN jobs j ON j.job_id = c.job_id JOIN teams t ON t.team_id = c.team_id
         WHERE ${conditions.join(' AND ')}
       ) scoped
       GROUP BY ROLLUP (group_key)`,
      params,
    );
    const total = rows.find((row) => row.isTotal === 1);
    const groups = rows.filter((row) => row.isTotal === 0).map((row) => ({ key: row.groupKey ?? '', ...metricsOf(row) }));
    groups.sort(filter.groupBy === 'day' ? (a, b) => a.key.localeCompare(b.key) : (a, b) => b.calls - a.calls || a.key.localeCompare(b.key));
    return { groups, totals: total ? metricsOf(total) : EMPTY_METRICS };
  }

  async dashboard(since: Date): Promise<DashboardReport> {
    const rows = await this.db.query<DashboardReport>(
      `SELECT
         (SELECT count(*) FROM organizations WHERE deleted_at IS NULL)::bigint AS organizations,
         (SELECT count(*) FROM teams WHERE deleted_at IS NULL)::bigint AS teams,
         (SELECT count(*) FROM teams WHERE deleted_at IS NULL AND status = 'active')::bigint AS "activeTeams",
         (SELECT count(*) FROM jobs WHERE status IN ('pending', 'in_progress'))::bigint AS "openJobs",
         (SELECT count(*) FROM jobs WHERE created_at >= $1)::bigint AS "jobsToday",
         today.calls AS "callsToday", today.failed AS "failedCallsToday", today.tokens AS "tokensToday",
         today.provider AS "providerCostNanosToday", today.client AS "clientCostNanosToday",
         accounts.outstanding AS "creditsOutstandingMicro", accounts.reserved AS "creditsReservedMicro"
       FROM
         (SELECT count(*)::bigint AS calls, count(*) FILTER (WHERE status = 'failed')::bigint AS failed,
                 coalesce(sum(total_tokens), 0)::bigint AS tokens,
                 coalesce(sum(provider_cost_nanos), 0)::bigint AS provider, coalesce(sum(client_cost_nanos), 0)::bigint AS client
          FROM calls WHERE created_at >= $1) today,
         (SELECT coalesce(sum(credits_allocated - credits_used), 0)::bigint AS outstanding, coalesce(sum(credits_reserved), 0)::bigint AS reserved
          FROM teams WHERE deleted_at IS NULL) accounts`,
      [since],
    );
    return rows[0]!;
  }
}

const EMPTY_METRICS: AnalyticsMetricsReport = {
  calls: 0, jobs: 0, failedCalls: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, providerCostNanos: 0, clientCostNanos: 0,
  latencyP50Ms: null, latencyP95Ms: null,
};

function metricsOf(row: MetricsRow): AnalyticsMetricsReport {
  return {
    calls: row.calls, jobs: row.jobs, failedCalls: row.failedCalls, promptTokens: row.promptTokens, completionTokens: row.completionTokens,
    totalTokens: row.totalTokens, providerCostNanos: row.providerCostNanos, clientCostNanos: row.clientCostNanos,
    latencyP50Ms: row.latencyP50Ms, latencyP95Ms: row.latencyP95Ms,
  };
}
