import type { JobCosts } from '@saas-llm/protocol';
import type { CallSummary, JobRecord } from '../../../domain/jobs.ts';
import { microToCredits, nanosToUsd } from '../../../domain/money.ts';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** Totals of a job's calls, as every job view shows them (live while open). */
function callTotals(job: JobRecord) {
  return {
    total_calls: job.totalCalls,
    successful_calls: job.successfulCalls,
    failed_calls: job.failedCalls,
    prompt_tokens: job.promptTokens,
    completion_tokens: job.completionTokens,
    total_tokens: job.totalTokens,
    total_cost_usd: nanosToUsd(job.clientCostNanos),
    avg_latency_ms: job.totalCalls > 0 ? Math.round(job.totalLatencyMs / job.totalCalls) : 0,
    credits_charged: microToCredits(job.creditsChargedMicro),
  };
}

/** The job summary of `complete`/`cancel`: totals, what it was charged, the team's remaining credits. */
export function jobCosts(job: JobRecord, remainingMicro: number | null): JobCosts & { credits_remaining: number } {
  return {
    ...callTotals(job),
    credit_applied: job.creditApplied,
    credits_remaining: remainingMicro === null ? 0 : microToCredits(remainingMicro),
  };
}

export function callSummaryView(call: CallSummary) {
  return {
    call_id: call.callId,
    purpose: call.purpose,
    model_group: call.modelGroup,
    status: call.status,
    prompt_tokens: call.promptTokens,
    completion_tokens: call.completionTokens,
    total_tokens: call.totalTokens,
    cost_usd: nanosToUsd(call.clientCostNanos),
    latency_ms: call.latencyMs,
    error: call.error ?? null,
  };
}

/** `POST /api/jobs/create` answer (the four fields the seed client requires, plus the rest). */
export function createdJobView(job: JobRecord) {
  return {
    job_id: job.jobId,
    team_id: job.teamId,
    job_type: job.jobType,
    status: job.status,
    created_at: job.createdAt.toISOString(),
    expires_at: job.expiresAt.toISOString(),
    metadata: job.metadata,
    user_id: job.userId,
    max_cost_usd: job.maxCostNanos === null ? null : nanosToUsd(job.maxCostNanos),
    max_calls: job.maxCalls,
  };
}

/** `GET /api/jobs/{id}`: the job with live totals while open. */
export function jobView(job: JobRecord) {
  return {
    job_id: job.jobId,
    team_id: job.teamId,
    user_id: job.userId,
    job_type: job.jobType,
    status: job.status,
    created_at: job.createdAt.toISOString(),
    started_at: iso(job.startedAt),
    completed_at: iso(job.completedAt),
    expires_at: job.expiresAt.toISOString(),
    metadata: job.metadata,
    result: job.result ?? null,
    error_message: job.errorMessage,
    credit_applied: job.creditApplied,
    model_groups_used: job.modelGroupsUsed,
    max_cost_usd: job.maxCostNanos === null ? null : nanosToUsd(job.maxCostNanos),
    max_calls: job.maxCalls,
    costs: { ...callTotals(job), in_flight_calls: job.inFlightCalls },
  };
}

/** `complete`/`cancel` answer. */
export function closedJobView(job: JobRecord, calls: CallSummary[], remainingMicro: number) {
  return {
    job_id: job.jobId,
    status: job.status,
    completed_at: iso(job.completedAt),
    costs: jobCosts(job, remainingMicro),
    calls: calls.map(callSummaryView),
  };
}
