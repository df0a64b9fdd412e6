import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SaaSLLMAdminClient } from './admin-client.ts';

/** What the echo server saw, sent back as the answer. */
interface Echo {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** A real HTTP server on loopback that answers every request with a description of it. */
let server: Server;
let apiUrl = '';
before(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const text = Buffer.concat(chunks).toString('utf8');
      const echo: Echo = {
        method: request.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: text ? JSON.parse(text) : undefined,
        headers: request.headers,
      };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(echo));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = (): SaaSLLMAdminClient => new SaaSLLMAdminClient({ apiUrl, adminKey: 'master-key', maxRetries: 0 });

/** Each SDK call and the request it must send: method, path (decoded), query, body. */
const routes: Array<[string, (admin: SaaSLLMAdminClient) => Promise<unknown>, string, string, Record<string, string>?, unknown?]> = [
  ['organizations.list', (a) => a.organizations.list(), 'GET', '/api/organizations'],
  ['organizations.create', (a) => a.organizations.create({ organization_id: 'acme', name: 'Acme' }), 'POST', '/api/organizations/create', {}, { organization_id: 'acme', name: 'Acme' }],
  ['organizations.get', (a) => a.organizations.get('acme'), 'GET', '/api/organizations/acme'],
  ['organizations.update', (a) => a.organizations.update('acme', { name: 'Acme Inc' }), 'PUT', '/api/organizations/acme', {}, { name: 'Acme Inc' }],
  ['organizations.delete', (a) => a.organizations.delete('acme', { force: true }), 'DELETE', '/api/organizations/acme', { force: 'true' }],
  ['organizations.teams', (a) => a.organizations.teams('acme'), 'GET', '/api/organizations/acme/teams'],
  ['organizations.usage', (a) => a.organizations.usage('acme', { from: '2026-11-01T00:00:00Z' }), 'GET', '/api/organizations/acme/usage', { from: '2026-11-01T00:00:00Z' }],
  ['teams.list', (a) => a.teams.list({ organization_id: 'acme', status: 'active' }), 'GET', '/api/teams', { organization_id: 'acme', status: 'active' }],
  ['teams.create', (a) => a.teams.create({ team_id: 't1', organization_id: 'acme', credits_allocated: 100, access_groups: ['chat'], budget_mode: 'job_based' }), 'POST', '/api/teams/create', {}, { team_id: 't1', organization_id: 'acme', credits_allocated: 100, access_groups: ['chat'], budget_mode: 'job_based' }],
  ['teams.get', (a) => a.teams.get('t1'), 'GET', '/api/teams/t1'],
  ['teams.update', (a) => a.teams.update('t1', { rpm_limit: null }), 'PUT', '/api/teams/t1', {}, { rpm_limit: null }],
  ['teams.delete', (a) => a.teams.delete('t1'), 'DELETE', '/api/teams/t1', {}],
  ['teams.suspend', (a) => a.teams.suspend('t1'), 'PUT', '/api/teams/t1/suspend'],
  ['teams.pause', (a) => a.teams.pause('t1'), 'PUT', '/api/teams/t1/pause'],
  ['teams.resume', (a) => a.teams.resume('t1'), 'PUT', '/api/teams/t1/resume'],
  ['teams.setAccessGroups', (a) => a.teams.setAccessGroups('t1', ['chat']), 'PUT', '/api/teams/t1/access-groups', {}, { access_groups: ['chat'] }],
  ['keys.list', (a) => a.keys.list('t1'), 'GET', '/api/teams/t1/keys'],
  ['keys.create', (a) => a.keys.create('t1', { name: 'ci' }), 'POST', '/api/teams/t1/keys', {}, { name: 'ci' }],
  ['keys.rotate', (a) => a.keys.rotate('t1', 'k1', { grace_seconds: 60 }), 'POST', '/api/teams/t1/keys/k1/rotate', {}, { grace_seconds: 60 }],
  ['keys.revoke', (a) => a.keys.revoke('t1', 'k1'), 'DELETE', '/api/teams/t1/keys/k1'],
  ['credits.add', (a) => a.credits.add('t1', { credits: 5, reason: 'gift' }), 'POST', '/api/credits/teams/t1/add', {}, { credits: 5, reason: 'gift' }],
  ['credits.replenish', (a) => a.credits.replenish('t1', { credits: 5, payment_type: 'one_time' }), 'POST', '/api/credits/teams/t1/replenish', {}, { credits: 5, payment_type: 'one_time' }],
  ['credits.adjust', (a) => a.credits.adjust('t1', { credits: -2, reason: 'fix' }), 'POST', '/api/credits/teams/t1/adjust', {}, { credits: -2, reason: 'fix' }],
  ['credits.setBudgetMode', (a) => a.credits.setBudgetMode('t1', { budget_mode: 'consumption_usd' }), 'PATCH', '/api/credits/teams/t1/budget-mode', {}, { budget_mode: 'consumption_usd' }],
  ['credits.getConversionRates', (a) => a.credits.getConversionRates('t1'), 'GET', '/api/credits/teams/t1/conversion-rates'],
  ['credits.setConversionRates', (a) => a.credits.setConversionRates('t1', { credits_per_dollar: 20 }), 'PATCH', '/api/credits/teams/t1/conversion-rates', {}, { credits_per_dollar: 20 }],
  ['credits.configureAutoRefill', (a) => a.credits.configureAutoRefill('t1', { enabled: true, refill_amount: 10, refill_period: 'monthly' }), 'POST', '/api/credits/teams/t1/configure-auto-refill', {}, { enabled: true, refill_amount: 10, refill_period: 'monthly' }],
  ['credits.transactions', (a) => a.credits.transactions('t1', { limit: 5 }), 'GET', '/api/credits/teams/t1/transactions', { limit: '5' }],
  ['credits.balance', (a) => a.credits.balance('t1'), 'GET', '/api/credits/teams/t1/balance'],
  ['credentials.list', (a) => a.credentials.list(), 'GET', '/api/provider-credentials'],
  ['credentials.create', (a) => a.credentials.create({ provider: 'mock', name: 'm' }), 'POST', '/api/provider-credentials/create', {}, { provider: 'mock', name: 'm' }],
  ['credentials.get', (a) => a.credentials.get('c1'), 'GET', '/api/provider-credentials/c1'],
  ['credentials.update', (a) => a.credentials.update('c1', { api_key: 'sk-new' }), 'PUT', '/api/provider-credentials/c1', {}, { api_key: 'sk-new' }],
  ['credentials.delete', (a) => a.credentials.delete('c1'), 'DELETE', '/api/provider-credentials/c1'],
  ['credentials.activate', (a) => a.credentials.activate('c1'), 'PUT', '/api/provider-credentials/c1/activate'],
  ['credentials.deactivate', (a) => a.credentials.deactivate('c1'), 'PUT', '/api/provider-credentials/c1/deactivate'],
  ['models.list', (a) => a.models.list(), 'GET', '/api/models'],
  ['models.create', (a) => a.models.create({ alias: 'fast', provider: 'mock', model: 'mock-1' }), 'POST', '/api/models/create', {}, { alias: 'fast', provider: 'mock', model: 'mock-1' }],
  ['models.get', (a) => a.models.get('fast'), 'GET', '/api/models/fast'],
  ['models.update', (a) => a.models.update('fast', { status: 'inactive' }), 'PUT', '/api/models/fast', {}, { status: 'inactive' }],
  ['models.delete', (a) => a.models.delete('fast', { force: true }), 'DELETE', '/api/models/fast', { force: 'true' }],
  ['modelGroups.list', (a) => a.modelGroups.list(), 'GET', '/api/model-groups'],
  ['modelGroups.create', (a) => a.modelGroups.create({ name: 'chat-fast' }), 'POST', '/api/model-groups/create', {}, { name: 'chat-fast' }],
  ['modelGroups.get', (a) => a.modelGroups.get('chat-fast'), 'GET', '/api/model-groups/chat-fast'],
  ['modelGroups.update', (a) => a.modelGroups.update('chat-fast', { strategy: 'weighted' }), 'PUT', '/api/model-groups/chat-fast', {}, { strategy: 'weighted' }],
  ['modelGroups.delete', (a) => a.modelGroups.delete('chat-fast'), 'DELETE', '/api/model-groups/chat-fast'],
  ['modelGroups.setMembers', (a) => a.modelGroups.setMembers('chat-fast', [{ alias: 'fast', priority: 0 }]), 'PUT', '/api/model-groups/chat-fast/models', {}, { members: [{ alias: 'fast', priority: 0 }] }],
  ['modelGroups.resolve', (a) => a.modelGroups.resolve('chat-fast', { team_id: 't1', tools: true, prompt_tokens: 900 }), 'GET', '/api/model-groups/chat-fast/resolve', { team_id: 't1', tools: 'true', prompt_tokens: '900' }],
  ['accessGroups.list', (a) => a.accessGroups.list(), 'GET', '/api/model-access-groups'],
  ['accessGroups.create', (a) => a.accessGroups.create({ name: 'chat', model_groups: ['chat-fast'] }), 'POST', '/api/model-access-groups/create', {}, { name: 'chat', model_groups: ['chat-fast'] }],
  ['accessGroups.get', (a) => a.accessGroups.get('chat'), 'GET', '/api/model-access-groups/chat'],
  ['accessGroups.update', (a) => a.accessGroups.update('chat', { description: 'd' }), 'PUT', '/api/model-access-groups/chat', {}, { description: 'd' }],
  ['accessGroups.delete', (a) => a.accessGroups.delete('chat'), 'DELETE', '/api/model-access-groups/chat'],
  ['accessGroups.setMembers', (a) => a.accessGroups.setMembers('chat', { deployments: ['fast'] }), 'PUT', '/api/model-access-groups/chat/models', {}, { deployments: ['fast'] }],
  ['adminUsers.setupStatus', (a) => a.adminUsers.setupStatus(), 'GET', '/api/admin-users/setup/status'],
  ['adminUsers.setup', (a) => a.adminUsers.setup({ email: 'o@example.com', password: 'long-enough-1' }), 'POST', '/api/admin-users/setup', {}, { email: 'o@example.com', password: 'long-enough-1' }],
  ['adminUsers.login', (a) => a.adminUsers.login({ email: 'o@example.com', password: 'pw' }), 'POST', '/api/admin-users/login', {}, { email: 'o@example.com', password: 'pw' }],
  ['adminUsers.logout', (a) => a.adminUsers.logout(), 'POST', '/api/admin-users/logout'],
  ['adminUsers.me', (a) => a.adminUsers.me(), 'GET', '/api/admin-users/me'],
  ['adminUsers.changePassword', (a) => a.adminUsers.changePassword({ current_password: 'a', new_password: 'long-enough-2' }), 'POST', '/api/admin-users/me/change-password', {}, { current_password: 'a', new_password: 'long-enough-2' }],
  ['adminUsers.list', (a) => a.adminUsers.list(), 'GET', '/api/admin-users'],
  ['adminUsers.create', (a) => a.adminUsers.create({ email: 'v@example.com', password: 'long-enough-3', role: 'viewer' }), 'POST', '/api/admin-users', {}, { email: 'v@example.com', password: 'long-enough-3', role: 'viewer' }],
  ['adminUsers.update', (a) => a.adminUsers.update('u1', { role: 'admin' }), 'PUT', '/api/admin-users/u1', {}, { role: 'admin' }],
  ['adminUsers.delete', (a) => a.adminUsers.delete('u1'), 'DELETE', '/api/admin-users/u1'],
  ['adminUsers.auditLogs', (a) => a.adminUsers.auditLogs({ actor: 'master-key', resource_type: 'teams' }), 'GET', '/api/admin-users/audit-logs', { actor: 'master-key', resource_type: 'teams' }],
  ['jobs.list', (a) => a.jobs.list({ team_id: 't1', status: 'completed' }), 'GET', '/api/admin/jobs', { team_id: 't1', status: 'completed' }],
  ['jobs.get', (a) => a.jobs.get('j1'), 'GET', '/api/admin/jobs/j1'],
  ['analytics', (a) => a.analytics({ group_by: 'day', team_id: 't1' }), 'GET', '/api/admin/analytics', { group_by: 'day', team_id: 't1' }],
  ['dashboard', (a) => a.dashboard(), 'GET', '/api/stats/dashboard'],
  ['pricing', (a) => a.pricing(), 'GET', '/api/pricing'],
];

describe('SaaSLLMAdminClient routes (04-admin-api.md)', () => {
  for (const [name, call, method, path, query = {}, body] of routes) {
    test(`${name} → ${method} ${path}`, async () => {
      const echo = (await call(client())) as Echo;
      assert.equal(echo.method, method);
      assert.equal(echo.path, path);
      assert.deepEqual(echo.query, query);
      assert.deepEqual(echo.body, body);
      assert.equal(echo.headers['x-admin-key'], 'master-key');
      if (body !== undefined) assert.equal(echo.headers['content-type'], 'application/json');
    });
  }

  test('path segments are percent-encoded, so an id cannot reach another route', async () => {
    const echo = (await client().teams.get('a/b?c')) as unknown as Echo;
    assert.equal(echo.path, '/api/teams/a%2Fb%3Fc');
  });
});

describe('SaaSLLMAdminClient authentication', () => {
  test('a session token is sent as a bearer token, and no admin key', async () => {
    const echo = (await new SaaSLLMAdminClient({ apiUrl, sessionToken: 'session-1' }).adminUsers.me()) as unknown as Echo;
    assert.equal(echo.headers['authorization'], 'Bearer session-1');
    assert.equal(echo.headers['x-admin-key'], undefined);
  });

  test('neither credential sends no auth header (the console relies on its session cookie)', async () => {
    const echo = (await new SaaSLLMAdminClient({ apiUrl }).dashboard()) as unknown as Echo;
    assert.equal(echo.headers['authorization'], undefined);
    assert.equal(echo.headers['x-admin-key'], undefined);
  });

  test('both credentials at once are refused', () => {
    const options = { apiUrl, adminKey: 'a', sessionToken: 'b' } as unknown as ConstructorParameters<typeof SaaSLLMAdminClient>[0];
    assert.throws(() => new SaaSLLMAdminClient(options), TypeError);
  });

  test('an injected fetch is used instead of the global one', async () => {
    const urls: string[] = [];
    const admin = new SaaSLLMAdminClient({ apiUrl, adminKey: 'k', fetch: (url, init) => { urls.push(url); return fetch(url, init); } });
    await admin.models.list();
    assert.deepEqual(urls, [`${apiUrl.replace(/\/$/, '')}/api/models`]);
  });
});
