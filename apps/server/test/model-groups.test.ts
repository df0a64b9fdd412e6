import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { bearer, createTeam, uniqueId } from './helpers/tenancy-fixtures.ts';
import { adminOk, createAccessGroup, createCredential, createDeployment, createModelGroup } from './helpers/catalog-fixtures.ts';

describe('model groups', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('create with defaults and members, in both forms', async () => {
    const [first, second] = [await createDeployment(gateway), await createDeployment(gateway)];
    const group = await createModelGroup(gateway, [first.alias, { alias: second.alias, priority: 1, weight: 3 }]);
    assert.equal(group.display_name, group.name);
    assert.equal(group.description, '');
    assert.equal(group.strategy, 'priority');
    assert.equal(group.num_retries, 2);
    assert.equal(group.retry_backoff_ms, 250);
    assert.equal(group.status, 'active');
    assert.deepEqual(group.members, [{ alias: first.alias, priority: 0, weight: 1 }, { alias: second.alias, priority: 1, weight: 3 }]);
    const name = uniqueId('rest');
    const rest = await adminOk(gateway, '/api/model-groups', {
      body: { name, display_name: 'Fast chat', description: 'Quick answers', strategy: 'weighted', num_retries: 0, retry_backoff_ms: 0 },
    });
    assert.deepEqual([rest.display_name, rest.strategy, rest.num_retries, rest.members], ['Fast chat', 'weighted', 0, []]);
    const listed = await adminOk(gateway, '/api/model-groups');
    assert.deepEqual(listed.find((item: any) => item.name === group.name)?.members.map((member: any) => member.alias), [first.alias, second.alias]);
    assert.equal((await adminOk(gateway, `/api/model-groups/${name}`)).description, 'Quick answers');
  });

  test('an unknown or repeated member is a 400 naming it, and nothing is created', async () => {
    const known = await createDeployment(gateway);
    const missing = uniqueId('ghost');
    const name = uniqueId('group');
    const unknown = await gateway.admin('/api/model-groups/create', { body: { name, members: [{ alias: known.alias }, { alias: missing }] } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.param, 'members.1.alias');
    assert.match(unknown.body.error.message, new RegExp(missing));
    assert.equal((await gateway.admin(`/api/model-groups/${name}`)).status, 404);
    const repeated = await gateway.admin('/api/model-groups/create', { body: { name, members: [{ alias: known.alias }, { alias: known.alias }] } });
    assert.equal(repeated.status, 400);
    assert.match(repeated.body.error.message, /twice/);
    for (const [body, param] of [
      [{ name, strategy: 'round-robin' }, 'strategy'],
      [{ name, members: [{ alias: known.alias, weight: 0 }] }, 'members.0.weight'],
      [{ name, num_retries: 99 }, 'num_retries'],
      [{ name: '' }, 'name'],
    ] as const) {
      const response = await gateway.admin('/api/model-groups/create', { body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.param, param);
    }
    await createModelGroup(gateway, [], { name });
    assert.equal((await gateway.admin('/api/model-groups/create', { body: { name } })).status, 409);
  });

  test('PUT updates settings; PUT …/models replaces every member', async () => {
    const [a, b, c] = [await createDeployment(gateway), await createDeployment(gateway), await createDeployment(gateway)];
    const group = await createModelGroup(gateway, [a.alias, b.alias]);
    const updated = await adminOk(gateway, `/api/model-groups/${group.name}`, { method: 'PUT', body: { description: 'new', strategy: 'weighted', status: 'inactive' } });
    assert.deepEqual([updated.description, updated.strategy, updated.status], ['new', 'weighted', 'inactive']);
    assert.equal(updated.members.length, 2, 'PUT on the group keeps its members');
    const replaced = await adminOk(gateway, `/api/model-groups/${group.name}/models`, {
      method: 'PUT', body: { members: [{ alias: c.alias, priority: 0, weight: 5 }, { alias: a.alias, priority: 2 }] },
    });
    assert.deepEqual(replaced.members, [{ alias: c.alias, priority: 0, weight: 5 }, { alias: a.alias, priority: 2, weight: 1 }]);
    const refused = await gateway.admin(`/api/model-groups/${group.name}/models`, { method: 'PUT', body: { members: [{ alias: uniqueId('ghost') }] } });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.param, 'members.0.alias');
    assert.equal((await adminOk(gateway, `/api/model-groups/${group.name}`)).members.length, 2, 'a refused replacement changes nothing');
    assert.equal((await gateway.admin(`/api/model-groups/${group.name}/models`, { method: 'PUT', body: {} })).body.error.param, 'members');
    assert.equal((await gateway.admin(`/api/model-groups/${uniqueId('none')}/models`, { method: 'PUT', body: { members: [] } })).status, 404);
  });

  test('delete is refused while an access group grants the group, unless ?force=true', async () => {
    const group = await createModelGroup(gateway, [(await createDeployment(gateway)).alias]);
    const access = await createAccessGroup(gateway, { model_groups: [group.name] });
    const refused = await gateway.admin(`/api/model-groups/${group.name}`, { method: 'DELETE' });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, new RegExp(access.name));
    assert.deepEqual(await adminOk(gateway, `/api/model-groups/${group.name}?force=true`, { method: 'DELETE' }), { deleted: true, name: group.name });
    assert.deepEqual((await adminOk(gateway, `/api/model-access-groups/${access.name}`)).model_groups, []);
    assert.equal((await gateway.admin(`/api/model-groups/${group.name}`)).status, 404);
    const unused = await createModelGroup(gateway, []);
    await adminOk(gateway, `/api/model-groups/${unused.name}`, { method: 'DELETE' });
    assert.equal((await gateway.admin(`/api/model-groups/${unused.name}`, { method: 'DELETE' })).status, 404);
  });

  test('with a virtual key, GET /api/model-groups lists only what the team may call, and nothing about providers', async () => {
    const secret = `sk-upstream-${uniqueId('secret')}`;
    const credential = await createCredential(gateway, { provider: 'openai', api_key: secret });
    const deployment = await createDeployment(gateway, { provider: 'openai', model: 'gpt-4o-mini', credential_id: credential.credential_id });
    const granted = await createModelGroup(gateway, [deployment.alias], { display_name: 'Chat', description: 'General chat' });
    const alsoGranted = await createModelGroup(gateway, [deployment.alias]);
    const inactive = await createModelGroup(gateway, [deployment.alias], { status: 'inactive' });
    const notGranted = await createModelGroup(gateway, [deployment.alias]);
    const access = await createAccessGroup(gateway, { model_groups: [granted.name, alsoGranted.name, inactive.name], deployments: [deployment.alias] });
    const team = await createTeam(gateway, { access_groups: [access.name] });

    const listed = await gateway.request('/api/model-groups', { headers: bearer(team.key) });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const expected = [
      { name: granted.name, display_name: 'Chat', description: 'General chat' },
      { name: alsoGranted.name, display_name: alsoGranted.name, description: '' },
    ].sort((x, y) => x.name.localeCompare(y.name));
    assert.deepEqual(listed.body, expected);
    const text = JSON.stringify(listed.body);
    for (const hidden of [notGranted.name, inactive.name, deployment.alias, 'openai', 'gpt-4o-mini', secret, 'members']) assert.equal(text.includes(hidden), false, hidden);
    assert.deepEqual((await gateway.request('/api/model-groups', { headers: { 'x-api-key': team.key } })).body, expected);

    // A key limited to some groups sees only those.
    const limited = await adminOk(gateway, `/api/teams/${team.teamId}/keys`, { body: { name: 'limited', allowed_model_groups: [granted.name] } });
    const narrowed = await gateway.request('/api/model-groups', { headers: bearer(limited.key) });
    assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
    assert.deepEqual(narrowed.body.map((group: any) => group.name), [granted.name]);

    // The admin still sees everything, with members.
    const all = await adminOk(gateway, '/api/model-groups');
    assert.ok(all.some((group: any) => group.name === notGranted.name && Array.isArray(group.members)));
  });

  test('a virtual key gets 401 on every other model-group route; no credentials at all gets 401 on the list', async () => {
    const { key } = await createTeam(gateway);
    const group = await createModelGroup(gateway, []);
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/api/model-groups/create', { name: uniqueId('k') }],
      ['POST', '/api/model-groups', { name: uniqueId('k') }],
      ['GET', `/api/model-groups/${group.name}`],
      ['PUT', `/api/model-groups/${group.name}`, { description: 'hacked' }],
      ['PUT', `/api/model-groups/${group.name}/models`, { members: [] }],
      ['DELETE', `/api/model-groups/${group.name}`],
      ['GET', `/api/model-groups/${group.name}/resolve`],
    ];
    for (const [method, path, body] of routes) {
      const response = await gateway.request(path, { method, body, headers: bearer(key) });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(response.body.error.code, 'invalid_api_key');
    }
    assert.equal((await gateway.request('/api/model-groups')).status, 401);
    assert.equal((await gateway.request('/api/model-groups', { headers: bearer('sk-sl-not-a-real-key-0000000000000000') })).status, 401);
    assert.equal((await adminOk(gateway, `/api/model-groups/${group.name}`)).description, '', 'nothing changed');
  });
});
