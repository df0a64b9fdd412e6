import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';

/**
 * 04-admin-api.md: "every mutating admin request writes who, what, which resource, when, from where, and
 * a redacted diff". Walks every mutating admin route the app registers and checks its audit row.
 */
describe('every admin mutation is audited', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('each mutating admin route writes an audit row with actor, action, address and a redacted diff', async () => {
    const routes = gateway.app.routeRegistry.routes.filter((route) => route.auth === 'admin' && route.access !== 'read');
    assert.ok(routes.length >= 40, `only ${routes.length} mutating admin routes`);
    for (const route of routes) {
      const path = route.url.replace(/:[A-Za-z_]+/g, 'audit-probe');
      const before = await gateway.container.db.query<{ count: number }>('SELECT count(*)::int AS count FROM audit_log WHERE action = $1', [`${route.method} ${route.url}`]);
      const response = await gateway.admin(path, { method: route.method, ...(route.method === 'DELETE' ? {} : { body: { api_key: 'sk-audit-secret-value-123456', password: 'a-secret-password!', name: 'probe' } }) });
      assert.ok(response.status < 500, `${route.method} ${route.url} → ${response.status}`);
      const rows = await gateway.container.db.query<{ count: number }>('SELECT count(*)::int AS count FROM audit_log WHERE action = $1', [`${route.method} ${route.url}`]);
      assert.equal(rows[0]!.count, before[0]!.count + 1, `${route.method} ${route.url} wrote no audit row`);
    }
    const rows = await gateway.container.db.query<{ actor_type: string; actor_id: string; ip: string | null; diff: unknown; status_code: number }>('SELECT actor_type, actor_id, ip, diff, status_code FROM audit_log');
    assert.ok(rows.every((row) => row.actor_type === 'master_key' && row.ip !== null && typeof row.status_code === 'number'));
    const text = JSON.stringify(rows.map((row) => row.diff));
    assert.ok(!text.includes('sk-audit-secret-value-123456') && !text.includes('a-secret-password!'), 'secrets are redacted from audit diffs');
  });
});
