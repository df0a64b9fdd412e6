import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant, type Tenant } from './helpers/tenant-factory.ts';

/**
 * 06-quality.md, "Isolation": team A's key against every client-plane route that names team B's job,
 * call or team answers 404 (jobs, calls) or 403 (team ids) — and never B's data.
 */
describe('tenant isolation matrix', () => {
  let gateway: TestGateway;
  let alice: Tenant;
  let bob: Tenant;
  let bobJob: string;
  let bobCall: string;
  before(async () => {
    gateway = await startTestGateway();
    alice = await createTenant(gateway);
    bob = await createTenant(gateway);
    const job = await gateway.request('/api/jobs/create', { headers: bob.auth, body: { job_type: 'secret-work', metadata: { secret: 'bob-only' } } });
    bobJob = job.body.job_id;
    const call = await gateway.request(`/api/jobs/${bobJob}/llm-call`, { headers: bob.auth, body: { model: bob.group, messages: [{ role: 'user', content: 'bob private prompt' }] } });
    bobCall = call.body.call_id;
  });
  after(async () => { await gateway.close(); });

  /** A body valid for the route, so the refusal comes from the ownership check and not from validation. */
  function bodyFor(url: string): Record<string, unknown> {
    if (url.endsWith('/check')) return { credits_needed: 1 };
    if (url.endsWith('/complete')) return { status: 'completed' };
    if (url.endsWith('/metadata')) return { metadata: { stolen: true } };
    if (url.includes('llm-call')) return { model: alice.group, messages: [{ role: 'user', content: 'x' }] };
    return {};
  }

  test("every client route with a job, call or team in its path refuses team A's key on team B's ids", async () => {
    const routes = gateway.app.routeRegistry.routes.filter((route) => (route.auth === 'virtual_key' || route.auth === 'admin_or_key') && /:(job_id|call_id|team_id)/.test(route.url));
    assert.ok(routes.length >= 12, `only ${routes.length} routes`);
    for (const route of routes) {
      const path = route.url.replace(':job_id', bobJob).replace(':call_id', bobCall).replace(':team_id', bob.teamId);
      const body = route.method === 'GET' ? undefined : bodyFor(route.url);
      const response = await gateway.request(path, { method: route.method, headers: alice.auth, ...(body ? { body } : {}) });
      const expected = route.url.includes(':team_id') ? 403 : 404;
      assert.equal(response.status, expected, `${route.method} ${route.url} → ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
      assert.ok(!JSON.stringify(response.body).includes('bob-only') && !JSON.stringify(response.body).includes('bob private prompt'), `${route.method} ${route.url} leaked B's data`);
    }
    const job = await gateway.request(`/api/jobs/${bobJob}`, { headers: bob.auth });
    assert.equal(job.body.status, 'in_progress', "B's job was not touched");
    assert.deepEqual(job.body.metadata, { secret: 'bob-only' });
  });

  test("the /v1 surface: team A cannot attach calls to team B's job", async () => {
    const response = await gateway.request('/v1/chat/completions', {
      headers: { ...alice.auth, 'x-job-id': bobJob }, body: { model: alice.group, messages: [{ role: 'user', content: 'x' }] },
    });
    assert.equal(response.status, 404);
  });

  test("team A cannot call team B's model groups", async () => {
    const job = await gateway.request('/api/jobs/create', { headers: alice.auth, body: { job_type: 'x' } });
    const response = await gateway.request(`/api/jobs/${job.body.job_id}/llm-call`, { headers: alice.auth, body: { model: bob.group, messages: [{ role: 'user', content: 'x' }] } });
    assert.equal(response.status, 403);
    assert.equal(response.body.error.code, 'model_not_allowed');
  });
});
