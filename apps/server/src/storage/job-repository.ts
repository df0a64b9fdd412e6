import type { CreditTerms, FinalJobStatus } from '../domain/job-charge.ts';
import type { CallSummary, CloseJobOutcome, JobRecord, JobStore, NewJob, OpenJobOutcome } from '../domain/jobs.ts';
import type { Database, Queryable } from './database.ts';
import { fenced } from './local-call-accounting.ts';

interface JobRow {
  job_id: string; team_id: string; key_id: string | null; user_id: string | null; job_type: string; status: JobRecord['status'];
  idempotency_key: string | null; created_at: Date; started_at: Date | null; completed_at: Date | null; expires_at: Date;
  metadata: Record<string, unknown>; result: unknown; error_message: string | null; max_cost_nanos: number | null; max_calls: number | null;
  credit_applied: boolean; credits_charged: number; model_groups_used: string[]; total_calls: number; successful_calls: number;
  failed_calls: number; prompt_tokens: number; completion_tokens: number; total_tokens: number; provider_cost_nanos: number;
  client_cost_nanos: number; total_latency_ms: number; in_flight_calls: number;
}

export function toJobRecord(row: JobRow): JobRecord {
  return {
    jobId: row.job_id, teamId: row.team_id, keyId: row.key_id, userId: row.user_id, jobType: row.job_type, status: row.status,
    idempotencyKey: row.idempotency_key, createdAt: row.created_at, startedAt: row.started_at, completedAt: row.completed_at,
    expiresAt: row.expires_at, metadata: row.metadata ?? {}, result: row.result, errorMessage: row.error_message,
    maxCostNanos: row.max_cost_nanos, maxCalls: row.max_calls, creditApplied: row.credit_applied, creditsChargedMicro: row.credits_charged,
    modelGroupsUsed: row.model_groups_used ?? [], totalCalls: row.total_calls, successfulCalls: row.successful_calls, failedCalls: row.failed_calls,
    promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, totalTokens: row.total_tokens,
    providerCostNanos: row.provider_cost_nanos, clientCostNanos: row.client_cost_nanos, totalLatencyMs: row.total_latency_ms,
    inFlightCalls: row.in_flight_calls,
  };
}

interface TeamTermsRow {
  credits_allocated: number; credits_used: number; credits_reserved: number; budget_mode: CreditTerms['budgetMode']; failed_job_policy: CreditTerms['failedJobPolicy'];
  credits_per_dollar: string; tokens_per_credit: number;
}

/** Jobs in PostgreSQL; every credit movement happens in the same transaction as the job change it pays for. */
export class JobRepository implements JobStore {
  constructor(private readonly db: Database, private readonly holdTtlSeconds: number) {}

  async open(job: NewJob, holdMicro: number): Promise<OpenJobOutcome> {
    if (holdMicro > 0) return fenced(this.db, { teamIds: [job.teamId] }, () => this.insert(job, holdMicro));
    return this.insert(job, holdMicro);
  }

