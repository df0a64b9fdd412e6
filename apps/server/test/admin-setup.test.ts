import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';

describe('admin setup: the first owner', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('status, concurrent setups create exactly one owner, later setups are refused', async () => {
    const initial = await gateway.request('/api/admin-users/setup/status');
    assert.equal(initial.status, 200);
    assert.deepEqual(initial.body, { needs_setup: true });

    const attempts = await Promise.all(Array.from({ length: 5 }, (_, index) => gateway.request('/api/admin-users/setup', {
      body: { email: `owner${index}@example.com`, password: `first-owner-password-${index}`, name: `Owner ${index}` },
    })));
    const created = attempts.filter((attempt) => attempt.status === 200);
    const refused = attempts.filter((attempt) => attempt.status === 409);
    assert.equal(created.length, 1, `exactly one setup succeeds, got ${attempts.map((attempt) => attempt.status).join(',')}`);
    assert.equal(refused.length, 4);
    for (const attempt of refused) assert.equal(attempt.body.error.code, 'conflict');

    const winner = created[0]!;
    assert.equal(winner.body.user.role, 'owner');
    assert.match(winner.body.token, /^sls_[A-Za-z0-9_-]{43}$/);
    assert.equal(winner.body.user.password_hash, undefined);
    assert.match(winner.headers.get('set-cookie') ?? '', /^saas_llm_session=sls_[^;]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    const rows = await gateway.container.db.query<{ role: string; password_hash: string }>('SELECT role, password_hash FROM admin_users');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.role, 'owner');
    assert.match(rows[0]!.password_hash, /^scrypt\$32768\$8\$1\$/);

    const me = await gateway.request('/api/admin-users/me', { headers: { authorization: `Bearer ${winner.body.token}` } });
    assert.equal(me.status, 200);
    assert.equal(me.body.email, winner.body.user.email);
    assert.equal(me.body.auth, 'session');

    assert.deepEqual((await gateway.request('/api/admin-users/setup/status')).body, { needs_setup: false });
    const later = await gateway.request('/api/admin-users/setup', { body: { email: 'late@example.com', password: 'a-late-password' } });
    assert.equal(later.status, 409);
    assert.equal((await gateway.container.db.query('SELECT 1 FROM admin_users')).length, 1);
  });

  test('setup validates its body', async () => {
    const short = await gateway.request('/api/admin-users/setup', { body: { email: 'x@example.com', password: 'short' } });
    assert.equal(short.status, 400);
    assert.equal(short.body.error.param, 'password');
  });
});
