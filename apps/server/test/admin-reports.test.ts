import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';

interface SeedCall {
  team: string;
  group: string;
  deployment: string | null;
  status: 'succeeded' | 'failed';
  latencyMs: number;
  providerNanos: number;
  clientNanos: number;
  tokens: [prompt: number, completion: number];
  at: string;
  attempts?: Array<{ deployment: string; status: 'succeeded' | 'failed'; httpStatus: number | null; errorClass?: string; latencyMs: number }>;
}

/**
 * Seeds organizations, teams, jobs, calls and attempts with SQL: the job API writes these rows in
 * production; here the tests own exactly what is there.
 */
describe('admin jobs, analytics and dashboard over seeded rows', () => {
  let gateway: TestGateway;
  const sql = (text: string, params: unknown[] = []) => gateway.container.db.query(text, params);

  const seedTeam = async (organizationId: string, teamId: string, allocatedCredits = 0, usedCredits = 0) => {
    await sql('INSERT INTO organizations (organization_id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING', [organizationId]);
    await sql('INSERT INTO teams (team_id, organization_id, name, credits_allocated, credits_used) VALUES ($1, $2, $1, $3, $4)',
      [teamId, organizationId, allocatedCredits * 1e6, usedCredits * 1e6]);
  };
  const seedJob = async (teamId: string, jobType: string, status: string, createdAt: string, calls: SeedCall[] = [], jobId = randomUUID()) => {
    const sum = (pick: (call: SeedCall) => number) => calls.reduce((total, call) => total + pick(call), 0);
    await sql(
      `INSERT INTO jobs (job_id, team_id, job_type, status, created_at, expires_at, metadata, total_calls, successful_calls, failed_calls,
         prompt_tokens, completion_tokens, total_tokens, provider_cost_nanos, client_cost_nanos, credits_charged, model_groups_used)
       VALUES ($1, $2, $3, $4, $5, $5::timestamptz + interval '1 hour', '{"source":"seed"}', $6, $7, $8, $9, $10, $9::bigint + $10::bigint, $11, $12, $13, $14)`,
      [jobId, teamId, jobType, status, createdAt, calls.length, calls.filter((call) => call.status === 'succeeded').length,
        calls.filter((call) => call.status === 'failed').length, sum((call) => call.tokens[0]), sum((call) => call.tokens[1]),
        sum((call) => call.providerNanos), sum((call) => call.clientNanos), status === 'completed' ? 1_000_000 : 0, [...new Set(calls.map((call) => call.group))]],
    );
    for (const call of calls) {
      const callId = randomUUID();
      const attempts = call.attempts ?? [{ deployment: call.deployment ?? 'none', status: call.status, httpStatus: call.status === 'succeeded' ? 200 : 500, latencyMs: call.latencyMs }];
      await sql(
        `INSERT INTO calls (call_id, job_id, team_id, requested_model, model_group, deployment_alias, provider, provider_model, attempts, status,
           prompt_tokens, completion_tokens, total_tokens, usage_source, provider_cost_nanos, client_cost_nanos, latency_ms, request_body, response_body, created_at)
         VALUES ($1, $2, $3, $4, $4, $5, 'mock', $6, $7, $8, $9, $10, $9::int + $10::int, 'reported', $11, $12, $13, $14::jsonb, $15::jsonb, $16)`,
        [callId, jobId, teamId, call.group, call.deployment, call.deployment ? `${call.deployment}-model` : null, attempts.length, call.status,
          call.tokens[0], call.tokens[1], call.providerNanos, call.clientNanos, call.latencyMs,
          JSON.stringify({ messages: [{ role: 'user', content: 'hello' }] }), JSON.stringify({ choices: [{ message: { content: 'hi' } }] }), call.at],
      );
      for (const [index, attempt] of attempts.entries()) {
        await sql(
          `INSERT INTO call_attempts (call_id, attempt_number, deployment_alias, provider, status, http_status, error_class, latency_ms, started_at)
           VALUES ($1, $2, $3, 'mock', $4, $5, $6, $7, $8)`,
          [callId, index + 1, attempt.deployment, attempt.status, attempt.httpStatus, attempt.errorClass ?? null, attempt.latencyMs, call.at],
        );
      }
    }
    return jobId;
  };

  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('job detail shows every call with deployment, provider model, attempts, both costs, margin and bodies', async () => {
    await seedTeam('org-detail', 'team-detail');
    const at = '2025-03-01T10:00:00.000Z';
    const jobId = await seedJob('team-detail', 'resume_parse', 'completed', at, [
      {
        team: 'team-detail', group: 'chat-fast', deployment: 'dep-b', status: 'succeeded', latencyMs: 900, providerNanos: 1_234_567, clientNanos: 1_481_480, tokens: [100, 20], at,
        attempts: [
          { deployment: 'dep-a', status: 'failed', httpStatus: 503, errorClass: 'upstream_unavailable', latencyMs: 300 },
          { deployment: 'dep-b', status: 'succeeded', httpStatus: 200, latencyMs: 600 },
        ],
      },
      { team: 'team-detail', group: 'chat-fast', deployment: 'dep-b', status: 'succeeded', latencyMs: 400, providerNanos: 1_000, clientNanos: 1_200, tokens: [10, 5], at: '2025-03-01T10:00:01.000Z' },
    ]);
    const detail = await gateway.admin(`/api/admin/jobs/${jobId}`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.organization_id, 'org-detail');
    assert.equal(detail.body.provider_cost_usd, 0.001235567);
    assert.equal(detail.body.client_cost_usd, 0.00148268);
    assert.equal(detail.body.margin_usd, 0.000247113);
    assert.equal(detail.body.credits_charged, 1);
    assert.deepEqual(detail.body.model_groups_used, ['chat-fast']);
    assert.equal(detail.body.calls.length, 2);
    const [first] = detail.body.calls;
    assert.equal(first.deployment, 'dep-b');
    assert.equal(first.provider_model, 'dep-b-model');
    assert.equal(first.provider_cost_usd, 0.001234567);
    assert.equal(first.client_cost_usd, 0.00148148);
    assert.equal(first.margin_usd, 0.000246913);
    assert.equal(first.attempt_count, 2);
    assert.deepEqual(first.attempts.map((attempt: { deployment: string; http_status: number; status: string }) => [attempt.deployment, attempt.status, attempt.http_status]),
      [['dep-a', 'failed', 503], ['dep-b', 'succeeded', 200]]);
    assert.equal(first.attempts[0].error_class, 'upstream_unavailable');
    assert.deepEqual(first.request_body, { messages: [{ role: 'user', content: 'hello' }] });
    assert.deepEqual(first.response_body, { choices: [{ message: { content: 'hi' } }] });

    const missing = await gateway.admin(`/api/admin/jobs/${randomUUID()}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'job_not_found');
    assert.equal((await gateway.admin('/api/admin/jobs/not-a-uuid')).status, 400);
  });

  test('job list: filters, newest first, a cursor that never skips or repeats (even on equal timestamps)', async () => {
    await seedTeam('org-list', 'team-list-a');
    await seedTeam('org-list', 'team-list-b');
    const sameInstant = '2025-04-02T08:00:00.123456Z';
    const tied = new Set<string>();
    for (let index = 0; index < 5; index += 1) tied.add(await seedJob('team-list-a', 'chat', 'completed', sameInstant));
    const newest = await seedJob('team-list-a', 'extract', 'failed', '2025-04-03T08:00:00Z');
    const oldest = await seedJob('team-list-a', 'chat', 'pending', '2025-04-01T08:00:00Z');
    const otherTeam = await seedJob('team-list-b', 'chat', 'completed', '2025-04-02T09:00:00Z');

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await gateway.admin(`/api/admin/jobs?team_id=team-list-a&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.jobs.length <= 2);
      seen.push(...page.body.jobs.map((job: { job_id: string }) => job.job_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.equal(seen.length, 7);
    assert.equal(new Set(seen).size, 7);
    assert.equal(seen[0], newest);
    assert.equal(seen[6], oldest);
    assert.deepEqual(seen.slice(1, 6), [...tied].sort().reverse());

    const byOrganization = await gateway.admin('/api/admin/jobs?organization_id=org-list&limit=500');
    assert.equal(byOrganization.body.jobs.length, 8);
    assert.ok(byOrganization.body.jobs.some((job: { job_id: string }) => job.job_id === otherTeam));
    const failed = await gateway.admin('/api/admin/jobs?organization_id=org-list&status=failed');
    assert.deepEqual(failed.body.jobs.map((job: { job_id: string }) => job.job_id), [newest]);
    const extract = await gateway.admin('/api/admin/jobs?organization_id=org-list&job_type=extract');
    assert.deepEqual(extract.body.jobs.map((job: { job_id: string }) => job.job_id), [newest]);
    const window = await gateway.admin(`/api/admin/jobs?organization_id=org-list&from=${encodeURIComponent('2025-04-02T00:00:00Z')}&to=${encodeURIComponent('2025-04-02T23:59:59Z')}`);
    assert.equal(window.body.jobs.length, 6);
    assert.equal((await gateway.admin('/api/admin/jobs?cursor=garbage')).status, 400);
    assert.equal((await gateway.admin('/api/admin/jobs?status=nope')).status, 400);
  });

  test('analytics: calls, jobs, tokens, costs, margin, error rate and percentiles per group and in total', async () => {
    await seedTeam('org-stats', 'team-s1');
    await seedTeam('org-stats', 'team-s2');
    await seedTeam('org-elsewhere', 'team-other');
    const call = (team: string, latencyMs: number, at: string, overrides: Partial<SeedCall> = {}): SeedCall => ({
      team, group: 'chat-fast', deployment: 'dep-fast', status: 'succeeded', latencyMs, providerNanos: 1_000_000, clientNanos: 1_500_000, tokens: [100, 50], at, ...overrides,
    });
    const day1 = '2025-05-01T10:00:00Z';
    const day2 = '2025-05-02T10:00:00Z';
    await seedJob('team-s1', 'chat', 'completed', day1, [call('team-s1', 100, day1), call('team-s1', 200, day1), call('team-s1', 300, day1, { status: 'failed' })]);
    await seedJob('team-s1', 'extract', 'completed', day2, [call('team-s1', 400, day2), call('team-s1', 500, day2, { group: 'chat-quality', deployment: 'dep-quality', providerNanos: 3_000_000, clientNanos: 4_000_000 })]);
    await seedJob('team-s2', 'chat', 'completed', day2, [call('team-s2', 1000, day2)]);
    await seedJob('team-other', 'chat', 'completed', day2, [call('team-other', 9999, day2)]);
    const range = `from=${encodeURIComponent('2025-05-01T00:00:00Z')}&to=${encodeURIComponent('2025-05-03T00:00:00Z')}`;

    const byTeam = await gateway.admin(`/api/admin/analytics?organization_id=org-stats&group_by=team&${range}`);
    assert.equal(byTeam.status, 200);
    assert.equal(byTeam.body.group_by, 'team');
    assert.deepEqual(byTeam.body.groups.map((group: { key: string }) => group.key), ['team-s1', 'team-s2']);
    const s1 = byTeam.body.groups[0];
    assert.equal(s1.calls, 5);
    assert.equal(s1.jobs, 2);
    assert.equal(s1.failed_calls, 1);
    assert.equal(s1.error_rate, 0.2);
    assert.equal(s1.total_tokens, 750);
    assert.equal(s1.provider_cost_usd, 0.007);
    assert.equal(s1.client_cost_usd, 0.01);
    assert.equal(s1.margin_usd, 0.003);
    assert.equal(s1.latency_p50_ms, 300);
    assert.equal(s1.latency_p95_ms, 480);
    const totals = byTeam.body.totals;
    assert.equal(totals.calls, 6);
    assert.equal(totals.jobs, 3);
    assert.equal(totals.latency_p50_ms, 350);
    assert.equal(totals.margin_usd, 0.0035);

    const byDay = await gateway.admin(`/api/admin/analytics?team_id=team-s1&group_by=day&${range}`);
    assert.deepEqual(byDay.body.groups.map((group: { key: string; calls: number }) => [group.key, group.calls]), [['2025-05-01', 3], ['2025-05-02', 2]]);
    const byModel = await gateway.admin(`/api/admin/analytics?organization_id=org-stats&group_by=model_group&${range}`);
    assert.deepEqual(byModel.body.groups.map((group: { key: string; calls: number }) => [group.key, group.calls]), [['chat-fast', 5], ['chat-quality', 1]]);
    const byDeployment = await gateway.admin(`/api/admin/analytics?organization_id=org-stats&group_by=deployment&${range}`);
    assert.deepEqual(byDeployment.body.groups.map((group: { key: string; margin_usd: number }) => [group.key, group.margin_usd]), [['dep-fast', 0.0025], ['dep-quality', 0.001]]);
    const byJobType = await gateway.admin(`/api/admin/analytics?organization_id=org-stats&group_by=job_type&${range}`);
    assert.deepEqual(byJobType.body.groups.map((group: { key: string; jobs: number }) => [group.key, group.jobs]), [['chat', 2], ['extract', 1]]);

    const empty = await gateway.admin(`/api/admin/analytics?organization_id=org-stats&from=${encodeURIComponent('2020-01-01T00:00:00Z')}&to=${encodeURIComponent('2020-01-02T00:00:00Z')}`);
    assert.deepEqual(empty.body.groups, []);
    assert.equal(empty.body.totals.calls, 0);
    assert.equal(empty.body.totals.latency_p50_ms, null);
    const defaults = await gateway.admin('/api/admin/analytics');
    assert.equal(defaults.body.group_by, 'day');
    assert.equal(Date.parse(defaults.body.to) - Date.parse(defaults.body.from), 30 * 24 * 3600 * 1000);
    assert.equal((await gateway.admin(`/api/admin/analytics?from=${encodeURIComponent('2025-05-03T00:00:00Z')}&to=${encodeURIComponent('2025-05-01T00:00:00Z')}`)).status, 400);
    assert.equal((await gateway.admin('/api/admin/analytics?group_by=planet')).status, 400);
  });

  test('dashboard counts organizations, teams, today\'s jobs, calls and cost, and credits outstanding', async () => {
    const before = (await gateway.admin('/api/stats/dashboard')).body;
    await seedTeam('org-dash', 'team-dash-1', 100, 30);
    await seedTeam('org-dash', 'team-dash-2', 50, 0);
    await sql("UPDATE teams SET status = 'suspended' WHERE team_id = 'team-dash-2'");
    const now = new Date().toISOString();
    await seedJob('team-dash-1', 'chat', 'in_progress', now, [
      { team: 'team-dash-1', group: 'chat-fast', deployment: 'dep', status: 'succeeded', latencyMs: 10, providerNanos: 2_000_000, clientNanos: 2_500_000, tokens: [10, 10], at: now },
      { team: 'team-dash-1', group: 'chat-fast', deployment: 'dep', status: 'failed', latencyMs: 10, providerNanos: 0, clientNanos: 0, tokens: [0, 0], at: now },
    ]);
    const after = await gateway.admin('/api/stats/dashboard');
    assert.equal(after.status, 200);
    const delta = (field: string) => Math.round((after.body[field] - before[field]) * 1e9) / 1e9;
    assert.equal(delta('organizations'), 1);
    assert.equal(delta('teams'), 2);
    assert.equal(delta('active_teams'), 1);
    assert.equal(delta('open_jobs'), 1);
    assert.equal(delta('jobs_today'), 1);
    assert.equal(delta('calls_today'), 2);
    assert.equal(delta('failed_calls_today'), 1);
    assert.equal(delta('tokens_today'), 20);
    assert.equal(delta('provider_cost_usd_today'), 0.002);
    assert.equal(delta('client_cost_usd_today'), 0.0025);
    assert.equal(delta('margin_usd_today'), 0.0005);
    assert.equal(delta('credits_outstanding'), 120);
    assert.ok(Math.abs(Date.parse(after.body.as_of) - Date.now()) < 60_000);
  });
});
