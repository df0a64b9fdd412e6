import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RateLimiter } from '../src/gateway/rate-limiter.ts';
import { RedisRateLimiter } from '../src/storage/redis-rate-limiter.ts';
import { startSecondInstance } from './helpers/second-instance.ts';
import { createTenant } from './helpers/tenant-factory.ts';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';

// Rate limits counted in a real Redis (03-domain.md "Limits": they hold across instances). Runs where a
// Redis server is given (TEST_REDIS_URL: CI's PostgreSQL run); two gateway instances share it and the database.

const redisUrl = process.env.TEST_REDIS_URL;
let gateway: TestGateway;
let second: Awaited<ReturnType<typeof startSecondInstance>> | null = null;
before(async () => {
  if (redisUrl) gateway = await startTestGateway({ redisUrl });
});
after(async () => {
  if (redisUrl) await gateway.close();
});
afterEach(async () => {
  await second?.app.close();
  second = null;
});

/**
 * The second instance, started once the test's tenant exists: an instance learns of catalog changes made
 * on another within its catalog's maximum age (60 s), and these tests are about the limits.
 */
async function startSecond(): Promise<string> {
  second = await startSecondInstance(gateway);
  return second.url;
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (const started = Date.now(); !await condition(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (Date.now() - started > 2_000) assert.fail('condition not met within 2 s');
  }
}

const ask = (text: string, extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content: text }], ...extra });

async function call(base: string, auth: Record<string, string>, jobId: string, body: Record<string, unknown>) {
  const response = await fetch(`${base}/api/jobs/${jobId}/llm-call`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() as any, headers: response.headers };
}

describe('rate limits across instances (Redis)', { skip: redisUrl ? false : 'needs TEST_REDIS_URL' }, () => {
  test('a team RPM limit holds across two instances: of 12 parallel calls split between them, exactly its 5 pass', async () => {
    const tenant = await createTenant(gateway, { team: { rpm_limit: 5 } });
    const secondUrl = await startSecond();
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'rpm' } });
    const results = await Promise.all(Array.from({ length: 12 }, (_, index) =>
      call(index % 2 ? secondUrl : gateway.url, tenant.auth, job.body.job_id, { model: tenant.group, ...ask(`rpm ${index}`) })));
    assert.equal(results.filter((result) => result.status === 200).length, 5);
    const refused = results.filter((result) => result.status === 429);
    assert.equal(refused.length, 7);
    for (const result of refused) {
      assert.equal(result.body.error.code, 'rate_limited');
      assert.equal(result.headers.get('x-ratelimit-limit-requests'), '5');
      assert.equal(result.headers.get('x-ratelimit-remaining-requests'), '0');
      assert.ok(Number(result.headers.get('retry-after')) >= 1);
    }
  });

  test('a concurrency limit holds across instances, and slots come back when calls end', async () => {
    // The upstream answers after 300 ms, so the calls overlap.
    const tenant = await createTenant(gateway, { team: { max_concurrent_calls: 2 }, deployments: [{ settings: { ttft_ms: 300 } }] });
    const secondUrl = await startSecond();
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'concurrent' } });
    const results = await Promise.all(Array.from({ length: 6 }, (_, index) =>
      call(index % 2 ? secondUrl : gateway.url, tenant.auth, job.body.job_id, { model: tenant.group, ...ask(`slot ${index}`) })));
    assert.equal(results.filter((result) => result.status === 200).length, 2);
    assert.ok(results.filter((result) => result.status === 429).every((result) => /in flight/.test(result.body.error.message)));
    const later = await call(secondUrl, tenant.auth, job.body.job_id, { model: tenant.group, ...ask('after') });
    assert.equal(later.status, 200, 'both slots released');
  });

  test('tokens per minute: the estimate is counted at admission and corrected by the actual usage', async () => {
    const tenant = await createTenant(gateway, { team: { tpm_limit: 3_000 }, deployments: [{ settings: { ttft_ms: 300 } }] });
    const secondUrl = await startSecond();
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'tpm' } });
    // Each call estimates ~2,000 tokens (max_tokens) but uses a few dozen: the correction leaves room for more.
    for (let index = 0; index < 4; index++) {
      const result = await call(index % 2 ? secondUrl : gateway.url, tenant.auth, job.body.job_id, { model: tenant.group, ...ask(`tpm ${index}`, { max_tokens: 2_000 }) });
      assert.equal(result.status, 200, JSON.stringify(result.body));
    }
    // Two estimates at once do not fit: the second of two parallel calls is refused.
    const both = await Promise.all([gateway.url, secondUrl].map((base, index) =>
      call(base, tenant.auth, job.body.job_id, { model: tenant.group, ...ask(`pair ${index}`, { max_tokens: 2_000 }) })));
    assert.deepEqual(both.map((result) => result.status).sort(), [200, 429]);
  });

  test('a token correction goes to the minute its estimate was counted in, and a window already expired is left alone', async () => {
    const prefix = `saas-llm:test-${Date.now()}:`;
    const limiter = new RedisRateLimiter(redisUrl!, new RateLimiter(), { warn: () => {} }, prefix);
    const inspect = new Redis(redisUrl!);
    try {
      const scopes = [{ id: 'team:minute', limits: { rpm: null, tpm: 10_000, concurrent: null } }];
      const tokenKeys = async () => (await inspect.keys(`${prefix}team:minute:t:*`)).sort();
      // Until its connection is up the limiter counts in memory (no offline queue): wait for it to reach Redis.
      await waitFor(async () => {
        (await limiter.admit(scopes, 0)).release(0);
        return (await inspect.keys(`${prefix}*`)).length > 0;
      });
      const first = await limiter.admit(scopes, 2_000);
      const [counted] = await tokenKeys();
      assert.equal(await inspect.get(counted!), '2000');
      first.release(30);
      await waitFor(async () => await inspect.get(counted!) === '30');
      // The admission minute's counter expired before the call settled (a call longer than two minutes):
      // the correction must not create a counter in another minute (the old script wrote the current one).
      const second = await limiter.admit(scopes, 2_000);
      await inspect.del(...await tokenKeys());
      second.release(30);
      await limiter.admit(scopes, 0).then((ticket) => ticket.release(0)); // same connection: runs after the release
      assert.deepEqual(await tokenKeys(), []);
    } finally {
      await limiter.close();
      await inspect.quit();
    }
  });

  test('Redis not answering: calls are counted in the instance instead, with one warning', async () => {
    const logs: string[] = [];
    const limiter = new RedisRateLimiter('redis://127.0.0.1:1', new RateLimiter(), { warn: (_details, message) => logs.push(message) });
    try {
      const scopes = [{ id: 'team:nowhere', limits: { rpm: 1, tpm: null, concurrent: null } }];
      const ticket = await limiter.admit(scopes, 10);
      ticket.release(10);
      await assert.rejects(Promise.resolve(limiter.admit(scopes, 10)), /Rate limit reached/);
      assert.equal(logs.filter((line) => /Redis rate-limit counters unavailable/.test(line)).length, 1);
    } finally {
      await limiter.close();
    }
  });
});
