import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';

const OWNER = { email: 'owner@example.com', password: 'owner-password-123' };

describe('admin users: login, sessions, management, audit', () => {
  let gateway: TestGateway;
  /** Every password and session token the tests used: none may appear in the logs. */
  const secrets: string[] = [OWNER.password];
  let ownerToken: string;

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const login = async (email: string, password: string) => {
    secrets.push(password);
    const response = await gateway.request('/api/admin-users/login', { body: { email, password } });
    if (response.status === 200) secrets.push(response.body.token);
    return response;
  };
  const createUser = async (token: string, email: string, role: 'owner' | 'admin' | 'viewer', password = `${role}-password-${email.length}xyz`) => {
    secrets.push(password);
    const response = await gateway.request('/api/admin-users', { body: { email, password, role }, headers: as(token) });
    return { response, password };
  };
  /** Creates a user through the master key and logs them in. */
  const userWithSession = async (email: string, role: 'owner' | 'admin' | 'viewer') => {
    const password = `pw-${role}-${email}`;
    secrets.push(password);
    const created = await gateway.admin('/api/admin-users', { body: { email, password, role } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const session = await login(email, password);
    assert.equal(session.status, 200);
    return { userId: created.body.user_id as string, token: session.body.token as string, password };
  };

  before(async () => {
    gateway = await startTestGateway();
    const setup = await gateway.request('/api/admin-users/setup', { body: OWNER });
    assert.equal(setup.status, 200);
    ownerToken = setup.body.token;
    secrets.push(ownerToken);
  });
  after(async () => { await gateway.close(); });

  test('login returns a token and sets an HttpOnly, SameSite=Strict session cookie', async () => {
    const response = await login(OWNER.email.toUpperCase(), OWNER.password);
    assert.equal(response.status, 200);
    assert.match(response.body.token, /^sls_/);
    const ttl = gateway.config.sessionTtlSeconds;
    const expiresIn = (Date.parse(response.body.expires_at) - Date.now()) / 1000;
    assert.ok(expiresIn > ttl - 60 && expiresIn <= ttl + 1, `expires in ${expiresIn}s`);
    const cookie = response.headers.get('set-cookie') ?? '';
    assert.equal(cookie, `saas_llm_session=${response.body.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${cookie.match(/Max-Age=(\d+)/)?.[1]}`);
    assert.ok(Math.abs(Number(cookie.match(/Max-Age=(\d+)/)?.[1]) - ttl) <= 2);
    assert.equal(response.body.user.email, OWNER.email);
    // The cookie alone authenticates (the console's path).
    const me = await gateway.request('/api/admin-users/me', { headers: { cookie: `other=1; saas_llm_session=${response.body.token}` } });
    assert.equal(me.status, 200);
    assert.equal(me.body.role, 'owner');
    // Only a hash of the token is stored.
    const stored = await gateway.container.db.query<{ token_hash: string }>('SELECT token_hash FROM admin_sessions');
    assert.ok(stored.every((row) => /^[0-9a-f]{64}$/.test(row.token_hash) && !response.body.token.includes(row.token_hash)));
  });

  test('a bad password and an unknown email get the same generic 401', async () => {
    const wrong = await login(OWNER.email, 'not-the-password');
    const unknown = await login('nobody@example.com', 'whatever-password');
    for (const response of [wrong, unknown]) {
      assert.equal(response.status, 401);
      assert.equal(response.body.error.code, 'invalid_api_key');
      assert.equal(response.body.error.message, 'Invalid email or password.');
      assert.equal(response.headers.get('set-cookie'), null);
    }
  });

  test('repeated failures for one email are throttled with 429 and Retry-After, the right password included', async () => {
    const victim = await userWithSession('throttled@example.com', 'viewer');
    for (let attempt = 0; attempt < 10; attempt += 1) assert.equal((await login('throttled@example.com', `guess-${attempt}`)).status, 401);
    const blocked = await login('throttled@example.com', 'guess-final');
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error.code, 'rate_limited');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After ${retryAfter}`);
    assert.equal((await login('throttled@example.com', victim.password)).status, 429);
    // Another account from the same address is not locked out by this one.
    assert.equal((await login(OWNER.email, OWNER.password)).status, 200);
  });

  test('logout revokes the session at once and clears the cookie', async () => {
    const session = await login(OWNER.email, OWNER.password);
    const token = session.body.token as string;
    assert.equal((await gateway.request('/api/admin-users/me', { headers: as(token) })).status, 200);
    const logout = await gateway.request('/api/admin-users/logout', { method: 'POST', headers: as(token) });
    assert.equal(logout.status, 200);
    assert.match(logout.headers.get('set-cookie') ?? '', /^saas_llm_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0/);
    for (const headers of [as(token), { cookie: `saas_llm_session=${token}` }]) {
      const after = await gateway.request('/api/admin-users/me', { headers });
      assert.equal(after.status, 401);
      assert.equal(after.body.error.code, 'invalid_api_key');
    }
    const [row] = await gateway.container.db.query<{ revoked: boolean }>('SELECT count(*) FILTER (WHERE revoked_at IS NOT NULL) > 0 AS revoked FROM admin_sessions');
    assert.equal(row!.revoked, true);
  });

  test('change password: needs the current one, keeps this session, ends the others', async () => {
    const user = await userWithSession('changer@example.com', 'viewer');
    const other = await login('changer@example.com', user.password);
    const wrong = await gateway.request('/api/admin-users/me/change-password', { body: { current_password: 'wrong-password', new_password: 'brand-new-password' }, headers: as(user.token) });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.param, 'current_password');
    secrets.push('brand-new-password');
    // A viewer may change its own password.
    const changed = await gateway.request('/api/admin-users/me/change-password', { body: { current_password: user.password, new_password: 'brand-new-password' }, headers: as(user.token) });
    assert.equal(changed.status, 200);
    assert.equal((await gateway.request('/api/admin-users/me', { headers: as(user.token) })).status, 200);
    assert.equal((await gateway.request('/api/admin-users/me', { headers: as(other.body.token) })).status, 401);
    assert.equal((await login('changer@example.com', user.password)).status, 401);
    assert.equal((await login('changer@example.com', 'brand-new-password')).status, 200);
    const master = await gateway.admin('/api/admin-users/me/change-password', { body: { current_password: 'x', new_password: 'yyyyyyyyyyyy' } });
    assert.equal(master.status, 400);
  });

  test('user management: create, list, update, disable, delete', async () => {
    const { response: created } = await createUser(ownerToken, 'ops@example.com', 'admin');
    assert.equal(created.status, 200);
    assert.equal(created.body.role, 'admin');
    assert.equal(created.body.password_hash, undefined);
    const duplicate = await createUser(ownerToken, 'OPS@example.com', 'viewer');
    assert.equal(duplicate.response.status, 409);

    const list = await gateway.request('/api/admin-users', { headers: as(ownerToken) });
    assert.equal(list.status, 200);
    const emails = list.body.users.map((user: { email: string }) => user.email);
    assert.ok(emails.includes('ops@example.com') && emails.includes(OWNER.email));
    assert.ok(list.body.users.every((user: Record<string, unknown>) => !('password_hash' in user)));

    const renamed = await gateway.request(`/api/admin-users/${created.body.user_id}`, { method: 'PUT', body: { name: 'Ops Team', role: 'viewer' }, headers: as(ownerToken) });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.name, 'Ops Team');
    assert.equal(renamed.body.role, 'viewer');

    const member = await userWithSession('leaver@example.com', 'admin');
    const disabled = await gateway.request(`/api/admin-users/${member.userId}`, { method: 'PUT', body: { status: 'disabled' }, headers: as(ownerToken) });
    assert.equal(disabled.status, 200);
    assert.equal((await gateway.request('/api/admin-users/me', { headers: as(member.token) })).status, 401);
    assert.equal((await login('leaver@example.com', member.password)).status, 401);

    const removed = await gateway.request(`/api/admin-users/${member.userId}`, { method: 'DELETE', headers: as(ownerToken) });
    assert.equal(removed.status, 200);
    assert.equal((await gateway.request(`/api/admin-users/${member.userId}`, { method: 'DELETE', headers: as(ownerToken) })).status, 404);
    assert.equal((await gateway.request('/api/admin-users/not-a-uuid', { method: 'DELETE', headers: as(ownerToken) })).status, 400);
  });

  test('an admin cannot create, change, delete or promote to an owner; it can manage the others', async () => {
    const admin = await userWithSession('second-admin@example.com', 'admin');
    const viewer = await userWithSession('some-viewer@example.com', 'viewer');
    const [owner] = await gateway.container.db.query<{ user_id: string }>("SELECT user_id FROM admin_users WHERE email = 'owner@example.com'");
    const attempts = [
      await createUser(admin.token, 'new-owner@example.com', 'owner').then(({ response }) => response),
      await gateway.request(`/api/admin-users/${owner!.user_id}`, { method: 'PUT', body: { name: 'Hijacked' }, headers: as(admin.token) }),
      await gateway.request(`/api/admin-users/${owner!.user_id}`, { method: 'DELETE', headers: as(admin.token) }),
      await gateway.request(`/api/admin-users/${viewer.userId}`, { method: 'PUT', body: { role: 'owner' }, headers: as(admin.token) }),
      await gateway.request(`/api/admin-users/${admin.userId}`, { method: 'PUT', body: { role: 'owner' }, headers: as(admin.token) }),
    ];
    for (const attempt of attempts) {
      assert.equal(attempt.status, 403, JSON.stringify(attempt.body));
      assert.equal(attempt.body.error.code, 'forbidden');
    }
    const [unchanged] = await gateway.container.db.query<{ name: string; role: string }>('SELECT name, role FROM admin_users WHERE user_id = $1', [owner!.user_id]);
    assert.equal(unchanged!.role, 'owner');
    assert.notEqual(unchanged!.name, 'Hijacked');
    const managed = await gateway.request(`/api/admin-users/${viewer.userId}`, { method: 'PUT', body: { role: 'admin' }, headers: as(admin.token) });
    assert.equal(managed.status, 200);
    // The new role applies to the user's existing session.
    const write = await gateway.request(`/api/admin-users/${viewer.userId}`, { method: 'PUT', body: { name: 'Now admin' }, headers: as(viewer.token) });
    assert.equal(write.status, 200);
  });

  test('nobody may delete, demote or disable the last active owner', async () => {
    const [owner] = await gateway.container.db.query<{ user_id: string }>("SELECT user_id FROM admin_users WHERE email = 'owner@example.com'");
    for (const [method, body] of [['DELETE', undefined], ['PUT', { role: 'admin' }], ['PUT', { status: 'disabled' }]] as const) {
      const response = await gateway.request(`/api/admin-users/${owner!.user_id}`, { method, body, headers: as(ownerToken) });
      assert.equal(response.status, 409, `${method} ${JSON.stringify(body)}`);
      assert.equal(response.body.error.code, 'conflict');
    }
    // With a second owner, the first may step down.
    const second = await userWithSession('second-owner@example.com', 'owner');
    const demoted = await gateway.request(`/api/admin-users/${owner!.user_id}`, { method: 'PUT', body: { role: 'admin' }, headers: as(second.token) });
    assert.equal(demoted.status, 200);
    const last = await gateway.request(`/api/admin-users/${second.userId}`, { method: 'DELETE', headers: as(second.token) });
    assert.equal(last.status, 409);
    const restored = await gateway.request(`/api/admin-users/${owner!.user_id}`, { method: 'PUT', body: { role: 'owner' }, headers: as(second.token) });
    assert.equal(restored.status, 200);
  });

  test('mutations are audited with actor, resource and a diff that never holds a password', async () => {
    const { response: created, password } = await createUser(ownerToken, 'audited@example.com', 'viewer');
    assert.equal(created.status, 200);
    const reset = await gateway.request(`/api/admin-users/${created.body.user_id}`, { method: 'PUT', body: { password: 'reset-password-456' }, headers: as(ownerToken) });
    secrets.push('reset-password-456');
    assert.equal(reset.status, 200);

    const page = await gateway.admin('/api/admin-users/audit-logs?resource_type=admin_user&actor=owner@example.com');
    assert.equal(page.status, 200);
    const forUser = page.body.audit_logs.filter((entry: { resource_id: string | null }) => entry.resource_id === created.body.user_id);
    assert.deepEqual(forUser.map((entry: { action: string }) => entry.action), ['PUT /api/admin-users/:user_id', 'POST /api/admin-users']);
    const creation = forUser[1];
    assert.equal(creation.actor_type, 'admin_user');
    assert.equal(creation.actor_email, OWNER.email);
    assert.equal(creation.status_code, 200);
    assert.equal(creation.ip, '127.0.0.1');
    assert.equal(creation.diff.email, 'audited@example.com');
    assert.equal(creation.diff.password, '[redacted]');
    const everything = JSON.stringify((await gateway.container.db.query('SELECT * FROM audit_log')));
    for (const secret of [password, 'reset-password-456', OWNER.password, ownerToken]) assert.ok(!everything.includes(secret), 'a secret reached the audit log');

    // Logins, logouts and password changes are audited too, as is the master key's own work.
    const logins = await gateway.admin('/api/admin-users/audit-logs?resource_type=admin_session&limit=500');
    assert.ok(logins.body.audit_logs.some((entry: { action: string }) => entry.action === 'POST /api/admin-users/logout'));
    assert.ok(logins.body.audit_logs.some((entry: { action: string }) => entry.action === 'POST /api/admin-users/login'));
    const byMaster = await gateway.admin('/api/admin-users/audit-logs?actor=master-key');
    assert.ok(byMaster.body.audit_logs.length > 0 && byMaster.body.audit_logs.every((entry: { actor_type: string }) => entry.actor_type === 'master_key'));
  });

  test('the audit log pages with a cursor and filters by time', async () => {
    const first = await gateway.admin('/api/admin-users/audit-logs?limit=2');
    assert.equal(first.body.audit_logs.length, 2);
    assert.ok(first.body.next_cursor);
    const second = await gateway.admin(`/api/admin-users/audit-logs?limit=2&cursor=${first.body.next_cursor}`);
    const ids = [...first.body.audit_logs, ...second.body.audit_logs].map((entry: { audit_id: number }) => entry.audit_id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    assert.equal(new Set(ids).size, 4);
    const future = await gateway.admin(`/api/admin-users/audit-logs?from=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`);
    assert.deepEqual(future.body.audit_logs, []);
    assert.equal((await gateway.admin('/api/admin-users/audit-logs?cursor=abc')).status, 400);
  });

  test('passwords and session tokens never appear in the logs', async () => {
    // One more failed login, so the log certainly has a line about logins.
    await login(OWNER.email, 'a-wrong-password-for-the-log');
    const logs = gateway.logs.join('\n');
    assert.match(logs, /admin login refused/);
    for (const secret of secrets) assert.ok(!logs.includes(secret), `a secret (${secret.slice(0, 6)}…) reached the logs`);
    assert.doesNotMatch(logs, /sls_[A-Za-z0-9_-]{20,}/);
  });
});
