import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { assertError, bearer, createOrganization, createTeam, seedAccessGroup, seedJob, uniqueId } from './helpers/tenancy-fixtures.ts';

const TEAM_FIELDS = [
  'team_id', 'organization_id', 'name', 'status', 'budget_mode', 'credits_allocated', 'credits_used', 'credits_reserved', 'credits_remaining',
  'credits_available', 'credits_per_dollar', 'tokens_per_credit', 'failed_job_policy', 'cost_markup_percentage', 'body_logging', 'limits',
  'auto_refill', 'access_groups', 'model_groups', 'metadata', 'created_at', 'updated_at',
];

describe('teams (admin API and self-service reads)', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('create: team fields, access groups, opening credits as an allocation row, first key shown once', async () => {
    const organizationId = await createOrganization(gateway);
    const groupA = uniqueId('mg');
    const groupB = uniqueId('mg');
    const accessGroup = await seedAccessGroup(gateway, [groupA, groupB]);
    const teamId = uniqueId('team');
    const created = await gateway.admin('/api/teams/create', {
      body: {
        team_id: teamId, organization_id: organizationId, name: 'Alpha', access_groups: [accessGroup], credits_allocated: 250.5,
        budget_mode: 'consumption_usd', credits_per_dollar: 12.5, tokens_per_credit: 5000, failed_job_policy: 'consumption',
        cost_markup_percentage: 25, body_logging: 'metadata', rpm_limit: 60, max_open_jobs: 5, metadata: { plan: 'pro' }, key_name: 'backend',
      },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const team = created.body;
    for (const field of TEAM_FIELDS) assert.ok(field in team, `missing ${field}`);
    assert.equal(team.team_id, teamId);
    assert.equal(team.name, 'Alpha');
    assert.equal(team.status, 'active');
    assert.equal(team.budget_mode, 'consumption_usd');
    assert.equal(team.credits_allocated, 250.5);
    assert.equal(team.credits_used, 0);
    assert.equal(team.credits_remaining, 250.5);
    assert.equal(team.credits_available, 250.5);
    assert.equal(team.credits_per_dollar, 12.5);
    assert.equal(team.tokens_per_credit, 5000);
    assert.equal(team.failed_job_policy, 'consumption');
    assert.equal(team.cost_markup_percentage, 25);
    assert.equal(team.body_logging, 'metadata');
    assert.deepEqual(team.limits, { rpm_limit: 60, tpm_limit: null, max_concurrent_calls: null, max_open_jobs: 5 });
    assert.deepEqual(team.auto_refill, { enabled: false, refill_amount: null, refill_period: null });
    assert.deepEqual(team.access_groups, [accessGroup]);
    assert.deepEqual(team.model_groups, [groupA, groupB].sort());
    assert.deepEqual(team.metadata, { plan: 'pro' });
    assert.match(team.virtual_key, /^sk-sl-[0-9A-Za-z]{32,}$/);
    assert.equal(team.key.name, 'backend');
    assert.equal(team.key.status, 'active');
    assert.ok(team.virtual_key.startsWith(team.key.prefix));
    assert.ok(!JSON.stringify(team.key).includes(team.virtual_key));

    const ledger = await gateway.admin(`/api/credits/teams/${teamId}/transactions`);
    assert.equal(ledger.body.transactions.length, 1);
    assert.equal(ledger.body.transactions[0].type, 'allocation');
    assert.equal(ledger.body.transactions[0].amount, 250.5);
    assert.equal(ledger.body.transactions[0].balance_before, 0);
    assert.equal(ledger.body.transactions[0].balance_after, 250.5);

    // The defaults, through the REST form, with no credits: no ledger row.
    const plain = await gateway.admin('/api/teams', { body: { team_id: uniqueId('team'), organization_id: organizationId } });
    assert.equal(plain.status, 200);
    assert.equal(plain.body.name, plain.body.team_id);
    assert.equal(plain.body.budget_mode, 'job_based');
    assert.equal(plain.body.credits_per_dollar, 10);
    assert.equal(plain.body.tokens_per_credit, 10000);
    assert.equal(plain.body.failed_job_policy, 'free');
    assert.equal(plain.body.body_logging, 'full');
    assert.equal(plain.body.cost_markup_percentage, 0);
    assert.deepEqual(plain.body.model_groups, []);
    assert.equal((await gateway.admin(`/api/credits/teams/${plain.body.team_id}/transactions`)).body.transactions.length, 0);
  });

  test('create refuses unknown access groups (naming them), unknown organizations, duplicates and malformed bodies', async () => {
    const organizationId = await createOrganization(gateway);
    const known = await seedAccessGroup(gateway, []);
    const teamId = uniqueId('team');
    const unknown = await gateway.admin('/api/teams/create', { body: { team_id: teamId, organization_id: organizationId, access_groups: [known, 'no-such-group'] } });
    const message = assertError(unknown, 400, 'invalid_request');
    assert.match(message, /no-such-group/);
    assert.equal(unknown.body.error.param, 'access_groups');
    assertError(await gateway.admin(`/api/teams/${teamId}`), 404, 'not_found'); // nothing half-created

    assert.match(assertError(await gateway.admin('/api/teams/create', { body: { team_id: teamId, organization_id: uniqueId('nope') } }), 400, 'invalid_request'), /organization_id/);
    await createTeam(gateway, { team_id: teamId, organization_id: organizationId });
    assertError(await gateway.admin('/api/teams/create', { body: { team_id: teamId, organization_id: organizationId } }), 409, 'conflict');

    const cases: Array<[Record<string, unknown>, string]> = [
      [{ team_id: undefined }, 'team_id'],
      [{ organization_id: undefined }, 'organization_id'],
      [{ credits_allocated: -5 }, 'credits_allocated'],
      [{ credits_allocated: 'lots' }, 'credits_allocated'],
      [{ budget_mode: 'free_for_all' }, 'budget_mode'],
      [{ rpm_limit: 0 }, 'rpm_limit'],
      [{ cost_markup_percentage: -1 }, 'cost_markup_percentage'],
      [{ body_logging: 'everything' }, 'body_logging'],
      [{ access_groups: 'one' }, 'access_groups'],
      [{ status: 'deleted' }, 'status'],
      [{ colour: 'blue' }, 'colour'],
    ];
    for (const [fields, field] of cases) {
      // undefined fields are left out of the JSON: a missing required field.
      const body = { team_id: uniqueId('team'), organization_id: organizationId, ...fields };
      const response = await gateway.admin('/api/teams/create', { body });
      assert.match(assertError(response, 400, 'invalid_request'), new RegExp(field), JSON.stringify(fields));
    }
  });

  test('show, list with filters, update, suspend / pause / resume', async () => {
    const organizationId = await createOrganization(gateway);
    const first = await createTeam(gateway, { organization_id: organizationId });
    const second = await createTeam(gateway, { organization_id: organizationId });
    const elsewhere = await createTeam(gateway);

    const shown = await gateway.admin(`/api/teams/${first.teamId}`);
    assert.equal(shown.status, 200);
    for (const field of TEAM_FIELDS) assert.ok(field in shown.body, `missing ${field}`);
    assert.ok(!('virtual_key' in shown.body));

    const byOrganization = await gateway.admin(`/api/teams?organization_id=${organizationId}`);
    assert.deepEqual(byOrganization.body.teams.map((team: any) => team.team_id).sort(), [first.teamId, second.teamId].sort());
    const all = await gateway.admin('/api/teams');
    assert.ok(all.body.teams.some((team: any) => team.team_id === elsewhere.teamId));

    const updated = await gateway.admin(`/api/teams/${first.teamId}`, {
      method: 'PUT', body: { name: 'Renamed', cost_markup_percentage: 12.5, body_logging: 'none', tpm_limit: 1000, rpm_limit: null, metadata: { a: 1 } },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.name, 'Renamed');
    assert.equal(updated.body.cost_markup_percentage, 12.5);
    assert.equal(updated.body.body_logging, 'none');
    assert.deepEqual(updated.body.limits, { rpm_limit: null, tpm_limit: 1000, max_concurrent_calls: null, max_open_jobs: null });
    assert.deepEqual(updated.body.metadata, { a: 1 });
    assert.match(assertError(await gateway.admin(`/api/teams/${first.teamId}`, { method: 'PUT', body: { tpm_limit: 'many' } }), 400, 'invalid_request'), /tpm_limit/);
    assert.match(assertError(await gateway.admin(`/api/teams/${first.teamId}`, { method: 'PUT', body: { credits_allocated: 5 } }), 400, 'invalid_request'), /credits_allocated/);
    assertError(await gateway.admin(`/api/teams/${uniqueId('missing')}`, { method: 'PUT', body: { name: 'x' } }), 404, 'not_found');

    const suspended = await gateway.admin(`/api/teams/${first.teamId}/suspend`, { method: 'PUT' });
    assert.equal(suspended.body.status, 'suspended');
    const suspendedOnly = await gateway.admin(`/api/teams?organization_id=${organizationId}&status=suspended`);
    assert.deepEqual(suspendedOnly.body.teams.map((team: any) => team.team_id), [first.teamId]);
    assert.equal((await gateway.admin(`/api/teams/${first.teamId}/pause`, { method: 'PUT' })).body.status, 'paused');
    assert.equal((await gateway.admin(`/api/teams/${first.teamId}/resume`, { method: 'PUT' })).body.status, 'active');
    assertError(await gateway.admin(`/api/teams/${uniqueId('missing')}/suspend`, { method: 'PUT' }), 404, 'not_found');
    assert.match(assertError(await gateway.admin('/api/teams?status=gone'), 400, 'invalid_request'), /status/);
  });

  test('access groups are replaced as a whole and decide the model groups', async () => {
    const groupA = uniqueId('mg');
    const groupB = uniqueId('mg');
    const retired = uniqueId('mg');
    const first = await seedAccessGroup(gateway, [groupA, retired], { inactive: [retired] });
    const second = await seedAccessGroup(gateway, [groupB]);
    const team = await createTeam(gateway, { access_groups: [first] });
    assert.deepEqual(team.body.model_groups, [groupA]); // inactive groups can't be called

    const replaced = await gateway.admin(`/api/teams/${team.teamId}/access-groups`, { method: 'PUT', body: { access_groups: [first, second] } });
    assert.equal(replaced.status, 200);
    assert.deepEqual(replaced.body.access_groups, [first, second].sort());
    assert.deepEqual(replaced.body.model_groups, [groupA, groupB].sort());

    const refused = await gateway.admin(`/api/teams/${team.teamId}/access-groups`, { method: 'PUT', body: { access_groups: [second, 'ghost-group'] } });
    assert.match(assertError(refused, 400, 'invalid_request'), /ghost-group/);
    assert.deepEqual((await gateway.admin(`/api/teams/${team.teamId}`)).body.access_groups, [first, second].sort());

    const emptied = await gateway.admin(`/api/teams/${team.teamId}/access-groups`, { method: 'PUT', body: { access_groups: [] } });
    assert.deepEqual(emptied.body.model_groups, []);
    assert.match(assertError(await gateway.admin(`/api/teams/${team.teamId}/access-groups`, { method: 'PUT', body: {} }), 400, 'invalid_request'), /access_groups/);
  });

  test('delete: soft; a team with jobs needs ?force=true; its keys stop working', async () => {
    const fresh = await createTeam(gateway);
    const deleted = await gateway.admin(`/api/teams/${fresh.teamId}`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.deleted, true);
    assertError(await gateway.admin(`/api/teams/${fresh.teamId}`), 404, 'not_found');
    assert.ok(!(await gateway.admin('/api/teams')).body.teams.some((team: any) => team.team_id === fresh.teamId));
    assertError(await gateway.request('/api/teams', { headers: bearer(fresh.key) }), 401, 'invalid_api_key');
    assertError(await gateway.admin(`/api/credits/teams/${fresh.teamId}/balance`), 404, 'not_found');

    const busy = await createTeam(gateway);
    await seedJob(gateway, busy.teamId);
    assert.match(assertError(await gateway.admin(`/api/teams/${busy.teamId}`, { method: 'DELETE' }), 409, 'conflict'), /force=true/);
    assert.equal((await gateway.request('/api/teams', { headers: bearer(busy.key) })).status, 200);
    assert.equal((await gateway.admin(`/api/teams/${busy.teamId}?force=true`, { method: 'DELETE' })).status, 200);
    assertError(await gateway.admin(`/api/teams/${busy.teamId}`), 404, 'not_found');
    assertError(await gateway.request(`/api/teams/${busy.teamId}`, { headers: bearer(busy.key) }), 401, 'invalid_api_key');
    // The history stays.
    const jobs = await gateway.container.db.query<{ count: number }>('SELECT count(*)::int AS count FROM jobs WHERE team_id = $1', [busy.teamId]);
    assert.equal(jobs[0]!.count, 1);
  });

  test("a virtual key reads its own team (also while suspended or paused), and only its own", async () => {
    const groupA = uniqueId('mg');
    const groupB = uniqueId('mg');
    const accessGroup = await seedAccessGroup(gateway, [groupA, groupB]);
    const mine = await createTeam(gateway, { access_groups: [accessGroup], credits_allocated: 40, cost_markup_percentage: 30, metadata: { internal: 'note' } });
    const theirs = await createTeam(gateway, { credits_allocated: 10 });

    for (const headers of [bearer(mine.key), { 'x-api-key': mine.key }]) {
      const list = await gateway.request('/api/teams', { headers });
      assert.equal(list.status, 200);
      assert.equal(list.body.teams.length, 1);
      const self = list.body.teams[0];
      assert.equal(self.team_id, mine.teamId);
      assert.equal(self.organization_id, mine.organizationId);
      assert.equal(self.status, 'active');
      assert.equal(self.budget_mode, 'job_based');
      assert.equal(self.credits_allocated, 40);
      assert.equal(self.credits_used, 0);
      assert.equal(self.credits_remaining, 40);
      assert.deepEqual(self.model_groups, [groupA, groupB].sort());
      // The operator's markup, limits and metadata are not the tenant's business.
      for (const hidden of ['cost_markup_percentage', 'metadata', 'limits', 'access_groups']) assert.ok(!(hidden in self), hidden);
    }
    const shown = await gateway.request(`/api/teams/${mine.teamId}`, { headers: bearer(mine.key) });
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body, (await gateway.request('/api/teams', { headers: bearer(mine.key) })).body.teams[0]);

    const mismatch = await gateway.request(`/api/teams/${theirs.teamId}`, { headers: bearer(mine.key) });
    assertError(mismatch, 403, 'team_mismatch');
    assert.ok(!JSON.stringify(mismatch.body).includes('"credits_allocated"'));
    assertError(await gateway.request(`/api/teams/${uniqueId('ghost')}`, { headers: bearer(mine.key) }), 403, 'team_mismatch');

    for (const action of ['suspend', 'pause']) {
      await gateway.admin(`/api/teams/${mine.teamId}/${action}`, { method: 'PUT' });
      const whileDown = await gateway.request(`/api/teams/${mine.teamId}`, { headers: bearer(mine.key) });
      assert.equal(whileDown.status, 200);
      assert.equal(whileDown.body.status, action === 'suspend' ? 'suspended' : 'paused');
      assert.equal((await gateway.request(`/api/credits/teams/${mine.teamId}/balance`, { headers: bearer(mine.key) })).status, 200);
      assert.equal((await gateway.request(`/api/credits/teams/${mine.teamId}/transactions`, { headers: bearer(mine.key) })).status, 200);
      assert.equal((await gateway.request(`/api/credits/teams/${mine.teamId}/check`, { headers: bearer(mine.key), body: { credits_needed: 1 } })).status, 200);
    }
  });

  test("a key limited to some model groups sees only those", async () => {
    const groupA = uniqueId('mg');
    const groupB = uniqueId('mg');
    const team = await createTeam(gateway, { access_groups: [await seedAccessGroup(gateway, [groupA, groupB])] });
    const limited = await gateway.admin(`/api/teams/${team.teamId}/keys`, { body: { name: 'narrow', allowed_model_groups: [groupB] } });
    assert.equal(limited.status, 200);
    const self = await gateway.request('/api/teams', { headers: bearer(limited.body.key) });
    assert.deepEqual(self.body.teams[0].model_groups, [groupB]);
  });
});
