import type { BudgetMode, FailedJobPolicy } from '@saas-llm/protocol';
import { MICRO_PER_CREDIT } from './money.ts';

/** The credit settings of a team that decide what its work costs. */
export interface CreditTerms {
  budgetMode: BudgetMode;
  failedJobPolicy: FailedJobPolicy;
  /** Credits per USD of client cost, with up to 6 decimals. */
  creditsPerDollar: number;
  tokensPerCredit: number;
}

export type FinalJobStatus = 'completed' | 'failed' | 'cancelled' | 'expired';

const NANOS_PER_USD = 1_000_000_000n;
const SCALE = 1_000_000n; // creditsPerDollar is scaled to an integer with 6 decimals

/** Consumption of some work in micro-credits, exact, before any minimum or flooring. */
export function consumptionMicro(terms: CreditTerms, clientCostNanos: number, totalTokens: number): bigint {
  switch (terms.budgetMode) {
    case 'consumption_usd': {
      // nanos × (cpd × 1e6) / 1e9 = micro-credits × 1e6 / 1e6 … keep every factor integral.
      const cpdScaled = BigInt(Math.round(terms.creditsPerDollar * 1e6));
      return (BigInt(clientCostNanos) * cpdScaled * BigInt(MICRO_PER_CREDIT)) / (NANOS_PER_USD * SCALE);
    }
    case 'consumption_tokens':
      return (BigInt(totalTokens) * BigInt(MICRO_PER_CREDIT)) / BigInt(terms.tokensPerCredit);
    case 'job_based':
      return 0n;
  }
}

/**
 * What a job costs when it closes, in micro-credits (03-domain.md, "What a job costs when it closes").
 * Completed: 1 credit (job_based) or max(1, floor(consumption)). Failed, cancelled or expired: nothing under
 * `free`; under `consumption`, the floored consumption without the 1-credit minimum — for job_based,
 * whose consumption is the flat credit, that is 1 credit when the job made at least one call.
 */
export function jobChargeMicro(terms: CreditTerms, status: FinalJobStatus, usage: { clientCostNanos: number; totalTokens: number; totalCalls: number }): number {
  const credit = BigInt(MICRO_PER_CREDIT);
  if (status === 'completed') {
    if (terms.budgetMode === 'job_based') return MICRO_PER_CREDIT;
    const whole = consumptionMicro(terms, usage.clientCostNanos, usage.totalTokens) / credit;
    return Number((whole < 1n ? 1n : whole) * credit);
  }
  if (terms.failedJobPolicy === 'free') return 0;
  if (terms.budgetMode === 'job_based') return usage.totalCalls > 0 ? MICRO_PER_CREDIT : 0;
  return Number((consumptionMicro(terms, usage.clientCostNanos, usage.totalTokens) / credit) * credit);
}

/** A call's hold in micro-credits for its worst case (rounded up so the hold never undershoots). */
export function callHoldMicro(terms: CreditTerms, worstClientCostNanos: number, worstTotalTokens: number): number {
  switch (terms.budgetMode) {
    case 'job_based':
      return 0;
    case 'consumption_usd': {
      const cpdScaled = BigInt(Math.round(terms.creditsPerDollar * 1e6));
      const numerator = BigInt(worstClientCostNanos) * cpdScaled * BigInt(MICRO_PER_CREDIT);
      const denominator = NANOS_PER_USD * SCALE;
      return Number((numerator + denominator - 1n) / denominator);
    }
    case 'consumption_tokens': {
      const numerator = BigInt(worstTotalTokens) * BigInt(MICRO_PER_CREDIT);
      const denominator = BigInt(terms.tokensPerCredit);
      return Number((numerator + denominator - 1n) / denominator);
    }
  }
}
