import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { assertError, bearer, createTeam } from './helpers/tenancy-fixtures.ts';

const TENANCY_TAGS = new Set(['organizations', 'teams', 'virtual keys', 'credits']);

describe('tenancy and credits admin routes refuse virtual keys', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('a virtual key gets 401 on every admin-only route of organizations, teams, keys and credits', async () => {
    const team = await createTeam(gateway, { credits_allocated: 5 });
    const document = (await gateway.request('/openapi.json')).body;
    const adminOnly: Array<{ method: string; path: string }> = [];
    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (!operation.tags?.some((tag: string) => TENANCY_TAGS.has(tag))) continue;
        const security = JSON.stringify(operation.security);
        if (security.includes('apiKey')) continue; // served to a team's own key too (tested elsewhere)
        adminOnly.push({ method: method.toUpperCase(), path });
      }
    }
    // Every admin route of the four resources of 04-admin-api.md.
    assert.ok(adminOnly.length >= 25, `only ${adminOnly.length} admin routes found`);
    for (const route of adminOnly) {
      const path = route.path
        .replace('{team_id}', team.teamId)
        .replace('{organization_id}', team.organizationId)
        .replace('{key_id}', team.keyId);
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
      for (const headers of [bearer(team.key), { 'x-api-key': team.key }]) {
        const response = await gateway.request(path, { method: route.method, headers, ...(body ? { body } : {}) });
        assertError(response, 401, 'invalid_api_key');
      }
    }
    // Nothing changed behind the refusals.
    const after = await gateway.admin(`/api/teams/${team.teamId}`);
    assert.equal(after.body.status, 'active');
    assert.equal(after.body.credits_remaining, 5);
    assert.equal((await gateway.request('/api/teams', { headers: bearer(team.key) })).status, 200);
  });
});
