import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisteredRoute } from '../src/http/route-registry.ts';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';

/**
 * Non-GET routes declared `access: 'read'` (open to viewers). Each is here on purpose: a new one fails the
 * test below until someone decides a viewer may call it and adds it with its reason.
 */
const VIEWER_NON_GET_ROUTES = new Set([
  'POST /api/admin-users/logout', // every role ends its own session
  'POST /api/admin-users/me/change-password', // every role changes its own password
  'POST /api/credits/teams/:team_id/check', // a read that takes a body (the original's credit check)
]);

/** A concrete path for a route pattern; the auth hook answers before any handler looks at the values. */
const probePath = (route: RegisteredRoute) => route.url.replace(/:([A-Za-z_]+)/g, (_match, name: string) => (name.endsWith('_id') ? '00000000-0000-4000-8000-000000000000' : `probe-${name}`));
const describeRoute = (route: RegisteredRoute) => `${route.method} ${route.url}`;

describe('admin access matrix over every registered route', () => {
  let gateway: TestGateway;
  let routes: RegisteredRoute[];
  let viewerToken: string;
  let adminToken: string;

  const call = (route: RegisteredRoute, headers: Record<string, string>) =>
    gateway.request(probePath(route), { method: route.method, headers, ...(route.method === 'GET' ? {} : { body: {} }) });

  before(async () => {
    gateway = await startTestGateway();
    routes = gateway.app.routeRegistry.routes;
    const setup = await gateway.request('/api/admin-users/setup', { body: { email: 'owner@example.com', password: 'owner-password-123' } });
    assert.equal(setup.status, 200);
    for (const role of ['viewer', 'admin'] as const) {
      const created = await gateway.admin('/api/admin-users', { body: { email: `${role}@example.com`, password: `${role}-password-123`, role } });
      assert.equal(created.status, 200);
    }
    viewerToken = (await gateway.request('/api/admin-users/login', { body: { email: 'viewer@example.com', password: 'viewer-password-123' } })).body.token;
    adminToken = (await gateway.request('/api/admin-users/login', { body: { email: 'admin@example.com', password: 'admin-password-123' } })).body.token;
  });
  after(async () => { await gateway.close(); });

  test('the registry holds the admin routes of this area', () => {
    const names = new Set(routes.map(describeRoute));
    for (const expected of ['GET /api/admin-users', 'POST /api/admin-users', 'PUT /api/admin-users/:user_id', 'DELETE /api/admin-users/:user_id',
      'GET /api/admin-users/audit-logs', 'GET /api/admin/jobs', 'GET /api/admin/jobs/:job_id', 'GET /api/admin/analytics', 'GET /api/stats/dashboard']) {
      assert.ok(names.has(expected), `${expected} is registered`);
    }
  });

  test('only the reviewed non-GET routes are open to viewers', () => {
    const openMutations = routes.filter((route) => route.auth !== 'public' && route.method !== 'GET' && route.access === 'read').map(describeRoute);
    assert.deepEqual(openMutations.filter((name) => !VIEWER_NON_GET_ROUTES.has(name)), []);
  });

  test('a viewer gets 403 forbidden on every mutating admin route', async () => {
    const mutating = routes.filter((route) => (route.auth === 'admin' || route.auth === 'admin_or_key') && route.access !== 'read');
    assert.ok(mutating.length >= 3);
    for (const route of mutating) {
      const response = await call(route, { authorization: `Bearer ${viewerToken}` });
      assert.equal(response.status, 403, `${describeRoute(route)} → ${response.status}`);
      assert.equal(response.body.error.code, 'forbidden', describeRoute(route));
    }
  });

  test('a viewer passes authentication on every admin read', async () => {
    const reads = routes.filter((route) => route.auth === 'admin' && route.access === 'read' && route.method === 'GET');
    for (const route of reads) {
      const response = await call(route, { authorization: `Bearer ${viewerToken}` });
      assert.ok(response.status !== 401 && response.status !== 403, `${describeRoute(route)} → ${response.status}`);
    }
  });

  test('an admin gets 403 on every owner-only route', async () => {
    for (const route of routes.filter((candidate) => candidate.auth === 'admin' && candidate.access === 'owner')) {
      const response = await call(route, { authorization: `Bearer ${adminToken}` });
      assert.equal(response.status, 403, describeRoute(route));
    }
  });

  test('every admin route answers 401 to no credentials, a wrong master key and a wrong session', async () => {
    const adminRoutes = routes.filter((route) => route.auth === 'admin' || route.auth === 'admin_or_key');
    const wrongKey = `${gateway.masterKey}x`;
    const attempts: Array<Record<string, string>> = [
      {},
      { 'x-admin-key': wrongKey },
      { authorization: `Bearer ${wrongKey}` },
      { authorization: `Bearer sls_${'A'.repeat(43)}` },
      { cookie: `saas_llm_session=sls_${'B'.repeat(43)}` },
      // A wrong explicit key does not fall back to a valid session cookie.
      { 'x-admin-key': wrongKey, cookie: `saas_llm_session=${viewerToken}` },
    ];
    for (const route of adminRoutes) {
      for (const headers of attempts) {
        const response = await call(route, headers);
        assert.equal(response.status, 401, `${describeRoute(route)} with ${Object.keys(headers).join(',') || 'nothing'} → ${response.status}`);
        assert.equal(response.body.error.code, 'invalid_api_key');
      }
    }
  });

  test('the master key works as X-Admin-Key and as Bearer', async () => {
    for (const headers of [{ 'x-admin-key': gateway.masterKey }, { authorization: `Bearer ${gateway.masterKey}` }] as Array<Record<string, string>>) {
      const me = await gateway.request('/api/admin-users/me', { headers });
      assert.equal(me.status, 200);
      assert.deepEqual(me.body, { auth: 'master_key', user_id: null, email: null, name: 'master key', role: 'owner' });
    }
  });
});

describe('without a configured master key', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway({ masterKey: null }); });
  after(async () => { await gateway.close(); });

  test('the master-key path is off', async () => {
    const response = await gateway.admin('/api/admin-users');
    assert.equal(response.status, 401);
    const asBearer = await gateway.request('/api/admin-users', { headers: { authorization: `Bearer ${gateway.masterKey}` } });
    assert.equal(asBearer.status, 401);
  });
});
