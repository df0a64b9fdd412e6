import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant } from './helpers/tenant-factory.ts';

describe('operations endpoints', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('health and readiness', async () => {
    const health = await gateway.request('/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    assert.match(health.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.match(health.headers.get('server-timing') ?? '', /^gateway;dur=\d+\.\d, upstream;dur=\d+\.\d$/);
    const ready = await gateway.request('/health/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { database: true, migrations: true });
  });

  test('the embedded database is vacuumed by the gateway; a PostgreSQL server by its own autovacuum', () => {
    assert.equal(gateway.container.vacuum !== null, gateway.container.db.dialect === 'pglite');
  });

  test('echoes a valid x-request-id and replaces an invalid one', async () => {
    const echoed = await gateway.request('/health', { headers: { 'x-request-id': 'abc-123' } });
    assert.equal(echoed.headers.get('x-request-id'), 'abc-123');
    const replaced = await gateway.request('/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.notEqual(replaced.headers.get('x-request-id'), 'bad id with spaces');
  });

  test('unknown routes and malformed JSON answer the error envelope', async () => {
    const missing = await gateway.request('/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    assert.equal(missing.body.detail, missing.body.error.message);
  });

  test('openapi document and docs page', async () => {
    const doc = await gateway.request('/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
    assert.ok(doc.body.paths['/health']);
    const page = await gateway.request('/docs');
    assert.equal(page.status, 200);
    assert.match(page.body, /SwaggerUIBundle/);
    const asset = await gateway.request('/docs/assets/swagger-ui-bundle.js');
    assert.equal(asset.status, 200);
  });

  test('GET /metrics: Prometheus text with requests per route, calls, upstream attempts and overhead', async () => {
    const tenant = await createTenant(gateway);
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'metrics' } });
    const call = await gateway.request(`/api/jobs/${job.body.job_id}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(call.status, 200);
    await gateway.request(`/api/jobs/${job.body.job_id}/complete`, { headers: tenant.auth, body: { status: 'completed' } });
    const metrics = await gateway.request('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
    const text = metrics.body as string;
    assert.match(text, /saas_llm_http_requests_total\{method="POST",route="\/api\/jobs\/:job_id\/llm-call",status="200"\} 1/);
    assert.match(text, new RegExp(`saas_llm_calls_total\\{model_group="${tenant.group}",status="succeeded",stream="false"\\} 1`));
    assert.match(text, new RegExp(`saas_llm_upstream_attempt_duration_seconds_count\\{deployment="${tenant.aliases[0]}",provider="mock",outcome="succeeded"\\} 1`));
    assert.match(text, /saas_llm_gateway_overhead_seconds_bucket/);
    assert.match(text, /saas_llm_credits_charged_total 1/);
    assert.match(text, /saas_llm_active_streams 0/);
    assert.ok(!text.includes(tenant.key), 'no secrets in metrics');
  });
});
