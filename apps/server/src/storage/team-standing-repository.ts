import type { TeamStanding, TeamStandingSource } from '../domain/job-service.ts';
import type { Database } from './database.ts';

interface TeamStandingRow {
  team_id: string; status: TeamStanding['status']; max_open_jobs: number | null; rpm_limit: number | null; tpm_limit: number | null;
  max_concurrent_calls: number | null; cost_markup_percentage: string; body_logging: TeamStanding['bodyLogging'];
  budget_mode: TeamStanding['terms']['budgetMode']; failed_job_policy: TeamStanding['terms']['failedJobPolicy'];
  credits_per_dollar: string; tokens_per_credit: number;
}

/**
 * Team status and job limits for admission checks, cached for `ttlMs` so the hot path reads no row;
 * a suspension takes effect within that window on every instance, at once on this one via `invalidate`.
 */
export class TeamStandingRepository implements TeamStandingSource {
  private readonly cache = new Map<string, { standing: TeamStanding | null; until: number }>();
  constructor(private readonly db: Database, private readonly ttlMs = 1000) {}

  async getStanding(teamId: string): Promise<TeamStanding | null> {
    const cached = this.cache.get(teamId);
    if (cached && cached.until > Date.now()) return cached.standing;
    const rows = await this.db.query<TeamStandingRow>(
      `SELECT team_id, status, max_open_jobs, rpm_limit, tpm_limit, max_concurrent_calls, cost_markup_percentage, body_logging,
              budget_mode, failed_job_policy, credits_per_dollar, tokens_per_credit
         FROM teams WHERE team_id = $1 AND deleted_at IS NULL`, [teamId]);
    const row = rows[0];
    const standing: TeamStanding | null = row ? {
      teamId: row.team_id, status: row.status, maxOpenJobs: row.max_open_jobs, rpmLimit: row.rpm_limit, tpmLimit: row.tpm_limit,
      maxConcurrentCalls: row.max_concurrent_calls, costMarkupPercentage: Number(row.cost_markup_percentage), bodyLogging: row.body_logging,
      terms: { budgetMode: row.budget_mode, failedJobPolicy: row.failed_job_policy, creditsPerDollar: Number(row.credits_per_dollar), tokensPerCredit: row.tokens_per_credit },
    } : null;
    this.cache.set(teamId, { standing, until: Date.now() + this.ttlMs });
    return standing;
  }

  invalidate(teamId?: string): void {
    if (teamId) this.cache.delete(teamId);
    else this.cache.clear();
  }
}
