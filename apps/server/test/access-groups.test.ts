import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { bearer, createTeam, uniqueId } from './helpers/tenancy-fixtures.ts';
import { adminOk, createAccessGroup, createDeployment, createModelGroup, dryRun } from './helpers/catalog-fixtures.ts';

describe('access groups (/api/model-access-groups)', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('create, list, show and update, in both create forms', async () => {
    const deployment = await createDeployment(gateway);
    const group = await createModelGroup(gateway, [deployment.alias]);
    const access = await createAccessGroup(gateway, { model_groups: [group.name, group.name], deployments: [deployment.alias] }, { description: 'Starter plan' });
    assert.deepEqual(access.model_groups, [group.name], 'duplicates collapse');
    assert.deepEqual(access.deployments, [deployment.alias]);
    assert.equal(access.description, 'Starter plan');
    const name = uniqueId('rest');
    const empty = await adminOk(gateway, '/api/model-access-groups', { body: { name } });
    assert.deepEqual([empty.name, empty.model_groups, empty.deployments, empty.description], [name, [], [], '']);
    const listed = await adminOk(gateway, '/api/model-access-groups');
    assert.ok(listed.some((item: any) => item.name === access.name) && listed.some((item: any) => item.name === name));
    assert.equal((await adminOk(gateway, `/api/model-access-groups/${access.name}`)).description, 'Starter plan');
    const updated = await adminOk(gateway, `/api/model-access-groups/${access.name}`, { method: 'PUT', body: { description: 'Pro plan' } });
    assert.equal(updated.description, 'Pro plan');
    assert.deepEqual(updated.model_groups, [group.name], 'PUT on the group keeps its members');
    assert.equal((await gateway.admin('/api/model-access-groups/create', { body: { name } })).status, 409);
    assert.equal((await gateway.admin(`/api/model-access-groups/${uniqueId('none')}`)).status, 404);
  });

  test('unknown names are a 400 naming them, and nothing is created', async () => {
    const group = await createModelGroup(gateway, []);
    const ghostGroup = uniqueId('ghost-group');
    const ghostAlias = uniqueId('ghost-alias');
    const name = uniqueId('access');
    const unknownGroup = await gateway.admin('/api/model-access-groups/create', { body: { name, model_groups: [group.name, ghostGroup] } });
    assert.equal(unknownGroup.status, 400);
    assert.equal(unknownGroup.body.error.param, 'model_groups.1');
    assert.match(unknownGroup.body.error.message, new RegExp(ghostGroup));
    const unknownAlias = await gateway.admin('/api/model-access-groups/create', { body: { name, deployments: [ghostAlias] } });
    assert.equal(unknownAlias.status, 400);
    assert.equal(unknownAlias.body.error.param, 'deployments.0');
    assert.match(unknownAlias.body.error.message, new RegExp(ghostAlias));
    assert.equal((await gateway.admin(`/api/model-access-groups/${name}`)).status, 404);
    // A model group's name is not a deployment alias, and the reverse.
    assert.equal((await gateway.admin('/api/model-access-groups/create', { body: { name, deployments: [group.name] } })).status, 400);
    const malformed = await gateway.admin('/api/model-access-groups/create', { body: { name, model_groups: 'all' } });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.param, 'model_groups');
  });

  test('PUT …/models replaces each kind given and keeps the other', async () => {
    const [a, b] = [await createDeployment(gateway), await createDeployment(gateway)];
    const [g1, g2] = [await createModelGroup(gateway, [a.alias]), await createModelGroup(gateway, [b.alias])];
    const access = await createAccessGroup(gateway, { model_groups: [g1.name], deployments: [a.alias] });
    const groupsOnly = await adminOk(gateway, `/api/model-access-groups/${access.name}/models`, { method: 'PUT', body: { model_groups: [g2.name] } });
    assert.deepEqual([groupsOnly.model_groups, groupsOnly.deployments], [[g2.name], [a.alias]]);
    const both = await adminOk(gateway, `/api/model-access-groups/${access.name}/models`, { method: 'PUT', body: { model_groups: [], deployments: [b.alias, a.alias] } });
    assert.deepEqual([both.model_groups, both.deployments.sort()], [[], [a.alias, b.alias].sort()]);
    const nothing = await gateway.admin(`/api/model-access-groups/${access.name}/models`, { method: 'PUT', body: {} });
    assert.equal(nothing.status, 400);
    assert.equal(nothing.body.error.param, 'model_groups');
    const unknown = await gateway.admin(`/api/model-access-groups/${access.name}/models`, { method: 'PUT', body: { deployments: [uniqueId('ghost')] } });
    assert.equal(unknown.status, 400);
    assert.equal((await adminOk(gateway, `/api/model-access-groups/${access.name}`)).deployments.length, 2, 'a refused replacement changes nothing');
  });

  test('grants take effect at once, and delete is refused while a team holds the group unless ?force=true', async () => {
    const deployment = await createDeployment(gateway);
    const group = await createModelGroup(gateway, [deployment.alias]);
    const access = await createAccessGroup(gateway, { model_groups: [] });
    const team = await createTeam(gateway, { access_groups: [access.name] });
    assert.equal((await dryRun(gateway, group.name, { team_id: team.teamId })).status, 403);
    await adminOk(gateway, `/api/model-access-groups/${access.name}/models`, { method: 'PUT', body: { model_groups: [group.name] } });
    assert.equal((await dryRun(gateway, group.name, { team_id: team.teamId })).status, 200, 'the grant is visible without a restart');

    const refused = await gateway.admin(`/api/model-access-groups/${access.name}`, { method: 'DELETE' });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, new RegExp(team.teamId));
    assert.deepEqual(await adminOk(gateway, `/api/model-access-groups/${access.name}?force=true`, { method: 'DELETE' }), { deleted: true, name: access.name });
    const revoked = await dryRun(gateway, group.name, { team_id: team.teamId });
    assert.equal(revoked.status, 403);
    assert.equal(revoked.body.error.code, 'model_not_allowed');
    assert.deepEqual((await gateway.request('/api/model-groups', { headers: bearer(team.key) })).body, []);
    // Re-creating the name does not hand the old grant back.
    await createAccessGroup(gateway, { model_groups: [group.name] }, { name: access.name });
    assert.equal((await dryRun(gateway, group.name, { team_id: team.teamId })).status, 403);
  });

  test('a virtual key gets 401 on every access-group route', async () => {
    const { key } = await createTeam(gateway);
    const access = await createAccessGroup(gateway, {});
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/model-access-groups'],
      ['POST', '/api/model-access-groups/create', { name: uniqueId('k') }],
      ['POST', '/api/model-access-groups', { name: uniqueId('k') }],
      ['GET', `/api/model-access-groups/${access.name}`],
      ['PUT', `/api/model-access-groups/${access.name}`, { description: 'x' }],
      ['PUT', `/api/model-access-groups/${access.name}/models`, { model_groups: [] }],
      ['DELETE', `/api/model-access-groups/${access.name}`],
    ];
    for (const [method, path, body] of routes) {
      const response = await gateway.request(path, { method, body, headers: bearer(key) });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(response.body.error.code, 'invalid_api_key');
    }
    assert.equal((await adminOk(gateway, `/api/model-access-groups/${access.name}`)).description, '', 'nothing changed');
  });
});
