import type { AdmissionOutcome, AttemptRecord, CallAdmission, CallRecord, CallStore } from '../domain/calls.ts';
import { pgErrorCode, type Database } from './database.ts';

type AdmissionRequest = { callId: string; jobId: string; teamId: string; worstCostNanos: number; holdMicro: number };

const PG_DIVISION_BY_ZERO = '22012';

/** The job's checks of an admission ($1 job, $2 team, $3 worst cost in nano-dollars). */
const JOB_ADMITS = `job_id = $1 AND team_id = $2 AND status IN ('pending', 'in_progress') AND expires_at > now()
            AND (max_calls IS NULL OR total_calls + in_flight_calls < max_calls)
            AND (max_cost_nanos IS NULL OR client_cost_nanos + pending_cost_nanos + $3 <= max_cost_nanos)`;
const JOB_ADMISSION = `UPDATE jobs SET status = CASE WHEN status = 'pending' THEN 'in_progress' ELSE status END,
                started_at = COALESCE(started_at, now()),
                in_flight_calls = in_flight_calls + 1,
                pending_cost_nanos = pending_cost_nanos + $3
          WHERE ${JOB_ADMITS}
          RETURNING job_id`;

/** An admission without a credit hold (job_based teams). */
const ADMIT_SQL = `WITH job AS (${JOB_ADMISSION}) SELECT count(*)::int AS admitted FROM job`;

/**
 * An admission with its credit hold ($4 micro-credits, reservation $5 for call $6, held $7 s), as one
 * statement: the job's checks, then the team's conditional hold, then the reservation row. When the job
 * admits but the balance is short, the select divides by zero on purpose: the statement fails as a
 * whole, so the job's counters are never left raised without a hold (a CTE cannot roll back its siblings).
 */
const ADMIT_AND_HOLD_SQL = `WITH job AS (${JOB_ADMISSION}),
  team AS (
    UPDATE teams SET credits_reserved = credits_reserved + $4
     WHERE team_id = $2 AND credits_allocated - credits_used - credits_reserved >= $4 AND EXISTS (SELECT 1 FROM job)
     RETURNING team_id),
  hold AS (
    INSERT INTO reservations (reservation_id, team_id, job_id, call_id, amount, expires_at)
    SELECT $5, $2, $1, $6, $4, now() + make_interval(secs => $7) FROM team
    RETURNING reservation_id)
  SELECT CASE WHEN (SELECT count(*) FROM job) = 0 THEN 0
              ELSE 1 / (SELECT count(*)::int FROM hold) END AS admitted`;

/**
 * A settlement as one statement (parameters: see \`settle\`). \`held\` reads the hold and the team's
 * available balance under row locks; the new amount is min(actual, hold + available).
 */
const SETTLE_SQL = `WITH recorded AS (
    INSERT INTO calls (call_id, job_id, team_id, key_id, requested_model, model_group, deployment_alias, provider, provider_model, attempts,
      status, stream, prompt_tokens, completion_tokens, cached_tokens, total_tokens, usage_source, provider_cost_nanos, client_cost_nanos,
      unpriced, latency_ms, ttft_ms, purpose, request_body, response_body, error, created_at, finished_at)
    VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28)),
  attempts AS (
    INSERT INTO call_attempts (call_id, attempt_number, deployment_alias, provider, status, http_status, error_class, error_message, latency_ms, started_at)
    SELECT $1, a.attempt_number, a.deployment_alias, a.provider, a.status, a.http_status, a.error_class, a.error_message, a.latency_ms, a.started_at
      FROM jsonb_to_recordset($29::jsonb) AS a(attempt_number int, deployment_alias text, provider text, status text, http_status int,
        error_class text, error_message text, latency_ms int, started_at timestamptz)),
  job AS (
    UPDATE jobs SET in_flight_calls = in_flight_calls - 1, pending_cost_nanos = pending_cost_nanos - $30,
           total_calls = total_calls + 1, successful_calls = successful_calls + $31, failed_calls = failed_calls + $32,
           prompt_tokens = prompt_tokens + $13, completion_tokens = completion_tokens + $14, total_tokens = total_tokens + $16,
           provider_cost_nanos = provider_cost_nanos + $18, client_cost_nanos = client_cost_nanos + $19, total_latency_ms = total_latency_ms + $21,
           model_groups_used = CASE WHEN $33::text IS NULL OR $33::text = ANY(model_groups_used) THEN model_groups_used ELSE array_append(model_groups_used, $33::text) END,
           metadata = CASE WHEN $34::jsonb IS NULL THEN metadata ELSE metadata || $34::jsonb END
     WHERE job_id = $2
     RETURNING job_id),
  held AS (
    SELECT r.amount, t.credits_allocated - t.credits_used - t.credits_reserved AS available
      FROM reservations r, teams t
     WHERE r.reservation_id = $35 AND r.status = 'held' AND t.team_id = $3 AND EXISTS (SELECT 1 FROM job)
       FOR NO KEY UPDATE),
  hold AS (
    UPDATE reservations r SET amount = LEAST($36::bigint, held.amount + GREATEST(0, held.available))
      FROM held WHERE r.reservation_id = $35
    RETURNING r.amount - held.amount AS change),
  team AS (
    UPDATE teams SET credits_reserved = credits_reserved + hold.change FROM hold WHERE team_id = $3
    RETURNING team_id)
  SELECT (SELECT count(*) FROM job) AS jobs, (SELECT count(*) FROM team) AS teams`;

