import type { AdmissionOutcome, AttemptRecord, CallAdmission, CallRecord, CallStore } from '../domain/calls.ts';
import type { Database } from './database.ts';
import { CallWriteQueue, type SettlementItem, type WriteQueueLogger } from './call-write-queue.ts';
import { LocalCallAccounting } from './local-call-accounting.ts';
import type { CallJournal } from './call-journal.ts';

type AdmissionRequest = { callId: string; jobId: string; teamId: string; worstCostNanos: number; holdMicro: number };

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

/**
 * Calls in PostgreSQL. Admissions and settlements go through the write queue, which groups the calls of
 * the moment into one statement each (decision 010); a settlement is acknowledged to the caller at once
 * and written with its batch. On embedded PGlite they are decided in memory and written behind
 * (`LocalCallAccounting`, decision 012).
 */
export class CallRepository implements CallStore {
  private readonly queue: CallWriteQueue | LocalCallAccounting;

  /** `journal`: where each settlement is appended before its answer goes out (decision 014); none in tests over in-memory databases. */
  constructor(private readonly db: Database, holdTtlSeconds: number, log?: WriteQueueLogger, private readonly journal: CallJournal | null = null) {
    this.queue = LocalCallAccounting.attach(db, holdTtlSeconds, log) ?? new CallWriteQueue(db, holdTtlSeconds, log);
  }

  async admit(request: AdmissionRequest): Promise<AdmissionOutcome> {
    const reservationId = request.holdMicro > 0 ? crypto.randomUUID() : null;
    const verdict = await this.queue.admit({
      call_id: request.callId, job_id: request.jobId, team_id: request.teamId, worst_cost_nanos: request.worstCostNanos,
      hold_micro: request.holdMicro, reservation_id: reservationId,
    });
    switch (verdict.kind) {
      case 'admitted': return { kind: 'admitted', admission: { ...request, reservationId } };
      case 'job_not_found': return { kind: 'job_not_found' };
      case 'job_closed': return { kind: 'job_closed', status: verdict.status };
      case 'max_calls': return { kind: 'max_calls', maxCalls: verdict.max_calls };
      case 'max_cost': return { kind: 'max_cost', maxCostNanos: verdict.max_cost_nanos, spentNanos: verdict.spent_nanos };
      case 'insufficient_credits': return { kind: 'insufficient_credits', availableMicro: verdict.available_micro };
    }
  }

  /**
   * Queues the settlement: the call and its attempts inserted, the job's totals updated, the hold shrunk to
   * what the call consumed (bounded by what is available: a balance never goes negative). Journaled before
   * this returns, so the answer that follows is never lost to a crash. Resolves once written.
   */
  settle(call: CallRecord, admission: CallAdmission, actualHoldMicro: number, callMetadata: Record<string, unknown> | null): Promise<void> {
    const succeeded = call.status === 'succeeded';
    const item: SettlementItem = {
      call: {
        call_id: call.callId, job_id: call.jobId, team_id: call.teamId, key_id: call.keyId, requested_model: call.requestedModel, model_group: call.modelGroup,
        deployment_alias: call.deploymentAlias, provider: call.provider, provider_model: call.providerModel, attempts: call.attempts.length,
        status: call.status, stream: call.stream, prompt_tokens: call.promptTokens, completion_tokens: call.completionTokens, cached_tokens: call.cachedTokens,
        total_tokens: call.totalTokens, usage_source: call.usageSource, provider_cost_nanos: call.providerCostNanos, client_cost_nanos: call.clientCostNanos,
        unpriced: call.unpriced, latency_ms: call.latencyMs, ttft_ms: call.ttftMs, purpose: call.purpose,
        request_body: call.requestBody ?? null, response_body: call.responseBody ?? null, error: call.error, created_at: call.createdAt, finished_at: call.finishedAt,
      },
      attempts: call.attempts.map((attempt) => ({
        attempt_number: attempt.attemptNumber, deployment_alias: attempt.deploymentAlias, provider: attempt.provider, status: attempt.status,
        http_status: attempt.httpStatus, error_class: attempt.errorClass, error_message: attempt.errorMessage, latency_ms: attempt.latencyMs,
        started_at: attempt.startedAt,
      })),
      worst_cost_nanos: admission.worstCostNanos, succeeded, model_group: call.modelGroup ?? call.requestedModel,
      metadata: succeeded ? callMetadata : null, reservation_id: admission.reservationId, actual_hold_micro: admission.reservationId ? actualHoldMicro : 0,
    };
    const journal = this.journal;
    if (!journal) return this.queue.settle(item);
    const mark = journal.record({ settlement: item, hold_micro: admission.holdMicro });
    const written = this.queue.settle(item);
    if (mark) {
      const release = () => journal.written(mark);
      written.then(release, release);
    }
    return written;
  }

  settled(): Promise<void> | null {
    return this.queue.settled();
  }

  async get(callId: string): Promise<CallRecord | null> {
    await this.queue.settled();
    const rows = await this.db.query<CallRow>('SELECT * FROM calls WHERE call_id = $1', [callId]);
    const row = rows[0];
    if (!row) return null;
    const attempts = await this.db.query<AttemptRow>('SELECT * FROM call_attempts WHERE call_id = $1 ORDER BY attempt_number', [callId]);
    return {
      callId: row.call_id, jobId: row.job_id, teamId: row.team_id, keyId: row.key_id, requestedModel: row.requested_model, modelGroup: row.model_group,
      deploymentAlias: row.deployment_alias, provider: row.provider, providerModel: row.provider_model,
      attempts: attempts.map((attempt) => ({
        attemptNumber: attempt.attempt_number, deploymentAlias: attempt.deployment_alias, provider: attempt.provider, status: attempt.status,
        httpStatus: attempt.http_status, errorClass: attempt.error_class, errorMessage: attempt.error_message, latencyMs: attempt.latency_ms, durationMs: attempt.latency_ms, startedAt: attempt.started_at,
      })),
      status: row.status, stream: row.stream, promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, cachedTokens: row.cached_tokens,
      totalTokens: row.total_tokens, usageSource: row.usage_source, providerCostNanos: row.provider_cost_nanos, clientCostNanos: row.client_cost_nanos,
      unpriced: row.unpriced, latencyMs: row.latency_ms ?? 0, ttftMs: row.ttft_ms, purpose: row.purpose, requestBody: row.request_body,
      responseBody: row.response_body, error: row.error, createdAt: row.created_at, finishedAt: row.finished_at ?? row.created_at,
    };
  }
}
