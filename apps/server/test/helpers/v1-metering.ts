import assert from 'node:assert/strict';
import type { Tenant } from './tenant-factory.ts';
import { ledgerState } from './tenant-factory.ts';
import type { TestGateway } from './test-gateway.ts';

export interface MeteredCall {
  callId: string;
  status: string;
  stream: boolean;
  totalTokens: number;
  clientCostNanos: number;
  errorCode: string | null;
}

export interface MeteredJob {
  jobId: string;
  jobType: string;
  status: string;
  /** Micro-credits. */
  creditsCharged: number;
  clientCostNanos: number;
  totalTokens: number;
  calls: MeteredCall[];
}

/** Every job of a team with its calls, oldest first, read straight from the database. */
export async function teamJobs(gateway: TestGateway, teamId: string): Promise<MeteredJob[]> {
  const jobs = await gateway.container.db.query<{ job_id: string; job_type: string; status: string; credits_charged: number; client_cost_nanos: number; total_tokens: number }>(
    'SELECT job_id, job_type, status, credits_charged, client_cost_nanos, total_tokens FROM jobs WHERE team_id = $1 ORDER BY created_at, job_id', [teamId]);
  const result: MeteredJob[] = [];
  for (const job of jobs) {
    const calls = await gateway.container.db.query<{ call_id: string; status: string; stream: boolean; total_tokens: number; client_cost_nanos: number; error: { code: string } | null }>(
      'SELECT call_id, status, stream, total_tokens, client_cost_nanos, error FROM calls WHERE job_id = $1 ORDER BY created_at, call_id', [job.job_id]);
    result.push({
      jobId: job.job_id, jobType: job.job_type, status: job.status, creditsCharged: Number(job.credits_charged),
      clientCostNanos: Number(job.client_cost_nanos), totalTokens: Number(job.total_tokens),
      calls: calls.map((call) => ({
        callId: call.call_id, status: call.status, stream: call.stream, totalTokens: Number(call.total_tokens),
        clientCostNanos: Number(call.client_cost_nanos), errorCode: call.error?.code ?? null,
      })),
    });
  }
  return result;
}

/**
 * Asserts the money of a tenant after SDK calls, each in its own automatic job: every job is completed with
 * one succeeded call that cost something, the ledger sums to the balance, nothing stays reserved, and the
 * balance moved by one credit per job (job_based, the factory's default mode).
 */
export async function assertAutomaticJobsCharged(gateway: TestGateway, tenant: Tenant, expected: { jobs: number; jobType?: string; streamed?: number; creditsBefore?: number }) {
  const jobs = await teamJobs(gateway, tenant.teamId);
  assert.equal(jobs.length, expected.jobs, JSON.stringify(jobs));
  for (const job of jobs) {
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.jobType, expected.jobType ?? 'api');
    assert.equal(job.calls.length, 1, JSON.stringify(job));
    assert.equal(job.calls[0]!.status, 'succeeded');
    assert.ok(job.calls[0]!.totalTokens > 0 && job.calls[0]!.clientCostNanos > 0, `call is metered with its cost: ${JSON.stringify(job.calls[0])}`);
    assert.equal(job.clientCostNanos, job.calls[0]!.clientCostNanos);
    assert.equal(job.creditsCharged, 1_000_000, 'a completed job costs 1 credit in job_based mode');
  }
  if (expected.streamed !== undefined) assert.equal(jobs.filter((job) => job.calls[0]!.stream).length, expected.streamed);
  const state = await ledgerState(gateway, tenant.teamId);
  assert.equal(state.reservedMicro, 0, 'no hold is left behind');
  assert.equal(state.ledgerSumMicro, state.remainingMicro);
  assert.equal(state.remainingMicro, ((expected.creditsBefore ?? 100) - expected.jobs) * 1_000_000);
  return jobs;
}