interface CallRow {
  call_id: string; job_id: string; team_id: string; key_id: string | null; requested_model: string; model_group: string | null;
  deployment_alias: string | null; provider: string | null; provider_model: string | null; attempts: number; status: CallRecord['status'];
  stream: boolean; prompt_tokens: number; completion_tokens: number; cached_tokens: number; total_tokens: number;
  usage_source: CallRecord['usageSource']; provider_cost_nanos: number; client_cost_nanos: number; unpriced: boolean;
  latency_ms: number | null; ttft_ms: number | null; purpose: string | null; request_body: unknown; response_body: unknown;
  error: CallRecord['error']; created_at: Date; finished_at: Date | null;
}

interface AttemptRow {
  attempt_number: number; deployment_alias: string; provider: string; status: AttemptRecord['status']; http_status: number | null;
  error_class: string | null; error_message: string | null; latency_ms: number; started_at: Date;
}

/** Calls in PostgreSQL: admission and settlement are one statement each in the steady state. */
export class CallRepository implements CallStore {
  constructor(private readonly db: Database, private readonly holdTtlSeconds: number) {}

  /**
   * One statement when the call is admitted (the steady state); the transaction below only when it is
   * not, to tell why — or to admit it after all if the job or balance changed in between.
   */
  async admit(request: AdmissionRequest): Promise<AdmissionOutcome> {
    const reservationId = request.holdMicro > 0 ? crypto.randomUUID() : null;
    try {
      const rows = reservationId === null
        ? await this.db.query<{ admitted: number }>(ADMIT_SQL, [request.jobId, request.teamId, request.worstCostNanos])
        : await this.db.query<{ admitted: number }>(ADMIT_AND_HOLD_SQL,
          [request.jobId, request.teamId, request.worstCostNanos, request.holdMicro, reservationId, request.callId, this.holdTtlSeconds]);
      if (rows[0]?.admitted === 1) return { kind: 'admitted', admission: { ...request, reservationId } };
    } catch (error) {
      // The statement aborts itself (division by zero) when the job admitted the call but the credits
      // could not be held: nothing was applied, and the transaction below says why.
      if (pgErrorCode(error) !== PG_DIVISION_BY_ZERO) throw error;
    }
    return this.admitOrExplain(request);
  }

