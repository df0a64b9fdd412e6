import type { AdmissionOutcome } from '../domain/calls.ts';
import { DomainError } from '../domain/errors.ts';
import { MICRO_PER_CREDIT, nanosToUsd } from '../domain/money.ts';

/** The tenant-facing error of a refused admission (job gone or closed, job budget, team credits). */
export function admissionError(outcome: Exclude<AdmissionOutcome, { kind: 'admitted' }>, jobId: string, teamId: string, holdMicro: number): DomainError {
  switch (outcome.kind) {
    case 'job_not_found':
      return new DomainError('job_not_found', `Job '${jobId}' was not found.`);
    case 'job_closed':
      return new DomainError('job_closed', `Job '${jobId}' is ${outcome.status}; no more calls can be made in it.`);
    case 'max_calls':
      return new DomainError('job_budget_exceeded', `Job '${jobId}' has reached its max_calls of ${outcome.maxCalls}.`, 'max_calls');
    case 'max_cost':
      return new DomainError('job_budget_exceeded', `This call could take job '${jobId}' past its max_cost_usd of ${nanosToUsd(outcome.maxCostNanos)} (already spent or held: ${nanosToUsd(outcome.spentNanos)}).`, 'max_cost_usd');
    case 'insufficient_credits': {
      const available = outcome.availableMicro / MICRO_PER_CREDIT;
      const required = holdMicro / MICRO_PER_CREDIT;
      return new DomainError('insufficient_credits', `Team '${teamId}' has ${available} credits available; this call needs up to ${required}.`, null,
        { credits_available: available, credits_required: required });
    }
  }
}
