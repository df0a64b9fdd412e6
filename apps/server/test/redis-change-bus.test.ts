import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSecondInstance } from './helpers/second-instance.ts';
import { waitFor } from './helpers/tenancy-fixtures.ts';
import { createTenant } from './helpers/tenant-factory.ts';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';

// Cache invalidation across instances over Redis pub/sub (03-domain.md "Hot-path lookups"): a catalog or
// team change made through one instance reaches the other's caches at once, not when they expire (60 s for
// the catalog). Runs where a Redis server is given (TEST_REDIS_URL: CI's PostgreSQL run).

const redisUrl = process.env.TEST_REDIS_URL;
let gateway: TestGateway;
let second: Awaited<ReturnType<typeof startSecondInstance>>;
before(async () => {
  if (!redisUrl) return;
  gateway = await startTestGateway({ redisUrl });
  second = await startSecondInstance(gateway);
});
after(async () => {
  if (!redisUrl) return;
  await second.app.close();
  await gateway.close();
});

const modelsOnSecond = async (auth: Record<string, string>): Promise<string[]> => {
  const response = await fetch(`${second.url}/v1/models`, { headers: auth });
  const body = await response.json() as { data?: Array<{ id: string }> };
  return (body.data ?? []).map((model) => model.id);
};

describe('cache invalidation across instances (Redis)', { skip: redisUrl ? false : 'needs TEST_REDIS_URL' }, () => {
  test('a model group created and then deactivated on one instance is served, then refused, by the other within a second', async () => {
    // The second instance has its catalog loaded (and cached for 60 s) before the change.
    const earlier = await createTenant(gateway);
    assert.ok((await modelsOnSecond(earlier.auth)).includes(earlier.group));
    const tenant = await createTenant(gateway);
    const served = await waitFor(async () => (await modelsOnSecond(tenant.auth)).includes(tenant.group), 1_000, 20);
    assert.notEqual(served, null, 'the second instance lists the new group');
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'bus' } });
    const call = await fetch(`${second.url}/api/jobs/${job.body.job_id}/llm-call`, {
      method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: tenant.group, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(call.status, 200);

    const suspended = await gateway.admin(`/api/teams/${tenant.teamId}`, { method: 'PUT', body: { status: 'suspended' } });
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    const refused = await waitFor(async () => {
      const response = await fetch(`${second.url}/api/jobs/${job.body.job_id}/llm-call`, {
        method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: tenant.group, messages: [{ role: 'user', content: 'hi' }] }),
      });
      return response.status === 403;
    }, 400, 20);
    assert.notEqual(refused, null, 'the suspension reached the second instance before its 1 s cache would expire');
  });
});
