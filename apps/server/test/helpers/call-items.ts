import type { AdmissionItem, SettlementItem } from '../../src/storage/call-write-queue.ts';

// Elements of the write queue's statements (migrations 0002/0003) for tests that drive it directly.

export function admission(jobId: string, teamId: string, holdMicro: number): AdmissionItem {
  return { call_id: crypto.randomUUID(), job_id: jobId, team_id: teamId, worst_cost_nanos: 1000, hold_micro: holdMicro, reservation_id: holdMicro > 0 ? crypto.randomUUID() : null };
}

export function settlement(item: AdmissionItem, actualHoldMicro: number): SettlementItem {
  const now = new Date();
  return {
    call: {
      call_id: item.call_id, job_id: item.job_id, team_id: item.team_id, key_id: null, requested_model: 'm', model_group: 'm', deployment_alias: 'd', provider: 'mock',
      provider_model: 'mock-1', attempts: 1, status: 'succeeded', stream: false, prompt_tokens: 3, completion_tokens: 4, cached_tokens: 0, total_tokens: 7,
      usage_source: 'reported', provider_cost_nanos: 10, client_cost_nanos: 12, unpriced: false, latency_ms: 5, ttft_ms: null, purpose: null,
      request_body: null, response_body: null, error: null, created_at: now, finished_at: now,
    },
    attempts: [{ attempt_number: 1, deployment_alias: 'd', provider: 'mock', status: 'succeeded', http_status: 200, error_class: null, error_message: null, latency_ms: 5, started_at: now }],
    worst_cost_nanos: item.worst_cost_nanos, succeeded: true, model_group: 'm', metadata: null, reservation_id: item.reservation_id, actual_hold_micro: actualHoldMicro,
  };
}
