import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelResolver } from '../src/domain/model-resolution.ts';
import { PgCatalogReader } from '../src/storage/catalog-reader.ts';
import type { Queryable } from '../src/storage/database.ts';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createOrganization, createTeam, uniqueId } from './helpers/tenancy-fixtures.ts';
import { adminOk, createAccessGroup, createCredential, createDeployment, createModelGroup, dryRun, seededRandom } from './helpers/catalog-fixtures.ts';

const aliasesOf = (body: any): string[] => body.candidates.map((candidate: any) => candidate.alias);
const skippedOf = (body: any): Record<string, string> => Object.fromEntries(body.skipped.map((member: any) => [member.alias, member.reason]));

describe('model resolution', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  /** A team granted exactly `names` (model groups and/or deployments) through one new access group. */
  async function teamGranted(members: { model_groups?: string[]; deployments?: string[] }, organizationId?: string) {
    const access = await createAccessGroup(gateway, members);
    return createTeam(gateway, { access_groups: [access.name], ...(organizationId ? { organization_id: organizationId } : {}) });
  }

  test('priority strategy: ascending priority, ties in the order the members were listed', async () => {
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => createDeployment(gateway)));
    const group = await createModelGroup(gateway, [
      { alias: a.alias, priority: 2 }, { alias: b.alias, priority: 0 }, { alias: c.alias, priority: 1 }, { alias: d.alias, priority: 0 },
    ]);
    const team = await teamGranted({ model_groups: [group.name] });
    const resolved = await dryRun(gateway, group.name, { team_id: team.teamId });
    assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
    assert.deepEqual(aliasesOf(resolved.body), [b.alias, d.alias, c.alias, a.alias]);
    assert.deepEqual(resolved.body.candidates[0], {
      alias: b.alias, provider: 'mock', model: 'mock-chat', priority: 0, weight: 1, price_source: 'unpriced', emulate_json_schema: false,
    });
    assert.deepEqual(resolved.body.skipped, []);
    assert.equal(resolved.body.kind, 'model_group');
    assert.equal(resolved.body.team_id, team.teamId);
  });

  test('weighted strategy: spread by weight among the best priority, the rest after (seeded, 4000 draws)', async () => {
    const [light, heavy, fallback] = await Promise.all([1, 2, 3].map(() => createDeployment(gateway)));
    const group = await createModelGroup(gateway, [
      { alias: light.alias, priority: 0, weight: 1 }, { alias: heavy.alias, priority: 0, weight: 3 }, { alias: fallback.alias, priority: 1, weight: 50 },
    ], { strategy: 'weighted' });
    const resolver = new ModelResolver(new PgCatalogReader(gateway.container.db), gateway.container.secretBox, { random: seededRandom(20261124) });
    const draws = 4000;
    let heavyFirst = 0;
    for (let draw = 0; draw < draws; draw += 1) {
      const { candidates } = await resolver.resolve(group.name, null);
      const order = candidates.map((candidate) => candidate.alias);
      assert.equal(order.length, 3);
      assert.equal(order[2], fallback.alias, 'a worse priority never comes before the best tier, whatever its weight');
      if (order[0] === heavy.alias) heavyFirst += 1;
    }
    // Expected share 3/4; the bound is ±4 points (about 6 standard deviations at n = 4000).
    const share = heavyFirst / draws;
    assert.ok(share > 0.71 && share < 0.79, `heavy came first in ${(share * 100).toFixed(1)}% of draws`);
  });

  test('members that cannot serve are skipped with the reason; json_schema is emulated, never a reason', async () => {
    const credential = await createCredential(gateway, { provider: 'openai', api_key: 'sk-0123456789abcdefghij' });
    const orgOnlyCredential = await createCredential(gateway, { provider: 'openai', api_key: 'sk-abcdefghij0123456789', organization_id: await createOrganization(gateway) });
    const plain = await createDeployment(gateway, { capabilities: { tools: false, vision: false, json_schema: false }, context_window: 1000 });
    const inactive = await createDeployment(gateway, { status: 'inactive' });
    const deactivatedCredential = await createDeployment(gateway, { provider: 'openai', model: 'gpt-4o-mini', credential_id: credential.credential_id });
    const otherOrganization = await createDeployment(gateway, { provider: 'openai', model: 'gpt-4o-mini', credential_id: orgOnlyCredential.credential_id });
    const capable = await createDeployment(gateway, { capabilities: { tools: true, vision: true, embeddings: true, json_schema: true }, context_window: 100_000 });
    await adminOk(gateway, `/api/provider-credentials/${credential.credential_id}/deactivate`, { method: 'PUT' });
    const group = await createModelGroup(gateway, [plain.alias, inactive.alias, deactivatedCredential.alias, otherOrganization.alias, capable.alias]);
    const team = await teamGranted({ model_groups: [group.name] });

    const basic = await dryRun(gateway, group.name, { team_id: team.teamId, json_schema: true });
    assert.deepEqual(aliasesOf(basic.body), [plain.alias, capable.alias]);
    assert.deepEqual(basic.body.candidates.map((candidate: any) => candidate.emulate_json_schema), [true, false]);
    assert.deepEqual(skippedOf(basic.body), {
      [inactive.alias]: 'inactive', [deactivatedCredential.alias]: 'credential_inactive', [otherOrganization.alias]: 'credential_unavailable',
    });
    for (const member of basic.body.skipped) assert.ok(member.detail.length > 0);

    for (const [need, reason] of [['tools', 'missing_capability_tools'], ['vision', 'missing_capability_vision']] as const) {
      const filtered = await dryRun(gateway, group.name, { team_id: team.teamId, [need]: true });
      assert.deepEqual(aliasesOf(filtered.body), [capable.alias], need);
      assert.equal(skippedOf(filtered.body)[plain.alias], reason);
    }
    const embeddings = await dryRun(gateway, group.name, { team_id: team.teamId, embeddings: true });
    assert.deepEqual(aliasesOf(embeddings.body), [capable.alias]);

    const tooLong = await dryRun(gateway, group.name, { team_id: team.teamId, prompt_tokens: 900, max_output_tokens: 200 });
    assert.deepEqual(aliasesOf(tooLong.body), [capable.alias]);
    assert.equal(skippedOf(tooLong.body)[plain.alias], 'context_window_too_small');
    const fits = await dryRun(gateway, group.name, { team_id: team.teamId, prompt_tokens: 900, max_output_tokens: 100 });
    assert.deepEqual(aliasesOf(fits.body), [plain.alias, capable.alias]);

    // Without a team there is no organization to check the credential against.
    assert.equal(skippedOf((await dryRun(gateway, group.name)).body)[otherOrganization.alias], undefined);
    const nothing = await dryRun(gateway, group.name, { team_id: team.teamId, tools: true, prompt_tokens: 200_000 });
    assert.equal(nothing.status, 200);
    assert.deepEqual(nothing.body.candidates, [], 'nothing can serve: an empty list, the gateway answers 503');
  });

  test('404 model_not_found for an unknown or inactive name, 403 model_not_allowed when not granted', async () => {
    const deployment = await createDeployment(gateway);
    const group = await createModelGroup(gateway, [deployment.alias]);
    const team = await teamGranted({ model_groups: [group.name] });
    const outsider = await teamGranted({});

    const unknown = await dryRun(gateway, uniqueId('nothing'), { team_id: team.teamId });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'model_not_found');
    const forbidden = await dryRun(gateway, group.name, { team_id: outsider.teamId });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error.code, 'model_not_allowed');
    // A group's grant does not grant its members by alias.
    const memberByAlias = await dryRun(gateway, deployment.alias, { team_id: team.teamId });
    assert.equal(memberByAlias.body.error.code, 'model_not_allowed');
    const noTeam = await dryRun(gateway, group.name, { team_id: uniqueId('no-team') });
    assert.equal(noTeam.status, 404);
    assert.equal(noTeam.body.error.code, 'not_found');

    await adminOk(gateway, `/api/model-groups/${group.name}`, { method: 'PUT', body: { status: 'inactive' } });
    const inactive = await dryRun(gateway, group.name, { team_id: team.teamId });
    assert.equal(inactive.status, 404);
    assert.equal(inactive.body.error.code, 'model_not_found');

    // The key's own allow-list narrows the team's grants.
    const resolver = gateway.container.modelResolver;
    await adminOk(gateway, `/api/model-groups/${group.name}`, { method: 'PUT', body: { status: 'active' } });
    await assert.rejects(resolver.resolve(group.name, team.teamId, {}, { allowedNames: ['something-else'] }), { code: 'model_not_allowed' });
    assert.equal((await resolver.resolve(group.name, team.teamId, {}, { allowedNames: [group.name] })).candidates.length, 1);
  });

  test('a deployment alias granted directly resolves to that deployment alone', async () => {
    const deployment = await createDeployment(gateway, { input_price_per_million: 1, output_price_per_million: 2 });
    const team = await teamGranted({ deployments: [deployment.alias] });
    const resolved = await dryRun(gateway, deployment.alias, { team_id: team.teamId });
    assert.equal(resolved.status, 200);
    assert.equal(resolved.body.kind, 'deployment');
    assert.deepEqual(aliasesOf(resolved.body), [deployment.alias]);
    assert.equal(resolved.body.candidates[0].price_source, 'deployment');
    const full = await gateway.container.modelResolver.resolve(deployment.alias, team.teamId);
    assert.equal(full.modelGroup, null);
    assert.deepEqual(full.candidates[0]!.effectivePrice, { inputNanosPerMillion: 1e9, outputNanosPerMillion: 2e9, cachedInputNanosPerMillion: null, source: 'deployment', asOf: null });
  });

  test('changes made through the API are seen at once (the cache is invalidated)', async () => {
    const [first, second] = [await createDeployment(gateway), await createDeployment(gateway)];
    const group = await createModelGroup(gateway, [first.alias, second.alias]);
    const team = await teamGranted({ model_groups: [group.name] });
    assert.deepEqual(aliasesOf((await dryRun(gateway, group.name, { team_id: team.teamId })).body), [first.alias, second.alias]);

    await adminOk(gateway, `/api/models/${first.alias}`, { method: 'PUT', body: { status: 'inactive' } });
    const afterDeactivate = (await dryRun(gateway, group.name, { team_id: team.teamId })).body;
    assert.deepEqual(aliasesOf(afterDeactivate), [second.alias]);
    assert.equal(skippedOf(afterDeactivate)[first.alias], 'inactive');

    await adminOk(gateway, `/api/model-groups/${group.name}/models`, { method: 'PUT', body: { members: [{ alias: second.alias }, { alias: first.alias }] } });
    await adminOk(gateway, `/api/models/${first.alias}`, { method: 'PUT', body: { status: 'active' } });
    assert.deepEqual(aliasesOf((await dryRun(gateway, group.name, { team_id: team.teamId })).body), [second.alias, first.alias]);

    // A team's access groups changed through the teams API reach the resolver too.
    await adminOk(gateway, `/api/teams/${team.teamId}/access-groups`, { method: 'PUT', body: { access_groups: [] } });
    assert.equal((await dryRun(gateway, group.name, { team_id: team.teamId })).status, 403);
  });

  test('steady state: no database round trip per resolution; a reload only after invalidate()', async () => {
    const deployment = await createDeployment(gateway);
    const group = await createModelGroup(gateway, [deployment.alias]);
    const team = await teamGranted({ model_groups: [group.name] });
    let queries = 0;
    const counting: Queryable = { query: (sql, params) => { queries += 1; return gateway.container.db.query(sql, params); } };
    const resolver = new ModelResolver(new PgCatalogReader(counting), gateway.container.secretBox);
    await resolver.resolve(group.name, team.teamId);
    const afterFirst = queries;
    assert.ok(afterFirst > 0);
    await Promise.all(Array.from({ length: 200 }, () => resolver.resolve(group.name, team.teamId, { tools: true, promptTokens: 10 })));
    assert.deepEqual(await resolver.callableModelGroups(team.teamId), [{ name: group.name, displayName: group.name, description: '' }]);
    assert.equal(queries, afterFirst, '201 resolutions and a listing cost one load');
    resolver.invalidate();
    await resolver.resolve(group.name, team.teamId);
    assert.ok(queries > afterFirst, 'invalidate() forces a reload');
  });

  test('the dry run never shows a secret, but the gateway gets the decrypted credential', async () => {
    const secret = `sk-${uniqueId('upstream')}-0123456789`;
    const credential = await createCredential(gateway, {
      provider: 'openai-compatible', api_key: secret, api_base: 'https://api.groq.com/openai/v1', extra_headers: { 'x-tenant': 'hidden-value' },
    });
    const deployment = await createDeployment(gateway, { provider: 'openai-compatible', model: 'llama-3.3-70b-versatile', credential_id: credential.credential_id });
    const group = await createModelGroup(gateway, [deployment.alias]);
    const resolved = await dryRun(gateway, group.name);
    assert.equal(resolved.status, 200);
    const text = JSON.stringify(resolved.body);
    for (const hidden of [secret, 'hidden-value', 'api.groq.com']) assert.equal(text.includes(hidden), false, hidden);
    assert.equal(resolved.body.candidates[0].price_source, 'price_table', 'priced from the shipped table by model id and host');
    const [candidate] = (await gateway.container.modelResolver.resolve(group.name, null)).candidates;
    assert.equal(candidate!.target.apiKey, secret);
    assert.equal(candidate!.target.apiBase, 'https://api.groq.com/openai/v1');
    assert.deepEqual(candidate!.target.extraHeaders, { 'x-tenant': 'hidden-value' });
    assert.equal(candidate!.effectivePrice.inputNanosPerMillion, 590_000_000);
    assert.equal(gateway.logs.join('').includes(secret), false);
  });

  test('malformed dry-run queries are a 400 naming the field', async () => {
    const group = await createModelGroup(gateway, []);
    for (const [query, param] of [[{ tools: 'yes' }, 'tools'], [{ prompt_tokens: -1 }, 'prompt_tokens'], [{ team_id: 'a b' }, 'team_id'], [{ colour: 'red' }, 'query']] as const) {
      const response = await dryRun(gateway, group.name, query);
      assert.equal(response.status, 400, JSON.stringify(query));
      assert.equal(response.body.error.param, param);
    }
  });
});
