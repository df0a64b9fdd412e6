import type { AdmissionOutcome, AttemptRecord, CallAdmission, CallRecord, CallStore } from '../domain/calls.ts';
import type { Database } from './database.ts';

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

/** Calls in PostgreSQL: admission and settlement are one transaction each. */
export class CallRepository implements CallStore {
  constructor(private readonly db: Database, private readonly holdTtlSeconds: number) {}

  async admit(request: { callId: string; jobId: string; teamId: string; worstCostNanos: number; holdMicro: number }): Promise<AdmissionOutcome> {
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

  async settle(call: CallRecord, admission: CallAdmission, actualHoldMicro: number, callMetadata: Record<string, unknown> | null): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO calls (call_id, job_id, team_id, key_id, requested_model, model_group, deployment_alias, provider, provider_model, attempts,
           status, stream, prompt_tokens, completion_tokens, cached_tokens, total_tokens, usage_source, provider_cost_nanos, client_cost_nanos,
           unpriced, latency_ms, ttft_ms, purpose, request_body, response_body, error, created_at, finished_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28)`,
        [call.callId, call.jobId, call.teamId, call.keyId, call.requestedModel, call.modelGroup, call.deploymentAlias, call.provider, call.providerModel,
          call.attempts.length, call.status, call.stream, call.promptTokens, call.completionTokens, call.cachedTokens, call.totalTokens, call.usageSource,
          call.providerCostNanos, call.clientCostNanos, call.unpriced, call.latencyMs, call.ttftMs, call.purpose,
          call.requestBody === undefined ? null : JSON.stringify(call.requestBody), call.responseBody === undefined ? null : JSON.stringify(call.responseBody),
          call.error ? JSON.stringify(call.error) : null, call.createdAt, call.finishedAt]);
      for (const attempt of call.attempts) {
        await tx.query(
          `INSERT INTO call_attempts (call_id, attempt_number, deployment_alias, provider, status, http_status, error_class, error_message, latency_ms, started_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
          [call.callId, attempt.attemptNumber, attempt.deploymentAlias, attempt.provider, attempt.status, attempt.httpStatus, attempt.errorClass,
            attempt.errorMessage, attempt.latencyMs, attempt.startedAt]);
      }
      const succeeded = call.status === 'succeeded';
      await tx.query(
        `UPDATE jobs SET in_flight_calls = in_flight_calls - 1, pending_cost_nanos = pending_cost_nanos - $2,
                total_calls = total_calls + 1, successful_calls = successful_calls + $3, failed_calls = failed_calls + $4,
                prompt_tokens = prompt_tokens + $5, completion_tokens = completion_tokens + $6, total_tokens = total_tokens + $7,
                provider_cost_nanos = provider_cost_nanos + $8, client_cost_nanos = client_cost_nanos + $9, total_latency_ms = total_latency_ms + $10,
                model_groups_used = CASE WHEN $11::text IS NULL OR $11::text = ANY(model_groups_used) THEN model_groups_used ELSE array_append(model_groups_used, $11::text) END,
                metadata = CASE WHEN $12::jsonb IS NULL THEN metadata ELSE metadata || $12::jsonb END
          WHERE job_id = $1`,
        [call.jobId, admission.worstCostNanos, succeeded ? 1 : 0, succeeded ? 0 : 1, call.promptTokens, call.completionTokens, call.totalTokens,
          call.providerCostNanos, call.clientCostNanos, call.latencyMs, call.modelGroup ?? call.requestedModel,
          succeeded && callMetadata ? JSON.stringify(callMetadata) : null]);
      if (admission.reservationId) {
        // Row locks here are FOR NO KEY UPDATE: the call and attempt inserts above hold FOR KEY SHARE on the
        // team and job rows (foreign keys), which a plain FOR UPDATE would wait on — a deadlock between settlements.
        // Shrink the hold to what the call really consumed. If the job was closed meanwhile the hold is
        // already released; then nothing changes here.
        const held = await tx.query<{ amount: number }>(
          `SELECT amount FROM reservations WHERE reservation_id = $1 AND status = 'held' FOR NO KEY UPDATE`, [admission.reservationId]);
        if (held[0]) {
          const team = await tx.query<{ available: number }>(
            'SELECT credits_allocated - credits_used - credits_reserved AS available FROM teams WHERE team_id = $1 FOR NO KEY UPDATE', [call.teamId]);
          // Growing a hold beyond its worst case is bounded by what is available: the balance never goes negative.
          const target = Math.min(actualHoldMicro, held[0].amount + Math.max(0, team[0]?.available ?? 0));
          await tx.query('UPDATE reservations SET amount = $2 WHERE reservation_id = $1', [admission.reservationId, target]);
          await tx.query('UPDATE teams SET credits_reserved = credits_reserved + $2 WHERE team_id = $1', [call.teamId, target - held[0].amount]);
        }
      }
    });
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
