import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callHoldMicro, jobChargeMicro, type CreditTerms } from './job-charge.ts';

const base: CreditTerms = { budgetMode: 'job_based', failedJobPolicy: 'free', creditsPerDollar: 10, tokensPerCredit: 10_000 };
const usage = (clientCostNanos: number, totalTokens: number, totalCalls = 1) => ({ clientCostNanos, totalTokens, totalCalls });

test('job_based: a completed job costs 1 credit whatever it consumed', () => {
  assert.equal(jobChargeMicro(base, 'completed', usage(5_000_000_000, 1_000_000)), 1_000_000);
  assert.equal(jobChargeMicro(base, 'completed', usage(0, 0, 0)), 1_000_000);
});

test('consumption_usd: max(1, floor(cost × credits_per_dollar))', () => {
  const terms = { ...base, budgetMode: 'consumption_usd' as const };
  assert.equal(jobChargeMicro(terms, 'completed', usage(0, 10)), 1_000_000); // minimum
  assert.equal(jobChargeMicro(terms, 'completed', usage(349_999_999, 10)), 3_000_000); // $0.35 × 10 = 3.49… → 3
  assert.equal(jobChargeMicro(terms, 'completed', usage(1_000_000_000, 10)), 10_000_000);
  assert.equal(jobChargeMicro({ ...terms, creditsPerDollar: 2.5 }, 'completed', usage(4_000_000_000, 10)), 10_000_000);
});

test('consumption_tokens: max(1, floor(tokens / tokens_per_credit))', () => {
  const terms = { ...base, budgetMode: 'consumption_tokens' as const };
  assert.equal(jobChargeMicro(terms, 'completed', usage(0, 9_999)), 1_000_000);
  assert.equal(jobChargeMicro(terms, 'completed', usage(0, 25_000)), 2_000_000);
});

test('failed jobs: free policy costs nothing; consumption policy drops the minimum', () => {
  for (const status of ['failed', 'cancelled', 'expired'] as const) {
    assert.equal(jobChargeMicro({ ...base, budgetMode: 'consumption_tokens' }, status, usage(0, 25_000)), 0);
    const consumption = { ...base, budgetMode: 'consumption_tokens' as const, failedJobPolicy: 'consumption' as const };
    assert.equal(jobChargeMicro(consumption, status, usage(0, 25_000)), 2_000_000);
    assert.equal(jobChargeMicro(consumption, status, usage(0, 9_999)), 0);
    assert.equal(jobChargeMicro({ ...base, failedJobPolicy: 'consumption' }, status, usage(0, 0, 0)), 0);
    assert.equal(jobChargeMicro({ ...base, failedJobPolicy: 'consumption' }, status, usage(0, 10, 1)), 1_000_000);
  }
});

test('call holds round up and are zero in job_based mode', () => {
  assert.equal(callHoldMicro(base, 1_000_000_000, 1000), 0);
  assert.equal(callHoldMicro({ ...base, budgetMode: 'consumption_usd' }, 1, 0), 1); // 1 nano-dollar → rounds up to 1 micro-credit
  assert.equal(callHoldMicro({ ...base, budgetMode: 'consumption_usd' }, 100_000_000, 0), 1_000_000); // $0.10 × 10 = 1 credit
  assert.equal(callHoldMicro({ ...base, budgetMode: 'consumption_tokens' }, 0, 15_000), 1_500_000);
  assert.equal(callHoldMicro({ ...base, budgetMode: 'consumption_tokens', tokensPerCredit: 3 }, 0, 1), 333_334);
});
