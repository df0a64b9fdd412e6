import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { assertError, bearer, createOrganization, createTeam, seedJob, uniqueId } from './helpers/tenancy-fixtures.ts';

describe('organizations (admin API)', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('create through /create and the REST form, show, list, update', async () => {
    const first = uniqueId('org');
    const created = await gateway.admin('/api/organizations/create', { body: { organization_id: first, name: 'Acme', metadata: { tier: 'gold' } } });
    assert.equal(created.status, 200);
    assert.equal(created.body.organization_id, first);
    assert.equal(created.body.name, 'Acme');
    assert.equal(created.body.status, 'active');
    assert.deepEqual(created.body.metadata, { tier: 'gold' });
    assert.equal(created.body.team_count, 0);
    assert.ok(!Number.isNaN(Date.parse(created.body.created_at)));

    const second = uniqueId('org');
    const rest = await gateway.admin('/api/organizations', { body: { organization_id: second, name: 'Beta', status: 'inactive' } });
    assert.equal(rest.status, 200);
    assert.equal(rest.body.status, 'inactive');

    const shown = await gateway.admin(`/api/organizations/${first}`);
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body, created.body);

    const listed = await gateway.admin('/api/organizations');
    assert.equal(listed.status, 200);
    const ids = listed.body.organizations.map((organization: any) => organization.organization_id);
    assert.ok(ids.includes(first) && ids.includes(second));

    const updated = await gateway.admin(`/api/organizations/${first}`, { method: 'PUT', body: { name: 'Acme Corp', metadata: { tier: 'platinum' } } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.name, 'Acme Corp');
    assert.deepEqual(updated.body.metadata, { tier: 'platinum' });
    assert.equal(updated.body.status, 'active');
    assert.ok(Date.parse(updated.body.updated_at) >= Date.parse(created.body.updated_at));
  });

  test('a duplicate id is 409 conflict; an unknown one is 404', async () => {
    const organizationId = await createOrganization(gateway);
    assertError(await gateway.admin('/api/organizations', { body: { organization_id: organizationId, name: 'again' } }), 409, 'conflict');
    assertError(await gateway.admin(`/api/organizations/${uniqueId('missing')}`), 404, 'not_found');
    assertError(await gateway.admin(`/api/organizations/${uniqueId('missing')}`, { method: 'PUT', body: { name: 'x' } }), 404, 'not_found');
  });

  test('malformed input is 400 invalid_request naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ organization_id: uniqueId('org') }, 'name'],
      [{ organization_id: 'has spaces', name: 'x' }, 'organization_id'],
      [{ organization_id: uniqueId('org'), name: 42 }, 'name'],
      [{ organization_id: uniqueId('org'), name: 'x', status: 'gone' }, 'status'],
      [{ organization_id: uniqueId('org'), name: 'x', surprise: true }, 'surprise'],
      [{ organization_id: uniqueId('org'), name: 'x', metadata: [1, 2] }, 'metadata'],
    ];
    for (const [body, field] of cases) {
      const message = assertError(await gateway.admin('/api/organizations/create', { body }), 400, 'invalid_request');
      assert.match(message, new RegExp(field), `${JSON.stringify(body)} → ${message}`);
    }
    assertError(await gateway.admin('/api/organizations/create', { body: '{"organization_id": ' }), 400, 'invalid_request');
    assertError(await gateway.admin('/api/organizations/create', { method: 'POST' }), 400, 'invalid_request');
    const organizationId = await createOrganization(gateway);
    assert.match(assertError(await gateway.admin(`/api/organizations/${organizationId}?force=maybe`, { method: 'DELETE' }), 400, 'invalid_request'), /force/);
    assert.match(assertError(await gateway.admin(`/api/organizations/${organizationId}/usage?from=yesterday`), 400, 'invalid_request'), /from/);
    assert.match(assertError(await gateway.admin(`/api/organizations/${organizationId}`, { method: 'PUT', body: { organization_id: 'other' } }), 400, 'invalid_request'), /organization_id/);
  });

  test("an organization's teams, and its usage aggregated from its teams' jobs", async () => {
    const organizationId = await createOrganization(gateway);
    const alpha = await createTeam(gateway, { organization_id: organizationId });
    const beta = await createTeam(gateway, { organization_id: organizationId });
    const outsider = await createTeam(gateway);

    const teams = await gateway.admin(`/api/organizations/${organizationId}/teams`);
    assert.equal(teams.status, 200);
    assert.deepEqual(teams.body.teams.map((team: any) => team.team_id).sort(), [alpha.teamId, beta.teamId].sort());
    assert.equal((await gateway.admin(`/api/organizations/${organizationId}`)).body.team_count, 2);

    const empty = await gateway.admin(`/api/organizations/${organizationId}/usage`);
    assert.equal(empty.status, 200);
    assert.equal(empty.body.summary.total_jobs, 0);
    assert.deepEqual(empty.body.summary.jobs_by_status, {});

    await seedJob(gateway, alpha.teamId, { status: 'completed', totalTokens: 100, providerCostNanos: 1_000_000, clientCostNanos: 1_500_000, calls: 2 });
    await seedJob(gateway, alpha.teamId, { status: 'failed', totalTokens: 10, providerCostNanos: 100_000, clientCostNanos: 150_000 });
    await seedJob(gateway, beta.teamId, { status: 'completed', totalTokens: 50, providerCostNanos: 500_000, clientCostNanos: 750_000 });
    await seedJob(gateway, outsider.teamId, { status: 'completed', totalTokens: 999 });

    const usage = await gateway.admin(`/api/organizations/${organizationId}/usage`);
    assert.equal(usage.status, 200);
    assert.equal(usage.body.summary.total_jobs, 3);
    assert.deepEqual(usage.body.summary.jobs_by_status, { completed: 2, failed: 1 });
    assert.equal(usage.body.summary.total_calls, 4);
    assert.equal(usage.body.summary.total_tokens, 160);
    assert.equal(usage.body.summary.provider_cost_usd, 0.0016);
    assert.equal(usage.body.summary.client_cost_usd, 0.0024);
    assert.equal(usage.body.summary.margin_usd, 0.0008);
    const alphaUsage = usage.body.teams.find((team: any) => team.team_id === alpha.teamId);
    assert.equal(alphaUsage.total_jobs, 2);
    assert.equal(alphaUsage.total_tokens, 110);

    const future = await gateway.admin(`/api/organizations/${organizationId}/usage?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    assert.equal(future.body.summary.total_jobs, 0);
    assertError(await gateway.admin(`/api/organizations/${organizationId}/usage?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z`), 400, 'invalid_request');
  });

  test('delete: soft, refused with teams unless forced; force deletes the teams and stops their keys', async () => {
    const lonely = await createOrganization(gateway);
    const deletedEmpty = await gateway.admin(`/api/organizations/${lonely}`, { method: 'DELETE' });
    assert.equal(deletedEmpty.status, 200);
    assert.equal(deletedEmpty.body.deleted, true);
    assertError(await gateway.admin(`/api/organizations/${lonely}`), 404, 'not_found');
    assertError(await gateway.admin(`/api/organizations/${lonely}`, { method: 'DELETE' }), 404, 'not_found');
    // The id stays taken: history may still point at it.
    assertError(await gateway.admin('/api/organizations', { body: { organization_id: lonely, name: 'again' } }), 409, 'conflict');

    const organizationId = await createOrganization(gateway);
    const team = await createTeam(gateway, { organization_id: organizationId });
    assert.equal((await gateway.request('/api/teams', { headers: bearer(team.key) })).status, 200);
    const refused = await gateway.admin(`/api/organizations/${organizationId}`, { method: 'DELETE' });
    assert.match(assertError(refused, 409, 'conflict'), /force=true/);
    assert.equal((await gateway.admin(`/api/organizations/${organizationId}`)).status, 200);

    const forced = await gateway.admin(`/api/organizations/${organizationId}?force=true`, { method: 'DELETE' });
    assert.equal(forced.status, 200);
    assert.deepEqual(forced.body.deleted_teams, [team.teamId]);
    assertError(await gateway.admin(`/api/organizations/${organizationId}`), 404, 'not_found');
    assertError(await gateway.admin(`/api/organizations/${organizationId}/teams`), 404, 'not_found');
    assert.ok(!(await gateway.admin('/api/organizations')).body.organizations.some((organization: any) => organization.organization_id === organizationId));
    assertError(await gateway.admin(`/api/teams/${team.teamId}`), 404, 'not_found');
    assertError(await gateway.request('/api/teams', { headers: bearer(team.key) }), 401, 'invalid_api_key');
  });

  test('a new team cannot join a deleted organization', async () => {
    const organizationId = await createOrganization(gateway);
    await gateway.admin(`/api/organizations/${organizationId}`, { method: 'DELETE' });
    const refused = await gateway.admin('/api/teams', { body: { team_id: uniqueId('team'), organization_id: organizationId } });
    assert.match(assertError(refused, 400, 'invalid_request'), /organization_id/);
  });
});
