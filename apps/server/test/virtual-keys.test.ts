import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { startSecondInstance } from './helpers/second-instance.ts';
import { assertError, bearer, createTeam, seedAccessGroup, uniqueId, waitFor } from './helpers/tenancy-fixtures.ts';

describe('virtual keys', () => {
  let gateway: TestGateway;
  let unknownKeyMessage: string;
  /** Every full key a test created: none may appear in a later response or in the logs. */
  const issuedKeys: string[] = [];
  const laterBodies: string[] = [];

  const asKey = async (key: string, path = '/api/teams') => gateway.request(path, { headers: bearer(key) });
  const admin: TestGateway['admin'] = async (path, init) => {
    const response = await gateway.admin(path, init);
    // Creation and rotation answers are the one place a key may appear; everything else is scanned.
    const method = init?.method ?? (init?.body !== undefined ? 'POST' : 'GET');
    if (method !== 'POST') laterBodies.push(JSON.stringify(response.body));
    return response;
  };

  before(async () => {
    gateway = await startTestGateway();
    unknownKeyMessage = assertError(await gateway.request('/api/teams', { headers: bearer(`sk-sl-${'A'.repeat(40)}`) }), 401, 'invalid_api_key');
  });
  after(async () => { await gateway.close(); });

  test('missing, malformed and unknown keys all get 401 invalid_api_key with one message', async () => {
    const attempts = [
      await gateway.request('/api/teams'),
      await gateway.request('/api/teams', { headers: bearer('not-a-key') }),
      await gateway.request('/api/teams', { headers: { 'x-api-key': `sk-sl-${'b'.repeat(40)}` } }),
      await gateway.request('/api/credits/teams/anything/balance', { headers: bearer(`sk-sl-${'c'.repeat(40)}`) }),
    ];
    for (const attempt of attempts) assert.equal(assertError(attempt, 401, 'invalid_api_key'), unknownKeyMessage);
  });

  test('create, list (never the key), revoke', async () => {
    const team = await createTeam(gateway);
    issuedKeys.push(team.key);
    const created = await gateway.admin(`/api/teams/${team.teamId}/keys`, { body: { name: 'worker', rpm_limit: 100, tpm_limit: 5000 } });
    assert.equal(created.status, 200);
    const key: string = created.body.key;
    issuedKeys.push(key);
    assert.match(key, /^sk-sl-[0-9A-Za-z]{32,}$/);
    assert.equal(created.body.name, 'worker');
    assert.equal(created.body.status, 'active');
    assert.equal(created.body.rpm_limit, 100);
    assert.equal(created.body.tpm_limit, 5000);
    assert.ok(key.startsWith(created.body.prefix) && created.body.prefix.length < 16);
    assert.equal((await asKey(key)).status, 200);

    const noBody = await gateway.admin(`/api/teams/${team.teamId}/keys`, { method: 'POST' });
    assert.equal(noBody.status, 200);
    assert.equal(noBody.body.name, 'default');
    issuedKeys.push(noBody.body.key);

    const listed = await admin(`/api/teams/${team.teamId}/keys`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.keys.length, 3);
    for (const entry of listed.body.keys) {
      assert.deepEqual(Object.keys(entry).sort(), [
        'allowed_model_groups', 'created_at', 'expires_at', 'key_id', 'last_used_at', 'name', 'prefix', 'revoked_at', 'rpm_limit', 'status', 'team_id', 'tpm_limit',
      ]);
    }

    const revoked = await admin(`/api/teams/${team.teamId}/keys/${created.body.key_id}`, { method: 'DELETE' });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.status, 'revoked');
    assert.ok(revoked.body.revoked_at);
    assert.equal(assertError(await asKey(key), 401, 'invalid_api_key'), unknownKeyMessage);
    assert.equal((await asKey(team.key)).status, 200); // the team's other keys keep working
    const again = await admin(`/api/teams/${team.teamId}/keys/${created.body.key_id}`, { method: 'DELETE' });
    assert.equal(again.body.revoked_at, revoked.body.revoked_at);

    assertError(await admin(`/api/teams/${team.teamId}/keys/${crypto.randomUUID()}`, { method: 'DELETE' }), 404, 'not_found');
    const other = await createTeam(gateway);
    issuedKeys.push(other.key);
    assertError(await admin(`/api/teams/${other.teamId}/keys/${noBody.body.key_id}`, { method: 'DELETE' }), 404, 'not_found');
    assertError(await admin(`/api/teams/${uniqueId('ghost')}/keys`), 404, 'not_found');
    assertError(await admin(`/api/teams/${uniqueId('ghost')}/keys`, { body: {} }), 404, 'not_found');
  });

  test('malformed key input is 400 naming the field', async () => {
    const team = await createTeam(gateway);
    issuedKeys.push(team.key);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '' }, 'name'],
      [{ expires_at: 'tomorrow' }, 'expires_at'],
      [{ expires_at: new Date(Date.now() - 60_000).toISOString() }, 'expires_at'],
      [{ rpm_limit: -1 }, 'rpm_limit'],
      [{ allowed_model_groups: ['no-such-group'] }, 'allowed_model_groups'],
      [{ key: 'sk-sl-mine' }, 'key'],
    ];
    for (const [body, field] of cases) {
      assert.match(assertError(await gateway.admin(`/api/teams/${team.teamId}/keys`, { body }), 400, 'invalid_request'), new RegExp(field), JSON.stringify(body));
    }
    assert.match(assertError(await gateway.admin(`/api/teams/${team.teamId}/keys/not-a-uuid`, { method: 'DELETE' }), 400, 'invalid_request'), /key_id/);
    assert.match(assertError(await gateway.admin(`/api/teams/${team.teamId}/keys/${team.keyId}/rotate`, { body: { grace_seconds: -5 } }), 400, 'invalid_request'), /grace_seconds/);
  });

  test('rotation without grace: the new key works, the old one is 401 at once', async () => {
    const team = await createTeam(gateway);
    issuedKeys.push(team.key);
    assert.equal((await asKey(team.key)).status, 200); // cached on this instance
    const rotated = await admin(`/api/teams/${team.teamId}/keys/${team.keyId}/rotate`, { method: 'POST' });
    assert.equal(rotated.status, 200);
    issuedKeys.push(rotated.body.key);
    assert.notEqual(rotated.body.key, team.key);
    assert.equal(rotated.body.rotated_from.key_id, team.keyId);
    assert.equal(rotated.body.rotated_from.status, 'revoked');
    assert.equal(rotated.body.name, 'default');
    assert.equal((await asKey(rotated.body.key)).status, 200);
    assert.equal(assertError(await asKey(team.key), 401, 'invalid_api_key'), unknownKeyMessage);
    // A retired key can't be rotated again.
    assertError(await admin(`/api/teams/${team.teamId}/keys/${team.keyId}/rotate`, { body: {} }), 409, 'conflict');
  });

  test('rotation with grace: the old key works until the grace ends, then 401', async () => {
    const team = await createTeam(gateway);
    issuedKeys.push(team.key);
    const rotated = await admin(`/api/teams/${team.teamId}/keys/${team.keyId}/rotate`, { body: { grace_seconds: 1, name: 'rotated' } });
    assert.equal(rotated.status, 200);
    issuedKeys.push(rotated.body.key);
    assert.equal(rotated.body.name, 'rotated');
    const graceEnds = Date.parse(rotated.body.rotated_from.expires_at);
    assert.ok(graceEnds > Date.now() && graceEnds <= Date.now() + 1500);
    assert.equal(rotated.body.rotated_from.revoked_at, null);
    assert.equal((await asKey(team.key)).status, 200);
    assert.equal((await asKey(rotated.body.key)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, graceEnds - Date.now()) + 20));
    assert.equal(assertError(await asKey(team.key), 401, 'invalid_api_key'), unknownKeyMessage);
    assert.equal((await asKey(rotated.body.key)).status, 200);
  });

  test('an expired key is 401 from its expiry instant, even when cached', async () => {
    const team = await createTeam(gateway);
    issuedKeys.push(team.key);
    const expiresAt = new Date(Date.now() + 1000).toISOString();
    const created = await admin(`/api/teams/${team.teamId}/keys`, { body: { name: 'short-lived', expires_at: expiresAt } });
    assert.equal(created.status, 200);
    issuedKeys.push(created.body.key);
    assert.equal(created.body.expires_at, expiresAt);
    assert.equal((await asKey(created.body.key)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(expiresAt) - Date.now()) + 20));
    assert.equal(assertError(await asKey(created.body.key), 401, 'invalid_api_key'), unknownKeyMessage);
    const listed = await admin(`/api/teams/${team.teamId}/keys`);
    assert.equal(listed.body.keys.find((key: any) => key.key_id === created.body.key_id).status, 'expired');
  });

  test('a revoke on one instance stops the key on another instance within 1 second', async () => {
    // A second gateway over the same database: its own process-local key cache.
    const { app: second, url: secondUrl } = await startSecondInstance(gateway);
    try {
      const viaSecond = (key: string) => fetch(`${secondUrl}/api/teams`, { headers: bearer(key) });
      const team = await createTeam(gateway);
      issuedKeys.push(team.key);
      assert.equal((await viaSecond(team.key)).status, 200); // now cached there
      const revokedAt = Date.now();
      assert.equal((await admin(`/api/teams/${team.teamId}/keys/${team.keyId}`, { method: 'DELETE' })).status, 200);
      const elapsed = await waitFor(async () => (await viaSecond(team.key)).status === 401, 3000, 25);
      assert.notEqual(elapsed, null, 'the other instance never refused the revoked key');
      assert.ok(Date.now() - revokedAt <= 1250, `took ${Date.now() - revokedAt} ms`);

      // And a key created on one instance works on the other within the same bound.
      const created = await admin(`/api/teams/${team.teamId}/keys`, { body: { name: 'fresh' } });
      issuedKeys.push(created.body.key);
      const createdAt = Date.now();
      assert.notEqual(await waitFor(async () => (await viaSecond(created.body.key)).status === 200, 3000, 25), null);
      assert.ok(Date.now() - createdAt <= 1250);
    } finally {
      await second.close();
    }
  });

  test('last_used_at is written in the background', async () => {
    const team = await createTeam(gateway);
    issuedKeys.push(team.key);
    const before = await admin(`/api/teams/${team.teamId}/keys`);
    assert.equal(before.body.keys[0].last_used_at, null);
    const usedAt = Date.now();
    assert.equal((await asKey(team.key)).status, 200);
    const elapsed = await waitFor(async () => (await admin(`/api/teams/${team.teamId}/keys`)).body.keys[0].last_used_at !== null, 6000, 200);
    assert.notEqual(elapsed, null);
    const lastUsed = Date.parse((await admin(`/api/teams/${team.teamId}/keys`)).body.keys[0].last_used_at);
    assert.ok(lastUsed >= usedAt - 1000 && lastUsed <= Date.now());
  });

  test('a key of a team with model groups lists them; the key never leaks into later responses or logs', async () => {
    const group = uniqueId('mg');
    const team = await createTeam(gateway, { access_groups: [await seedAccessGroup(gateway, [group])] });
    issuedKeys.push(team.key);
    laterBodies.push(JSON.stringify((await admin(`/api/teams/${team.teamId}`)).body));
    laterBodies.push(JSON.stringify((await admin('/api/teams')).body));
    laterBodies.push(JSON.stringify((await asKey(team.key)).body));
    laterBodies.push(JSON.stringify((await asKey(team.key, `/api/teams/${team.teamId}`)).body));
    laterBodies.push(JSON.stringify((await admin(`/api/credits/teams/${team.teamId}/transactions`)).body));
    const randomParts = issuedKeys.map((key) => key.slice('sk-sl-'.length + 6));
    for (const body of laterBodies) for (const secret of randomParts) assert.ok(!body.includes(secret), 'a full key appeared in a later response');
    const logs = gateway.logs.join('');
    for (const secret of randomParts) assert.ok(!logs.includes(secret), 'a full key appeared in the logs');
  });
});
