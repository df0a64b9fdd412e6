import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { bearer, createTeam, uniqueId } from './helpers/tenancy-fixtures.ts';
import { adminOk, createAccessGroup, createCredential, createDeployment, createModelGroup } from './helpers/catalog-fixtures.ts';

describe('deployments (/api/models)', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('create with defaults, in both forms', async () => {
    const minimal = await createDeployment(gateway);
    assert.equal(minimal.provider, 'mock');
    assert.equal(minimal.status, 'active');
    assert.equal(minimal.timeout_ms, 600_000);
    assert.equal(minimal.credential_id, null);
    assert.equal(minimal.input_price_per_million, null);
    assert.deepEqual(minimal.capabilities, { tools: true, json_schema: true, vision: true, embeddings: false });
    assert.deepEqual(minimal.settings, {});
    const alias = uniqueId('rest');
    const rest = await adminOk(gateway, '/api/models', {
      body: { alias, provider: 'mock', model: 'mock-chat', settings: { ttft_ms: 5 }, capabilities: { vision: false }, context_window: 8000, max_output_tokens: 1000, timeout_ms: 30_000 },
    });
    assert.equal(rest.alias, alias);
    assert.deepEqual(rest.settings, { ttft_ms: 5 });
    assert.equal(rest.capabilities.vision, false);
    assert.equal(rest.capabilities.tools, true, 'unnamed capabilities keep their defaults');
    assert.equal(rest.context_window, 8000);
    const listed = await adminOk(gateway, '/api/models');
    assert.ok(listed.some((deployment: any) => deployment.alias === alias));
    assert.equal((await adminOk(gateway, `/api/models/${alias}`)).timeout_ms, 30_000);
  });

  test('provider defaults: an OpenAI-compatible host is assumed text-only with emulated json_schema', async () => {
    const credential = await createCredential(gateway, { provider: 'openai-compatible', api_key: 'gsk-0123456789abcdef', api_base: 'https://api.groq.com/openai/v1' });
    const deployment = await createDeployment(gateway, { provider: 'openai-compatible', model: 'llama-3.3-70b-versatile', credential_id: credential.credential_id });
    assert.deepEqual(deployment.capabilities, { tools: true, json_schema: false, vision: false, embeddings: false });
    const anthropic = await createCredential(gateway, { provider: 'anthropic', api_key: 'sk-ant-0123456789abcdef' });
    const claude = await createDeployment(gateway, { provider: 'anthropic', model: 'claude-haiku-4-5', credential_id: anthropic.credential_id });
    assert.equal(claude.capabilities.json_schema, false);
  });

  test('prices travel as USD per 1M tokens and are stored exactly as nano-dollars', async () => {
    const deployment = await createDeployment(gateway, { input_price_per_million: 2.5, output_price_per_million: 0.15, cached_input_price_per_million: 0.000001 });
    assert.equal(deployment.input_price_per_million, 2.5);
    assert.equal(deployment.output_price_per_million, 0.15);
    assert.equal(deployment.cached_input_price_per_million, 0.000001);
    const [row] = await gateway.container.db.query<Record<string, number>>(
      'SELECT input_price_nanos, output_price_nanos, cached_input_price_nanos FROM deployments WHERE alias = $1', [deployment.alias]);
    assert.deepEqual(row, { input_price_nanos: 2_500_000_000, output_price_nanos: 150_000_000, cached_input_price_nanos: 1_000 });
    const cleared = await adminOk(gateway, `/api/models/${deployment.alias}`, { method: 'PUT', body: { cached_input_price_per_million: null, output_price_per_million: 10 } });
    assert.equal(cleared.cached_input_price_per_million, null);
    assert.equal(cleared.output_price_per_million, 10);
    assert.equal(cleared.input_price_per_million, 2.5, 'a price not named keeps its value');
  });

  test('the credential must exist and match the provider; real providers need one; some need an endpoint', async () => {
    const openaiCredential = await createCredential(gateway, { provider: 'openai', api_key: 'sk-0123456789abcdef' });
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ provider: 'openai', model: 'gpt-4o' }, 'credential_id', /required/],
      [{ provider: 'anthropic', model: 'claude-haiku-4-5', credential_id: openaiCredential.credential_id }, 'credential_id', /'openai', not 'anthropic'/],
      [{ provider: 'openai', model: 'gpt-4o', credential_id: randomUUID() }, 'credential_id', /does not exist/],
      [{ provider: 'openai-compatible', model: 'x' }, 'api_base', /required/],
      [{ provider: 'mock', model: 'm', context_window: 1000, max_output_tokens: 2000 }, 'max_output_tokens', /context_window/],
    ];
    for (const [fields, param, message] of cases) {
      const response = await gateway.admin('/api/models/create', { body: { alias: uniqueId('bad'), ...fields } });
      assert.equal(response.status, 400, JSON.stringify(fields));
      assert.equal(response.body.error.param, param, JSON.stringify(response.body));
      assert.match(response.body.error.message, message);
    }
    const ok = await createDeployment(gateway, { provider: 'openai', model: 'gpt-4o', credential_id: openaiCredential.credential_id });
    const switched = await gateway.admin(`/api/models/${ok.alias}`, { method: 'PUT', body: { provider: 'gemini' } });
    assert.equal(switched.status, 400, 'changing the provider re-checks the credential');
    assert.equal(switched.body.error.param, 'credential_id');
    assert.equal((await adminOk(gateway, `/api/models/${ok.alias}`)).provider, 'openai', 'a refused update changes nothing');
  });

  test('update merges capabilities and changes status and model', async () => {
    const deployment = await createDeployment(gateway, { capabilities: { tools: false } });
    const updated = await adminOk(gateway, `/api/models/${deployment.alias}`, {
      method: 'PUT', body: { model: 'mock-large', status: 'inactive', capabilities: { embeddings: true }, settings: { tokens_per_second: 100 } },
    });
    assert.equal(updated.model, 'mock-large');
    assert.equal(updated.status, 'inactive');
    assert.deepEqual(updated.capabilities, { tools: false, json_schema: true, vision: true, embeddings: true });
    assert.deepEqual(updated.settings, { tokens_per_second: 100 });
    assert.equal((await gateway.admin(`/api/models/${uniqueId('missing')}`, { method: 'PUT', body: { model: 'x' } })).status, 404);
  });

  test('malformed input is a 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ alias: 'has spaces', provider: 'mock', model: 'm' }, 'alias'],
      [{ alias: uniqueId('a'), provider: 'mock' }, 'model'],
      [{ alias: uniqueId('a'), provider: 'mock', model: 'm', input_price_per_million: -1 }, 'input_price_per_million'],
      [{ alias: uniqueId('a'), provider: 'mock', model: 'm', timeout_ms: 'soon' }, 'timeout_ms'],
      [{ alias: uniqueId('a'), provider: 'mock', model: 'm', capabilities: { telepathy: true } }, 'capabilities'],
      [{ alias: uniqueId('a'), provider: 'mock', model: 'm', status: 'paused' }, 'status'],
      [{ alias: uniqueId('a'), provider: 'mock', model: 'm', credential_id: 'nope' }, 'credential_id'],
    ];
    for (const [body, param] of cases) {
      const response = await gateway.admin('/api/models/create', { body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.param, param, JSON.stringify(response.body));
    }
    const duplicate = await createDeployment(gateway);
    assert.equal((await gateway.admin('/api/models/create', { body: { alias: duplicate.alias, provider: 'mock', model: 'm' } })).status, 409);
    assert.equal((await gateway.admin(`/api/models/${uniqueId('missing')}`)).status, 404);
    assert.equal((await gateway.admin(`/api/models/${duplicate.alias}?force=maybe`, { method: 'DELETE' })).status, 400);
  });

  test('delete is refused while a group or an access group uses the alias, unless ?force=true', async () => {
    const deployment = await createDeployment(gateway);
    const other = await createDeployment(gateway);
    const group = await createModelGroup(gateway, [deployment.alias, other.alias]);
    const access = await createAccessGroup(gateway, { deployments: [deployment.alias] });
    const refused = await gateway.admin(`/api/models/${deployment.alias}`, { method: 'DELETE' });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, new RegExp(`model group '${group.name}'`));
    assert.match(refused.body.error.message, new RegExp(`access group '${access.name}'`));
    assert.deepEqual(await adminOk(gateway, `/api/models/${deployment.alias}?force=true`, { method: 'DELETE' }), { deleted: true, alias: deployment.alias });
    assert.deepEqual((await adminOk(gateway, `/api/model-groups/${group.name}`)).members.map((member: any) => member.alias), [other.alias]);
    assert.deepEqual((await adminOk(gateway, `/api/model-access-groups/${access.name}`)).deployments, []);
    assert.equal((await gateway.admin(`/api/models/${deployment.alias}`)).status, 404);
    // A new deployment under the old alias inherits none of the old grants.
    await createDeployment(gateway, { alias: deployment.alias });
    assert.deepEqual((await adminOk(gateway, `/api/model-access-groups/${access.name}`)).deployments, []);
  });

  test('a virtual key gets 401 on every deployment route', async () => {
    const { key } = await createTeam(gateway);
    const { alias } = await createDeployment(gateway);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/models'],
      ['POST', '/api/models/create', { alias: uniqueId('k'), provider: 'mock', model: 'm' }],
      ['POST', '/api/models', { alias: uniqueId('k'), provider: 'mock', model: 'm' }],
      ['GET', `/api/models/${alias}`],
      ['PUT', `/api/models/${alias}`, { status: 'inactive' }],
      ['DELETE', `/api/models/${alias}`],
    ];
    for (const [method, path, body] of routes) {
      const response = await gateway.request(path, { method, body, headers: bearer(key) });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(response.body.error.code, 'invalid_api_key');
    }
    assert.equal((await adminOk(gateway, `/api/models/${alias}`)).status, 'active', 'nothing changed');
  });
});
