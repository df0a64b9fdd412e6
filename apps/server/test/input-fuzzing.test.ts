import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant, type Tenant } from './helpers/tenant-factory.ts';

/**
 * Property-based fuzzing of every public route (06-quality.md, "Bad input"): random bodies, queries and
 * path values, sent with a valid credential for the route, never produce a 500 or a crash, and every
 * error is the one envelope.
 */
describe('fuzzing every route: never a 500, always the envelope', () => {
  let gateway: TestGateway;
  let tenant: Tenant;
  before(async () => {
    gateway = await startTestGateway({ logLevel: 'fatal' });
    tenant = await createTenant(gateway);
  });
  after(async () => { await gateway.close(); });

  const jsonValue = fc.jsonValue({ maxDepth: 3 });
  const body = fc.oneof(
    fc.dictionary(fc.constantFrom('model', 'model_group', 'messages', 'job_type', 'team_id', 'status', 'name', 'credits', 'alias', 'provider', 'metadata', 'stream', 'max_tokens', 'response_format', 'tools', 'validate', 'organization_id', 'members', 'email', 'password', 'reason', 'budget_mode'), jsonValue, { maxKeys: 6 }),
    jsonValue,
  );
  const pathValue = fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), fc.constantFrom('%00', '..%2F..', 'team-alpha', '💥', 'a'.repeat(300)));
  const queryValue = fc.dictionary(fc.constantFrom('limit', 'cursor', 'status', 'from', 'to', 'period', 'team_id', 'force', 'group_by', 'job_type'), fc.string({ maxLength: 30 }), { maxKeys: 3 });

  test('every registered route survives random input', async () => {
    const routes = gateway.app.routeRegistry.routes;
    assert.ok(routes.length > 50, `only ${routes.length} routes registered`);
    const failures: string[] = [];
    for (const route of routes) {
      const headers: Record<string, string> = route.auth === 'virtual_key' ? tenant.auth : route.auth === 'public' ? {} : { 'x-admin-key': gateway.masterKey };
      await fc.assert(fc.asyncProperty(fc.array(pathValue, { minLength: 3, maxLength: 3 }), queryValue, body, async (paths, query, payload) => {
        let index = 0;
        const path = route.url.replace(/:[A-Za-z_]+/g, () => encodeURIComponent(paths[index++]!));
        const search = new URLSearchParams(query).toString();
        const response = await fetch(`${gateway.url}${path}${search ? `?${search}` : ''}`, {
          method: route.method,
          headers: { ...headers, ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: JSON.stringify(payload) }),
        });
        const text = await response.text();
        const where = `${route.method} ${path} → ${response.status}`;
        if (response.status >= 500) failures.push(`${where}: ${text.slice(0, 200)} (body ${JSON.stringify(payload).slice(0, 200)})`);
        else if (response.status >= 400) {
          let parsed: { error?: { code?: unknown; message?: unknown }; detail?: unknown } | null = null;
          try { parsed = JSON.parse(text); } catch { failures.push(`${where}: not JSON: ${text.slice(0, 200)}`); }
          if (parsed && (typeof parsed.error?.code !== 'string' || parsed.detail !== parsed.error.message)) failures.push(`${where}: not the envelope: ${text.slice(0, 200)}`);
        }
      }), { numRuns: 12, seed: 20261124 });
    }
    assert.deepEqual(failures, []);
  });

  test('non-JSON and oversized bodies get 400 and 413, never 500', async () => {
    const garbage = await fetch(`${gateway.url}/api/jobs/create`, { method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, body: '{"job_type": "x",,,' });
    assert.equal(garbage.status, 400);
    const wrongType = await fetch(`${gateway.url}/api/jobs/create`, { method: 'POST', headers: { ...tenant.auth, 'content-type': 'text/plain' }, body: 'hello' });
    assert.ok(wrongType.status === 400 || wrongType.status === 415, String(wrongType.status));
    const huge = await fetch(`${gateway.url}/api/jobs/create`, {
      method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ job_type: 'x', metadata: { blob: 'x'.repeat(gateway.config.bodyLimitBytes + 10) } }),
    });
    assert.equal(huge.status, 413);
    assert.equal((await huge.json() as any).error.code, 'request_too_large');
  });
});
