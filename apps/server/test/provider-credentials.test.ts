import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { bearer, createTeam, uniqueId } from './helpers/tenancy-fixtures.ts';
import { adminOk, createCredential, createDeployment } from './helpers/catalog-fixtures.ts';

const newSecret = () => `sk-live-${randomBytes(24).toString('hex')}`;

describe('provider credentials', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('the API key is write-only: no response, log line or audit row ever carries it', async () => {
    const secret = newSecret();
    const headerSecret = `hdr-${randomBytes(16).toString('hex')}`;
    const created = await adminOk(gateway, '/api/provider-credentials/create', {
      body: { provider: 'openai', name: uniqueId('openai'), api_key: secret, extra_headers: { 'OpenAI-Organization': headerSecret } },
    });
    assert.equal(created.has_api_key, true);
    assert.equal(created.api_key_last4, secret.slice(-4));
    assert.deepEqual(created.extra_header_names, ['OpenAI-Organization']);
    assert.equal(created.secrets_readable, true);
    assert.equal('api_key' in created, false);
    const id = created.credential_id as string;

    const rotated = newSecret();
    const responses = [
      created,
      await adminOk(gateway, '/api/provider-credentials'),
      await adminOk(gateway, `/api/provider-credentials/${id}`),
      await adminOk(gateway, `/api/provider-credentials/${id}`, { method: 'PUT', body: { api_key: rotated } }),
      await adminOk(gateway, `/api/provider-credentials/${id}/deactivate`, { method: 'PUT' }),
    ];
    for (const body of responses) {
      const text = JSON.stringify(body);
      for (const value of [secret, rotated, headerSecret]) assert.equal(text.includes(value), false, `a response carries a secret: ${text}`);
    }
    assert.equal(responses[3].api_key_last4, rotated.slice(-4));
    const logs = gateway.logs.join('');
    for (const value of [secret, rotated, headerSecret]) assert.equal(logs.includes(value), false, 'a log line carries a secret');
    const audit = await gateway.container.db.query<{ diff: unknown }>('SELECT diff FROM audit_log');
    assert.ok(audit.length > 0, 'the mutations were audited');
    for (const value of [secret, rotated, headerSecret]) assert.equal(JSON.stringify(audit).includes(value), false, 'an audit row carries a secret');
  });

  test('secrets are stored encrypted (AES-GCM, bound to the row) and decrypt back', async () => {
    const secret = newSecret();
    const created = await createCredential(gateway, { provider: 'anthropic', api_key: `  ${secret}\n`, extra_headers: { 'x-team': 'blue' } });
    const [row] = await gateway.container.db.query<{ secret_ciphertext: string; secret_last4: string; extra_headers_ciphertext: string }>(
      'SELECT secret_ciphertext, secret_last4, extra_headers_ciphertext FROM provider_credentials WHERE credential_id = $1', [created.credential_id]);
    assert.ok(row);
    assert.match(row.secret_ciphertext, /^v1:[\w-]+:[\w-]+:[\w-]+$/);
    assert.equal(row.secret_ciphertext.includes(secret), false);
    assert.equal(row.extra_headers_ciphertext.includes('blue'), false);
    const box = gateway.container.secretBox;
    // The pasted key was trimmed before it was sealed.
    assert.equal(box.open(row.secret_ciphertext, `credential:${created.credential_id}:api_key`), secret);
    assert.deepEqual(JSON.parse(box.open(row.extra_headers_ciphertext, `credential:${created.credential_id}:extra_headers`)), { 'x-team': 'blue' });
    assert.throws(() => box.open(row.secret_ciphertext, `credential:${randomUUID()}:api_key`), /cannot be decrypted/);
    assert.equal(row.secret_last4, secret.slice(-4));
  });

  test('a non-mock provider needs an api_key; a mock credential needs none', async () => {
    for (const provider of ['openai', 'anthropic', 'gemini', 'azure', 'openai-compatible']) {
      const missing = await gateway.admin('/api/provider-credentials/create', { body: { provider, name: uniqueId('nokey') } });
      assert.equal(missing.status, 400, provider);
      assert.equal(missing.body.error.code, 'invalid_request');
      assert.equal(missing.body.error.param, 'api_key');
      assert.match(missing.body.error.message, /api_key/);
      const blank = await gateway.admin('/api/provider-credentials/create', { body: { provider, name: uniqueId('blank'), api_key: '   ' } });
      assert.equal(blank.body.error?.param, 'api_key', provider);
    }
    const mock = await createCredential(gateway);
    assert.equal(mock.has_api_key, false);
    assert.equal(mock.api_key_last4, null);
    const emptied = await gateway.admin(`/api/provider-credentials/${(await createCredential(gateway, { provider: 'openai', api_key: newSecret() })).credential_id}`, {
      method: 'PUT', body: { api_key: '' },
    });
    assert.equal(emptied.status, 400);
    assert.equal(emptied.body.error.param, 'api_key');
  });

  test('both create forms, show, update, activate and deactivate', async () => {
    const name = uniqueId('rest');
    const created = await adminOk(gateway, '/api/provider-credentials', {
      body: { provider: 'azure', name, api_key: newSecret(), api_base: 'https://contoso.openai.azure.com', api_version: '2024-10-21' },
    });
    assert.equal(created.name, name);
    assert.equal(created.active, true);
    assert.equal(created.api_version, '2024-10-21');
    const id = created.credential_id as string;
    const listed = await adminOk(gateway, '/api/provider-credentials');
    assert.ok(listed.some((credential: any) => credential.credential_id === id));
    const renamed = await adminOk(gateway, `/api/provider-credentials/${id}`, { method: 'PUT', body: { name: `${name}-2`, api_base: null } });
    assert.equal(renamed.name, `${name}-2`);
    assert.equal(renamed.api_base, null);
    assert.equal(renamed.has_api_key, true, 'an update without api_key keeps the key');
    assert.equal((await adminOk(gateway, `/api/provider-credentials/${id}/deactivate`, { method: 'PUT' })).active, false);
    assert.equal((await adminOk(gateway, `/api/provider-credentials/${id}`)).active, false);
    assert.equal((await adminOk(gateway, `/api/provider-credentials/${id}/activate`, { method: 'PUT' })).active, true);
  });

  test('malformed input is a 400 naming the field, never a 500', async () => {
    const cases: Array<[unknown, string]> = [
      [{ provider: 'openai-ish', name: 'x', api_key: 'k' }, 'provider'],
      [{ provider: 'mock' }, 'name'],
      [{ provider: 'mock', name: 'x', api_base: 'not a url' }, 'api_base'],
      [{ provider: 'mock', name: 'x', extra_headers: { 'bad header': 'v' } }, 'extra_headers.bad header'],
      [{ provider: 'mock', name: 'x', extra_headers: { 'x-ok': 'line\r\nbreak' } }, 'extra_headers.x-ok'],
      [{ provider: 'mock', name: 'x', extra_headers: { Host: 'evil' } }, 'extra_headers.Host'],
      [{ provider: 'mock', name: 'x', surprise: true }, 'body'],
      [{ provider: 'openai', name: 'x', api_key: 'sk bad key' }, 'api_key'],
      [{ provider: 'mock', name: uniqueId('org'), organization_id: uniqueId('no-such-org') }, 'organization_id'],
    ];
    for (const [body, param] of cases) {
      const response = await gateway.admin('/api/provider-credentials/create', { body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, 'invalid_request');
      assert.equal(response.body.error.param, param, JSON.stringify(response.body));
    }
    const notJson = await gateway.admin('/api/provider-credentials/create', { body: '{"provider":', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    const badId = await gateway.admin('/api/provider-credentials/not-a-uuid');
    assert.equal(badId.status, 400);
    assert.equal(badId.body.error.param, 'credential_id');
    assert.equal((await gateway.admin(`/api/provider-credentials/${randomUUID()}`)).status, 404);
    assert.equal((await gateway.admin(`/api/provider-credentials/${randomUUID()}/activate`, { method: 'PUT' })).status, 404);
  });

  test('a duplicate name is a 409', async () => {
    const name = uniqueId('dup');
    await createCredential(gateway, { name });
    const again = await gateway.admin('/api/provider-credentials/create', { body: { provider: 'mock', name } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'conflict');
  });

  test('delete is refused while a deployment uses the credential', async () => {
    const credential = await createCredential(gateway, { provider: 'openai', api_key: newSecret() });
    const deployment = await createDeployment(gateway, { provider: 'openai', model: 'gpt-4o-mini', credential_id: credential.credential_id });
    const refused = await gateway.admin(`/api/provider-credentials/${credential.credential_id}`, { method: 'DELETE' });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'conflict');
    assert.match(refused.body.error.message, new RegExp(deployment.alias));
    await adminOk(gateway, `/api/models/${deployment.alias}`, { method: 'DELETE' });
    const deleted = await adminOk(gateway, `/api/provider-credentials/${credential.credential_id}`, { method: 'DELETE' });
    assert.deepEqual(deleted, { deleted: true, credential_id: credential.credential_id });
    assert.equal((await gateway.admin(`/api/provider-credentials/${credential.credential_id}`)).status, 404);
  });

  test('a virtual key gets 401 on every credential route', async () => {
    const { key } = await createTeam(gateway);
    const id = (await createCredential(gateway)).credential_id as string;
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/provider-credentials'],
      ['POST', '/api/provider-credentials/create', { provider: 'mock', name: uniqueId('k') }],
      ['POST', '/api/provider-credentials', { provider: 'mock', name: uniqueId('k') }],
      ['GET', `/api/provider-credentials/${id}`],
      ['PUT', `/api/provider-credentials/${id}`, { name: uniqueId('k') }],
      ['DELETE', `/api/provider-credentials/${id}`],
      ['PUT', `/api/provider-credentials/${id}/activate`],
      ['PUT', `/api/provider-credentials/${id}/deactivate`],
    ];
    for (const [method, path, body] of routes) {
      for (const headers of [bearer(key), { 'x-api-key': key }]) {
        const response = await gateway.request(path, { method, body, headers });
        assert.equal(response.status, 401, `${method} ${path}`);
        assert.equal(response.body.error.code, 'invalid_api_key');
      }
    }
    assert.equal((await adminOk(gateway, `/api/provider-credentials/${id}`)).active, true, 'nothing changed');
  });
});
