import type { TeamUsage, TeamUsageSource } from '../domain/team-usage.ts';
import type { Database } from './database.ts';

/** Usage aggregates straight from jobs and calls (indexed by team and creation time). */
export class TeamUsageRepository implements TeamUsageSource {
  constructor(private readonly db: Database) {}

  async usage(teamId: string, from: Date, to: Date): Promise<TeamUsage> {
    const range = [teamId, from, to];
    const [summary] = await this.db.query<{ total_jobs: number; successful_jobs: number; failed_jobs: number; total_calls: number; total_tokens: number; cost: number; credits: number }>(
      `SELECT count(*)::int AS total_jobs,
              count(*) FILTER (WHERE status = 'completed')::int AS successful_jobs,
              count(*) FILTER (WHERE status IN ('failed', 'expired'))::int AS failed_jobs,
              COALESCE(sum(total_calls), 0)::bigint AS total_calls, COALESCE(sum(total_tokens), 0)::bigint AS total_tokens,
              COALESCE(sum(client_cost_nanos), 0)::bigint AS cost, COALESCE(sum(credits_charged), 0)::bigint AS credits
         FROM jobs WHERE team_id = $1 AND created_at >= $2 AND created_at < $3`, range);
    const jobTypes = await this.db.query<{ job_type: string; count: number; cost: number }>(
      `SELECT job_type, count(*)::int AS count, COALESCE(sum(client_cost_nanos), 0)::bigint AS cost
         FROM jobs WHERE team_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY job_type ORDER BY job_type`, range);
    const groups = await this.db.query<{ name: string; calls: number; tokens: number; cost: number }>(
      `SELECT COALESCE(model_group, requested_model) AS name, count(*)::int AS calls, COALESCE(sum(total_tokens), 0)::bigint AS tokens,
              COALESCE(sum(client_cost_nanos), 0)::bigint AS cost
         FROM calls WHERE team_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1 ORDER BY 1`, range);
    const daily = await this.db.query<{ day: string; jobs: number; cost: number; tokens: number }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int AS jobs,
              COALESCE(sum(client_cost_nanos), 0)::bigint AS cost, COALESCE(sum(total_tokens), 0)::bigint AS tokens
         FROM jobs WHERE team_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1 ORDER BY 1`, range);
    return {
      summary: {
        totalJobs: summary?.total_jobs ?? 0, successfulJobs: summary?.successful_jobs ?? 0, failedJobs: summary?.failed_jobs ?? 0,
        totalCalls: summary?.total_calls ?? 0, totalTokens: summary?.total_tokens ?? 0, clientCostNanos: summary?.cost ?? 0, creditsUsedMicro: summary?.credits ?? 0,
      },
      jobTypes: jobTypes.map((row) => ({ jobType: row.job_type, count: row.count, clientCostNanos: row.cost })),
      modelGroups: groups.map((row) => ({ name: row.name, calls: row.calls, tokens: row.tokens, clientCostNanos: row.cost })),
      daily: daily.map((row) => ({ date: row.day, jobs: row.jobs, clientCostNanos: row.cost, tokens: row.tokens })),
    };
  }
}
