import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant, ledgerState } from './helpers/tenant-factory.ts';
import { startSecondInstance } from './helpers/second-instance.ts';

const ask = (content: string) => ({ messages: [{ role: 'user', content }] });

describe('job API: limits, usage, budget modes, sweepers, two instances', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  async function call(auth: Record<string, string>, jobId: string, group: string, extra: Record<string, unknown> = {}) {
    return gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: auth, body: { model: group, ...ask('Count to five'), ...extra } });
  }

  test('team RPM limit: 429 rate_limited with Retry-After and x-ratelimit headers', async () => {
    const tenant = await createTenant(gateway, { team: { rpm_limit: 2 } });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    const first = await call(tenant.auth, job.body.job_id, tenant.group);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit-requests'), null, 'headers ride on refusals; successes are plain');
    await call(tenant.auth, job.body.job_id, tenant.group);
    const limited = await call(tenant.auth, job.body.job_id, tenant.group);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.headers.get('x-ratelimit-limit-requests'), '2');
    assert.equal(limited.headers.get('x-ratelimit-remaining-requests'), '0');
  });

  test('team usage: summary, job types, model groups and the daily series', async () => {
    const tenant = await createTenant(gateway, { credits: 20 });
    for (const jobType of ['parse', 'parse', 'chat']) {
      const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: jobType } });
      await call(tenant.auth, job.body.job_id, tenant.group);
      await gateway.request(`/api/jobs/${job.body.job_id}/complete`, { headers: tenant.auth, body: { status: jobType === 'chat' ? 'failed' : 'completed' } });
    }
    const today = new Date().toISOString().slice(0, 10);
    const usage = await gateway.request(`/api/teams/${tenant.teamId}/usage?period=${today.slice(0, 7)}`, { headers: tenant.auth });
    assert.equal(usage.status, 200, JSON.stringify(usage.body));
    assert.equal(usage.body.summary.total_jobs, 3);
    assert.equal(usage.body.summary.successful_jobs, 2);
    assert.equal(usage.body.summary.failed_jobs, 1);
    assert.equal(usage.body.summary.total_calls, 3);
    assert.equal(usage.body.summary.credits_used, 2);
    assert.ok(usage.body.summary.total_cost_usd > 0);
    assert.equal(usage.body.job_types.parse.count, 2);
    assert.equal(usage.body.model_groups[tenant.group].calls, 3);
    assert.equal(usage.body.daily.length, 1);
    assert.equal(usage.body.daily[0].date, today);
    const daily = await gateway.request(`/api/teams/${tenant.teamId}/usage?period=${today}`, { headers: tenant.auth });
    assert.equal(daily.body.summary.total_jobs, 3);
    const bad = await gateway.request(`/api/teams/${tenant.teamId}/usage?period=2026-13`, { headers: tenant.auth });
    assert.equal(bad.status, 400);
  });

  test('consumption_usd with a markup: the job costs max(1, floor(client cost × credits_per_dollar))', async () => {
    const tenant = await createTenant(gateway, {
      credits: 1000, budgetMode: 'consumption_usd', markup: 100, team: { credits_per_dollar: 100000 },
      deployments: [{ input_price_per_million: 10, output_price_per_million: 30 }],
    });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    const answer = await call(tenant.auth, job.body.job_id, tenant.group, { max_tokens: 100 });
    assert.equal(answer.status, 200);
    const { prompt_tokens: prompt, completion_tokens: completion } = answer.body.usage;
    const providerNanos = prompt * 10_000 + completion * 30_000; // nano-dollars at $10 / $30 per 1M
    const clientUsd = (providerNanos * 2) / 1e9;
    assert.ok(Math.abs(answer.body.metadata.cost_usd - clientUsd) < 1e-12);
    const closed = await gateway.request(`/api/jobs/${job.body.job_id}/complete`, { headers: tenant.auth, body: { status: 'completed' } });
    assert.equal(closed.body.costs.credits_charged, Math.max(1, Math.floor((providerNanos * 2) / 10_000))); // nanos × 1e5 credits/USD ÷ 1e9
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.ledgerSumMicro, state.remainingMicro);
    assert.equal(state.reservedMicro, 0);
  });

  test('the sweeper closes expired jobs, releases their holds and stale call holds, and refills once per period', async () => {
    const tenant = await createTenant(gateway, { credits: 5 });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x', ttl_seconds: 60 } });
    // A hold left behind by a "crashed" call: admitted, never settled.
    const admitted = await gateway.container.calls.admit({ callId: crypto.randomUUID(), jobId: job.body.job_id, teamId: tenant.teamId, worstCostNanos: 0, holdMicro: 500_000 });
    assert.equal(admitted.kind, 'admitted');
    assert.equal((await ledgerState(gateway, tenant.teamId)).reservedMicro, 1_500_000);
    const refill = await gateway.admin(`/api/credits/teams/${tenant.teamId}/configure-auto-refill`, { body: { enabled: true, refill_amount: 3, refill_period: 'monthly' } });
    assert.equal(refill.status, 200, JSON.stringify(refill.body));

    const later = new Date(Date.now() + 2 * 3600 * 1000);
    const first = await gateway.container.sweepers.runOnce(later);
    assert.ok(first.expiredJobs >= 1);
    const second = await gateway.container.sweepers.runOnce(later);
    assert.equal(second.expiredJobs, 0);
    const read = await gateway.request(`/api/jobs/${job.body.job_id}`, { headers: tenant.auth });
    assert.equal(read.body.status, 'expired');
    assert.equal(read.body.credit_applied, false);
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.reservedMicro, 0);
    assert.equal(state.heldReservations, 0);
    assert.equal(state.remainingMicro, 8_000_000, '5 credits + one monthly refill of 3, once');
    assert.equal(state.ledgerSumMicro, state.remainingMicro);
    const closed = await gateway.request(`/api/jobs/${job.body.job_id}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('x') } });
    assert.equal(closed.status, 409);
  });

  test('two gateway instances on one database: concurrent jobs never overspend and the ledger holds', async () => {
    const tenant = await createTenant(gateway, { credits: 6 });
    const { app: second, url: secondUrl } = await startSecondInstance(gateway);
    try {
      const create = (base: string) => fetch(`${base}/api/jobs/create`, { method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, body: JSON.stringify({ job_type: 'race' }) })
        .then(async (response) => ({ status: response.status, body: await response.json() as any, base }));
      const results = await Promise.all(Array.from({ length: 20 }, (_, index) => create(index % 2 ? secondUrl : gateway.url)));
      const opened = results.filter((result) => result.status === 200);
      assert.equal(opened.length, 6);
      await Promise.all(opened.map((result) => fetch(`${result.base === gateway.url ? secondUrl : gateway.url}/api/jobs/${result.body.job_id}/complete`, {
        method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'completed' }),
      })));
      const state = await ledgerState(gateway, tenant.teamId);
      assert.equal(state.remainingMicro, 0);
      assert.equal(state.ledgerSumMicro, 0);
      assert.equal(state.reservedMicro, 0);
    } finally {
      await second.close();
    }
  });
});