  private insert(job: NewJob, holdMicro: number): Promise<OpenJobOutcome> {
    return this.db.transaction(async (tx) => {
      // The availability check and the hold are one conditional UPDATE: concurrent opens can't overdraw.
      const held = await tx.query<{ team_id: string }>(
        `UPDATE teams SET credits_reserved = credits_reserved + $2, updated_at = now()
          WHERE team_id = $1 AND deleted_at IS NULL AND credits_allocated - credits_used - credits_reserved >= $2
          RETURNING team_id`,
        [job.teamId, holdMicro],
      );
      if (held.length === 0) {
        const team = await tx.query<{ available: number }>('SELECT credits_allocated - credits_used - credits_reserved AS available FROM teams WHERE team_id = $1 AND deleted_at IS NULL', [job.teamId]);
        return team[0] ? { kind: 'insufficient_credits', availableMicro: team[0].available } : { kind: 'team_not_found' };
      }
      const rows = await tx.query<JobRow>(
        `INSERT INTO jobs (job_id, team_id, key_id, user_id, job_type, idempotency_key, expires_at, metadata, max_cost_nanos, max_calls)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [job.jobId, job.teamId, job.keyId, job.userId, job.jobType, job.idempotencyKey, job.expiresAt, JSON.stringify(job.metadata), job.maxCostNanos, job.maxCalls],
      );
      if (holdMicro > 0) {
        await tx.query(
          `INSERT INTO reservations (reservation_id, team_id, job_id, amount, expires_at) VALUES ($1, $2, $3, $4, $5)`,
          [crypto.randomUUID(), job.teamId, job.jobId, holdMicro, new Date(job.expiresAt.getTime() + this.holdTtlSeconds * 1000)],
        );
      }
      return { kind: 'opened', job: toJobRecord(rows[0]!) };
    });
  }

  async findByIdempotencyKey(teamId: string, idempotencyKey: string, since: Date): Promise<JobRecord | null> {
    const rows = await this.db.query<JobRow>('SELECT * FROM jobs WHERE team_id = $1 AND idempotency_key = $2 AND created_at >= $3', [teamId, idempotencyKey, since]);
    return rows[0] ? toJobRecord(rows[0]) : null;
  }

  async get(jobId: string): Promise<JobRecord | null> {
    const rows = await this.db.query<JobRow>('SELECT * FROM jobs WHERE job_id = $1', [jobId]);
    return rows[0] ? toJobRecord(rows[0]) : null;
  }

  async mergeMetadata(jobId: string, patch: Record<string, unknown>): Promise<Record<string, unknown> | null> {
    const rows = await this.db.query<{ metadata: Record<string, unknown> }>(
      'UPDATE jobs SET metadata = metadata || $2::jsonb WHERE job_id = $1 RETURNING metadata', [jobId, JSON.stringify(patch)]);
    return rows[0]?.metadata ?? null;
  }

  async close(jobId: string, status: FinalJobStatus, fields: { result?: unknown; metadata?: Record<string, unknown>; errorMessage?: string | null }, charge: (job: JobRecord, terms: CreditTerms) => number, actor: string): Promise<CloseJobOutcome> {
    return fenced(this.db, { jobIds: [jobId] }, () => this.db.transaction(async (tx) => {
      const jobs = await tx.query<JobRow>('SELECT * FROM jobs WHERE job_id = $1 FOR NO KEY UPDATE', [jobId]);
      if (!jobs[0]) return { kind: 'not_found' };
      const job = toJobRecord(jobs[0]);
      const team = await lockTeam(tx, job.teamId);
      if (job.status !== 'pending' && job.status !== 'in_progress') {
        return { kind: 'already_closed', job, remainingMicro: team.credits_allocated - team.credits_used };
      }
      const terms: CreditTerms = {
        budgetMode: team.budget_mode, failedJobPolicy: team.failed_job_policy,
        creditsPerDollar: Number(team.credits_per_dollar), tokensPerCredit: team.tokens_per_credit,
      };
      const released = await tx.query<{ amount: number }>(
        `UPDATE reservations SET status = 'released', released_at = now() WHERE job_id = $1 AND status = 'held' RETURNING amount`, [jobId]);
      const releasedMicro = released.reduce((sum, row) => sum + row.amount, 0);
      const before = team.credits_allocated - team.credits_used;
      // Holds make the charge fit; the cap is the last line of defence: a balance never goes below zero,
      // even if an upstream returned more than the worst case that was held for it.
      const spendable = Math.max(0, before - (team.credits_reserved - releasedMicro));
      const chargeMicro = Math.min(charge(job, terms), spendable);
      await tx.query(
        `UPDATE teams SET credits_reserved = credits_reserved - $2, credits_used = credits_used + $3, updated_at = now() WHERE team_id = $1`,
        [job.teamId, releasedMicro, chargeMicro],
      );
      if (chargeMicro > 0) {
        await tx.query(
          `INSERT INTO credit_transactions (team_id, type, amount, balance_before, balance_after, job_id, actor, reason)
           VALUES ($1, 'deduction', $2, $3, $4, $5, $6, $7)`,
          [job.teamId, -chargeMicro, before, before - chargeMicro, jobId, actor, `job ${status} (${job.jobType})`],
        );
      }
      const updated = await tx.query<JobRow>(
        `UPDATE jobs SET status = $2, completed_at = now(), credit_applied = $3, credits_charged = $4,
                result = COALESCE($5::jsonb, result), metadata = metadata || $6::jsonb, error_message = COALESCE($7, error_message)
          WHERE job_id = $1 RETURNING *`,
        [jobId, status, chargeMicro > 0, chargeMicro, fields.result === undefined ? null : JSON.stringify(fields.result), JSON.stringify(fields.metadata ?? {}), fields.errorMessage ?? null],
      );
      return { kind: 'closed', job: toJobRecord(updated[0]!), remainingMicro: before - chargeMicro };
    }));
  }

  /** In the order the calls were made: timestamps are to the millisecond, and call ids order the calls made within one (call-ids.ts). */
  async listCalls(jobId: string): Promise<CallSummary[]> {
    const rows = await this.db.query<{ call_id: string; purpose: string | null; model_group: string | null; status: string; prompt_tokens: number; completion_tokens: number; total_tokens: number; client_cost_nanos: number; latency_ms: number | null; error: unknown; created_at: Date }>(
      `SELECT call_id, purpose, model_group, status, prompt_tokens, completion_tokens, total_tokens, client_cost_nanos, latency_ms, error, created_at
         FROM calls WHERE job_id = $1 ORDER BY created_at, call_id`, [jobId]);
    return rows.map((row) => ({
      callId: row.call_id, purpose: row.purpose, modelGroup: row.model_group, status: row.status, promptTokens: row.prompt_tokens,
      completionTokens: row.completion_tokens, totalTokens: row.total_tokens, clientCostNanos: row.client_cost_nanos,
      latencyMs: row.latency_ms, error: row.error, createdAt: row.created_at,
    }));
  }

  async listExpired(now: Date, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ job_id: string }>(
      `SELECT job_id FROM jobs WHERE status IN ('pending', 'in_progress') AND expires_at <= $1 ORDER BY expires_at LIMIT $2`, [now, limit]);
    return rows.map((row) => row.job_id);
  }

  async countOpen(teamId: string): Promise<number> {
    const rows = await this.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM jobs WHERE team_id = $1 AND status IN ('pending', 'in_progress')`, [teamId]);
    return rows[0]?.count ?? 0;
  }

  async listForTeam(teamId: string, filter: { limit: number; cursor: { createdAt: Date; jobId: string } | null; status?: string; jobType?: string; from?: Date; to?: Date }): Promise<JobRecord[]> {
    const conditions = ['team_id = $1'];
    const params: unknown[] = [teamId];
    const add = (sql: string, value: unknown) => { params.push(value); conditions.push(sql.replace('?', `$${params.length}`)); };
    if (filter.status) add('status = ?', filter.status);
    if (filter.jobType) add('job_type = ?', filter.jobType);
    if (filter.from) add('created_at >= ?', filter.from);
    if (filter.to) add('created_at < ?', filter.to);
    if (filter.cursor) {
      params.push(filter.cursor.createdAt, filter.cursor.jobId);
      conditions.push(`(created_at, job_id) < ($${params.length - 1}, $${params.length})`);
    }
    params.push(filter.limit);
    const rows = await this.db.query<JobRow>(`SELECT * FROM jobs WHERE ${conditions.join(' AND ')} ORDER BY created_at DESC, job_id DESC LIMIT $${params.length}`, params);
    return rows.map(toJobRecord);
  }
}

async function lockTeam(tx: Queryable, teamId: string): Promise<TeamTermsRow> {
  const rows = await tx.query<TeamTermsRow>(
    'SELECT credits_allocated, credits_used, credits_reserved, budget_mode, failed_job_policy, credits_per_dollar, tokens_per_credit FROM teams WHERE team_id = $1 FOR NO KEY UPDATE', [teamId]);
  if (!rows[0]) throw new Error(`team ${teamId} of an existing job is missing`);
  return rows[0];
}