  /** The admission as a transaction of small steps, each telling which check failed. */
  private async admitOrExplain(request: AdmissionRequest): Promise<AdmissionOutcome> {
    return this.db.transaction<AdmissionOutcome>(async (tx) => {
      const admitted = await tx.query<{ job_id: string }>(
        `UPDATE jobs SET status = CASE WHEN status = 'pending' THEN 'in_progress' ELSE status END,
                started_at = COALESCE(started_at, now()),
                in_flight_calls = in_flight_calls + 1,
                pending_cost_nanos = pending_cost_nanos + $3
          WHERE job_id = $1 AND team_id = $2 AND status IN ('pending', 'in_progress') AND expires_at > now()
            AND (max_calls IS NULL OR total_calls + in_flight_calls < max_calls)
            AND (max_cost_nanos IS NULL OR client_cost_nanos + pending_cost_nanos + $3 <= max_cost_nanos)
          RETURNING job_id`,
        [request.jobId, request.teamId, request.worstCostNanos],
      );
      if (admitted.length === 0) {
        const rows = await tx.query<{ team_id: string; status: string; expires_at: Date; max_calls: number | null; total_calls: number; in_flight_calls: number; max_cost_nanos: number | null; client_cost_nanos: number; pending_cost_nanos: number }>(
          'SELECT team_id, status, expires_at, max_calls, total_calls, in_flight_calls, max_cost_nanos, client_cost_nanos, pending_cost_nanos FROM jobs WHERE job_id = $1', [request.jobId]);
        const job = rows[0];
        if (!job || job.team_id !== request.teamId) return { kind: 'job_not_found' };
        if (job.status !== 'pending' && job.status !== 'in_progress') return { kind: 'job_closed', status: job.status };
        if (job.expires_at.getTime() <= Date.now()) return { kind: 'job_closed', status: 'expired' };
        if (job.max_calls !== null && job.total_calls + job.in_flight_calls >= job.max_calls) return { kind: 'max_calls', maxCalls: job.max_calls };
        return { kind: 'max_cost', maxCostNanos: job.max_cost_nanos ?? 0, spentNanos: job.client_cost_nanos + job.pending_cost_nanos };
      }
      let reservationId: string | null = null;
      if (request.holdMicro > 0) {
        const held = await tx.query<{ team_id: string }>(
          `UPDATE teams SET credits_reserved = credits_reserved + $2
            WHERE team_id = $1 AND credits_allocated - credits_used - credits_reserved >= $2 RETURNING team_id`,
          [request.teamId, request.holdMicro]);
        if (held.length === 0) {
          const team = await tx.query<{ available: number }>('SELECT credits_allocated - credits_used - credits_reserved AS available FROM teams WHERE team_id = $1', [request.teamId]);
          // Undo the job admission: this transaction commits nothing when credits are short.
          throw new InsufficientCreditsSignal(team[0]?.available ?? 0);
        }
        reservationId = crypto.randomUUID();
        await tx.query(
          `INSERT INTO reservations (reservation_id, team_id, job_id, call_id, amount, expires_at) VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
          [reservationId, request.teamId, request.jobId, request.callId, request.holdMicro, this.holdTtlSeconds]);
      }
      const admission: CallAdmission = { ...request, reservationId };
      return { kind: 'admitted', admission };
    }).catch((error: unknown): AdmissionOutcome => {
      if (error instanceof InsufficientCreditsSignal) return { kind: 'insufficient_credits', availableMicro: error.availableMicro };
      throw error;
    });
  }

  /**
   * One statement: the call and its attempts inserted, the job's totals updated, the hold shrunk to what
   * the call consumed (bounded by what is available: a balance never goes negative). Rows are locked in the
   * order every other money path uses — job, then reservation, then team — because the select list pulls
   * `job` before `team`, and `held` waits for `job`.
   */
  async settle(call: CallRecord, admission: CallAdmission, actualHoldMicro: number, callMetadata: Record<string, unknown> | null): Promise<void> {
    const succeeded = call.status === 'succeeded';
    const attempts = call.attempts.map((attempt) => ({
      attempt_number: attempt.attemptNumber, deployment_alias: attempt.deploymentAlias, provider: attempt.provider, status: attempt.status,
      http_status: attempt.httpStatus, error_class: attempt.errorClass, error_message: attempt.errorMessage, latency_ms: attempt.latencyMs,
      started_at: attempt.startedAt.toISOString(),
    }));
    await this.db.query(SETTLE_SQL, [
      call.callId, call.jobId, call.teamId, call.keyId, call.requestedModel, call.modelGroup, call.deploymentAlias, call.provider, call.providerModel,
      call.attempts.length, call.status, call.stream, call.promptTokens, call.completionTokens, call.cachedTokens, call.totalTokens, call.usageSource,
      call.providerCostNanos, call.clientCostNanos, call.unpriced, call.latencyMs, call.ttftMs, call.purpose,
      call.requestBody === undefined ? null : JSON.stringify(call.requestBody), call.responseBody === undefined ? null : JSON.stringify(call.responseBody),
      call.error ? JSON.stringify(call.error) : null, call.createdAt, call.finishedAt,
      JSON.stringify(attempts), admission.worstCostNanos, succeeded ? 1 : 0, succeeded ? 0 : 1, call.modelGroup ?? call.requestedModel,
      succeeded && callMetadata ? JSON.stringify(callMetadata) : null, admission.reservationId, actualHoldMicro,
    ]);
  }

  async get(callId: string): Promise<CallRecord | null> {
    const rows = await this.db.query<CallRow>('SELECT * FROM calls WHERE call_id = $1', [callId]);
    const row = rows[0];
    if (!row) return null;
    const attempts = await this.db.query<AttemptRow>('SELECT * FROM call_attempts WHERE call_id = $1 ORDER BY attempt_number', [callId]);
    return {
      callId: row.call_id, jobId: row.job_id, teamId: row.team_id, keyId: row.key_id, requestedModel: row.requested_model, modelGroup: row.model_group,
      deploymentAlias: row.deployment_alias, provider: row.provider, providerModel: row.provider_model,
      attempts: attempts.map((attempt) => ({
        attemptNumber: attempt.attempt_number, deploymentAlias: attempt.deployment_alias, provider: attempt.provider, status: attempt.status,
        httpStatus: attempt.http_status, errorClass: attempt.error_class, errorMessage: attempt.error_message, latencyMs: attempt.latency_ms, startedAt: attempt.started_at,
      })),
      status: row.status, stream: row.stream, promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, cachedTokens: row.cached_tokens,
      totalTokens: row.total_tokens, usageSource: row.usage_source, providerCostNanos: row.provider_cost_nanos, clientCostNanos: row.client_cost_nanos,
      unpriced: row.unpriced, latencyMs: row.latency_ms ?? 0, ttftMs: row.ttft_ms, purpose: row.purpose, requestBody: row.request_body,
      responseBody: row.response_body, error: row.error, createdAt: row.created_at, finishedAt: row.finished_at ?? row.created_at,
    };
  }
}

/** Rolls back an admission whose credit hold failed. */
class InsufficientCreditsSignal extends Error {
  constructor(readonly availableMicro: number) {
    super('insufficient credits');
  }
}
