import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant, ledgerState } from './helpers/tenant-factory.ts';

describe('job lifecycle and credits', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('create answers the seed client\'s four fields; the job reads back; team_id of another team is 403', async () => {
    const tenant = await createTenant(gateway);
    const created = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { team_id: tenant.teamId, job_type: 'resume_parse', metadata: { a: 1 } } });
    assert.equal(created.status, 200);
    for (const field of ['job_id', 'team_id', 'status', 'created_at']) assert.equal(typeof created.body[field], 'string');
    assert.equal(created.body.status, 'pending');
    const read = await gateway.request(`/api/jobs/${created.body.job_id}`, { headers: tenant.auth });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.metadata, { a: 1 });
    const mismatch = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { team_id: 'someone-else', job_type: 'x' } });
    assert.equal(mismatch.status, 403);
    assert.equal(mismatch.body.error.code, 'team_mismatch');
  });

  test('malformed bodies are 400 naming the field; bad UUIDs are 400; unknown jobs 404', async () => {
    const tenant = await createTenant(gateway);
    const missing = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { metadata: {} } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.param, 'job_type');
    const broken = await gateway.request('/api/jobs/create', { headers: { ...tenant.auth, 'content-type': 'application/json' }, body: '{"job_type":' });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'invalid_request');
    const badId = await gateway.request('/api/jobs/not-a-uuid', { headers: tenant.auth });
    assert.equal(badId.status, 400);
    const unknown = await gateway.request(`/api/jobs/${crypto.randomUUID()}`, { headers: tenant.auth });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'job_not_found');
  });

  test('another team\'s job is 404 as if it did not exist', async () => {
    const alice = await createTenant(gateway);
    const bob = await createTenant(gateway);
    const job = await gateway.request('/api/jobs/create', { headers: alice.auth, body: { job_type: 'x' } });
    for (const path of [`/api/jobs/${job.body.job_id}`, `/api/jobs/${job.body.job_id}/costs`]) {
      const read = await gateway.request(path, { headers: bob.auth });
      assert.equal(read.status, 404, path);
    }
    const complete = await gateway.request(`/api/jobs/${job.body.job_id}/complete`, { headers: bob.auth, body: { status: 'completed' } });
    assert.equal(complete.status, 404);
  });

  test('Idempotency-Key returns the same job', async () => {
    const tenant = await createTenant(gateway);
    const headers = { ...tenant.auth, 'idempotency-key': 'order-42' };
    const [first, second] = await Promise.all([
      gateway.request('/api/jobs/create', { headers, body: { job_type: 'x' } }),
      gateway.request('/api/jobs/create', { headers, body: { job_type: 'x' } }),
    ]);
    assert.equal(first.status, 200);
    assert.equal(second.body.job_id, first.body.job_id);
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.heldReservations, 1);
  });

  test('completion charges exactly once and is idempotent; a different final status is 409', async () => {
    const tenant = await createTenant(gateway, { credits: 5 });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    const path = `/api/jobs/${job.body.job_id}/complete`;
    const [first, again] = await Promise.all([
      gateway.request(path, { headers: tenant.auth, body: { status: 'completed', result: { ok: true } } }),
      gateway.request(path, { headers: tenant.auth, body: { status: 'completed', result: { ok: true } } }),
    ]);
    assert.equal(first.status, 200);
    assert.equal(again.status, 200);
    assert.equal(first.body.costs.credits_charged, 1);
    assert.equal(first.body.costs.credit_applied, true);
    assert.equal(first.body.costs.credits_remaining, 4);
    assert.deepEqual(again.body.costs, first.body.costs);
    const conflict = await gateway.request(path, { headers: tenant.auth, body: { status: 'failed' } });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error.code, 'job_state_conflict');
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.remainingMicro, 4_000_000);
    assert.equal(state.ledgerSumMicro, state.remainingMicro);
    assert.equal(state.reservedMicro, 0);
  });

  test('a failed job is free under the default policy; metadata patch merges', async () => {
    const tenant = await createTenant(gateway, { credits: 2 });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x', metadata: { a: 1 } } });
    const merged = await gateway.request(`/api/jobs/${job.body.job_id}/metadata`, { method: 'PATCH', headers: tenant.auth, body: { metadata: { b: 2 } } });
    assert.deepEqual(merged.body.metadata, { a: 1, b: 2 });
    const failed = await gateway.request(`/api/jobs/${job.body.job_id}/complete`, { headers: tenant.auth, body: { status: 'failed', error_message: 'parser broke' } });
    assert.equal(failed.body.costs.credits_charged, 0);
    assert.equal(failed.body.costs.credits_remaining, 2);
    const read = await gateway.request(`/api/jobs/${job.body.job_id}`, { headers: tenant.auth });
    assert.equal(read.body.status, 'failed');
    assert.equal(read.body.error_message, 'parser broke');
  });

  test('no credit available: creating a job is 402 with available and required amounts', async () => {
    const tenant = await createTenant(gateway, { credits: 1 });
    const first = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    assert.equal(first.status, 200);
    const second = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    assert.equal(second.status, 402);
    assert.equal(second.body.error.code, 'insufficient_credits');
    assert.equal(second.body.error.credits_available, 0);
    assert.equal(second.body.error.credits_required, 1);
    assert.equal(second.body.detail, second.body.error.message);
  });

  test('200 parallel job creations on a team with 50 credits: exactly 50 succeed, the rest get 402', async () => {
    const tenant = await createTenant(gateway, { credits: 50 });
    const results = await Promise.all(Array.from({ length: 200 }, () => gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'race' } })));
    const created = results.filter((result) => result.status === 200);
    assert.equal(created.length, 50);
    assert.equal(results.filter((result) => result.status === 402).length, 150);
    const closes = await Promise.all(created.map((result) => gateway.request(`/api/jobs/${result.body.job_id}/complete`, { headers: tenant.auth, body: { status: 'completed' } })));
    assert.ok(closes.every((result) => result.status === 200));
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.remainingMicro, 0);
    assert.equal(state.ledgerSumMicro, state.remainingMicro);
    assert.equal(state.heldReservations, 0);
    assert.equal(state.reservedMicro, 0);
    const [deductions] = await gateway.container.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM credit_transactions WHERE team_id = $1 AND type = 'deduction'`, [tenant.teamId]);
    assert.equal(deductions!.count, 50);
  });

  test('20 parallel completes of one job charge it once', async () => {
    const tenant = await createTenant(gateway, { credits: 3 });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    const closes = await Promise.all(Array.from({ length: 20 }, () => gateway.request(`/api/jobs/${job.body.job_id}/complete`, { headers: tenant.auth, body: { status: 'completed' } })));
    assert.ok(closes.every((result) => result.status === 200));
    assert.ok(closes.every((result) => result.body.costs.credits_charged === 1));
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.remainingMicro, 2_000_000);
    assert.equal(state.ledgerSumMicro, state.remainingMicro);
    assert.equal(state.reservedMicro, 0);
  });

  test('suspended and paused teams cannot open jobs but can read their history', async () => {
    const tenant = await createTenant(gateway);
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    for (const [action, code] of [['suspend', 'team_suspended'], ['pause', 'team_paused']] as const) {
      const changed = await gateway.admin(`/api/teams/${tenant.teamId}/${action}`, { method: 'PUT' });
      assert.equal(changed.status, 200);
      gateway.container.teamStanding.invalidate(tenant.teamId);
      const refused = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, code);
      const read = await gateway.request(`/api/jobs/${job.body.job_id}`, { headers: tenant.auth });
      assert.equal(read.status, 200);
    }
  });

  test('team jobs listing pages newest first with a cursor', async () => {
    const tenant = await createTenant(gateway);
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: index % 2 ? 'odd' : 'even' } });
      ids.push(job.body.job_id);
    }
    const first = await gateway.request(`/api/teams/${tenant.teamId}/jobs?limit=2`, { headers: tenant.auth });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.jobs.map((job: { job_id: string }) => job.job_id), [ids[4], ids[3]]);
    const second = await gateway.request(`/api/teams/${tenant.teamId}/jobs?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`, { headers: tenant.auth });
    assert.deepEqual(second.body.jobs.map((job: { job_id: string }) => job.job_id), [ids[2], ids[1]]);
    const odd = await gateway.request(`/api/teams/${tenant.teamId}/jobs?job_type=odd`, { headers: tenant.auth });
    assert.equal(odd.body.jobs.length, 2);
  });
});

describe('authentication failures are throttled per address', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('after 100 invalid keys from one address, even a valid key waits (429 with Retry-After)', async () => {
    const tenant = await createTenant(gateway);
    const wrong = await Promise.all(Array.from({ length: 100 }, (_, index) => gateway.request('/api/jobs/create', { headers: { authorization: `Bearer sk-sl-guess${index}` }, body: { job_type: 'x' } })));
    assert.ok(wrong.every((response) => response.status === 401));
    const throttled = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.body.error.code, 'rate_limited');
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
  });
});
