import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { bearer, createTeam } from './helpers/tenancy-fixtures.ts';
import { adminOk, createCredential, createDeployment } from './helpers/catalog-fixtures.ts';

describe('GET /api/pricing', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('the shipped table, dated, in USD per 1M tokens', async () => {
    const pricing = await adminOk(gateway, '/api/pricing');
    assert.equal(pricing.currency, 'USD');
    assert.equal(pricing.unit, 'per 1M tokens');
    assert.match(pricing.price_table.as_of, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(pricing.price_table.note.length > 0);
    const mini = pricing.models.find((model: any) => model.provider === 'openai' && model.model === 'gpt-4o-mini');
    assert.deepEqual(mini, { provider: 'openai', model: 'gpt-4o-mini', input_price_per_million: 0.15, output_price_per_million: 0.6, cached_input_price_per_million: 0.075, as_of: mini.as_of });
    for (const provider of ['anthropic', 'gemini', 'groq', 'together', 'fireworks', 'deepseek', 'mistral']) {
      assert.ok(pricing.models.some((model: any) => model.provider === provider), provider);
    }
  });

  test("each deployment's metered price: its own, else the table's (dated snapshots included), else unpriced", async () => {
    const openai = await createCredential(gateway, { provider: 'openai', api_key: 'sk-0123456789abcdefghij' });
    const own = await createDeployment(gateway, { input_price_per_million: 3, output_price_per_million: 9, cached_input_price_per_million: 0.5 });
    const listed = await createDeployment(gateway, { provider: 'openai', model: 'gpt-4o-2024-08-06', credential_id: openai.credential_id });
    const unpriced = await createDeployment(gateway, { model: 'mock-chat' });
    const pricing = await adminOk(gateway, '/api/pricing');
    const byAlias = new Map(pricing.deployments.map((deployment: any) => [deployment.alias, deployment]));
    assert.deepEqual(byAlias.get(own.alias), {
      alias: own.alias, provider: 'mock', model: 'mock-chat', input_price_per_million: 3, output_price_per_million: 9, cached_input_price_per_million: 0.5, source: 'deployment', as_of: null,
    });
    const fromTable = byAlias.get(listed.alias) as any;
    assert.equal(fromTable.source, 'price_table');
    assert.deepEqual([fromTable.input_price_per_million, fromTable.output_price_per_million, fromTable.cached_input_price_per_million], [2.5, 10, 1.25]);
    assert.match(fromTable.as_of, /^\d{4}-\d{2}-\d{2}$/);
    const none = byAlias.get(unpriced.alias) as any;
    assert.deepEqual([none.source, none.input_price_per_million, none.output_price_per_million], ['unpriced', 0, 0]);
    // Prices set later take over from the table at once, as a set: nothing is mixed in from the table
    // (no cached price of its own → cached tokens are charged at its input price).
    await adminOk(gateway, `/api/models/${listed.alias}`, { method: 'PUT', body: { input_price_per_million: 2, output_price_per_million: 8 } });
    const repriced = (await adminOk(gateway, '/api/pricing')).deployments.find((deployment: any) => deployment.alias === listed.alias);
    assert.deepEqual([repriced.source, repriced.input_price_per_million, repriced.cached_input_price_per_million], ['deployment', 2, null]);
  });

  test('a virtual key gets 401', async () => {
    const { key } = await createTeam(gateway);
    const response = await gateway.request('/api/pricing', { headers: bearer(key) });
    assert.equal(response.status, 401);
    assert.equal(response.body.error.code, 'invalid_api_key');
  });
});
