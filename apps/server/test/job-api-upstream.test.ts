import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { FakeOpenAIServer } from '@saas-llm/testkit';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant } from './helpers/tenant-factory.ts';

const ask = (content: string) => ({ messages: [{ role: 'user', content }] });
const UPSTREAM_KEY = 'sk-upstream-fallback-key-0123456789';

/** An OpenAI-format SSE upstream that sends chunk N+1 only when the test releases it. */
async function gatedUpstream(): Promise<{ url: string; release: () => void; sent: () => number; close: () => Promise<void> }> {
  let releases: Array<() => void> = [];
  let sent = 0;
  const server: Server = createServer(async (request, response) => {
    for await (const _chunk of request) { /* drain the body */ }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let index = 0; index < 5; index += 1) {
      const chunk = { id: 'chatcmpl-gated', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: `part${index} ` }, finish_reason: null }] };
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
      sent += 1;
      await new Promise<void>((resolve) => { releases.push(resolve); });
    }
    response.write(`data: ${JSON.stringify({ id: 'chatcmpl-gated', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 } })}\n\n`);
    response.end('data: [DONE]\n\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    release: () => { const next = releases.shift(); next?.(); },
    sent: () => sent,
    close: () => { for (const release of releases) release(); releases = []; server.closeAllConnections(); return new Promise((resolve) => server.close(() => resolve())); },
  };
}

describe('job API against OpenAI-format upstreams: zero buffering, fallback on every fault kind', () => {
  let gateway: TestGateway;
  let upstream: FakeOpenAIServer;
  before(async () => {
    gateway = await startTestGateway();
    upstream = await FakeOpenAIServer.start({ apiKey: UPSTREAM_KEY });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  const openai = (extra: Record<string, unknown> = {}) => ({ provider: 'openai' as const, api_base: upstream.baseUrl, api_key: UPSTREAM_KEY, model: 'gpt-4o-mini', ...extra });

  test('each chunk reaches the client before the upstream has produced the next one', async () => {
    const gated = await gatedUpstream();
    try {
      const tenant = await createTenant(gateway, { deployments: [{ provider: 'openai', api_base: gated.url, api_key: UPSTREAM_KEY, model: 'gpt-4o-mini' }] });
      const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'gated' } });
      const response = await fetch(`${gateway.url}/api/jobs/${job.body.job_id}/llm-call-stream`, {
        method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: tenant.group, ...ask('go') }),
      });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (let index = 0; index < 5; index += 1) {
        while (!buffer.includes(`part${index} `)) {
          const { value, done } = await reader.read();
          assert.ok(!done, `stream ended before chunk ${index}`);
          buffer += decoder.decode(value, { stream: true });
        }
        // Chunk `index` arrived while the upstream still holds chunk index+1.
        assert.equal(gated.sent(), index + 1);
        gated.release();
      }
      while (!(await reader.read()).done) { /* the final frame and [DONE] */ }
    } finally {
      await gated.close();
    }
  });

  const faults: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['500', { status: 500 }, {}],
    ['429 with Retry-After', { status: 429, retryAfter: '0.05' }, {}],
    ['timeout before the first byte', { firstByteDelayMs: 3000 }, { timeout_ms: 300 }],
  ];
  for (const [name, fault, deployment] of faults) {
    test(`fallback after ${name} on the first deployment; both attempts recorded`, async () => {
      const tenant = await createTenant(gateway, { numRetries: 0, deployments: [{ ...openai(), ...deployment }, {}] });
      upstream.script(fault);
      const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
      const call = await gateway.request(`/api/jobs/${job.body.job_id}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('hello') } });
      assert.equal(call.status, 200, JSON.stringify(call.body));
      const attempts = await gateway.container.db.query<{ deployment_alias: string; status: string; error_class: string | null }>(
        'SELECT deployment_alias, status, error_class FROM call_attempts WHERE call_id = $1 ORDER BY attempt_number', [call.body.call_id]);
      assert.deepEqual(attempts.map((attempt) => [attempt.deployment_alias, attempt.status]), [[tenant.aliases[0], 'failed'], [tenant.aliases[1], 'succeeded']]);
    });
  }

  test('server-timing: the upstream share is measured, not rounded to whole milliseconds, and the parts fit the whole', async () => {
    const tenant = await createTenant(gateway, { deployments: [openai()] });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'timing' } });
    const upstreamShares: string[] = [];
    for (let index = 0; index < 6; index += 1) {
      upstream.script({ firstByteDelayMs: 15 });
      const sentAt = performance.now();
      const call = await gateway.request(`/api/jobs/${job.body.job_id}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('time me') } });
      const wallMs = performance.now() - sentAt;
      assert.equal(call.status, 200, JSON.stringify(call.body));
      const timing = /^gateway;dur=(\d+\.\d), upstream;dur=(\d+\.\d)$/.exec(call.headers.get('server-timing') ?? '');
      assert.ok(timing, call.headers.get('server-timing') ?? 'no server-timing');
      const [gatewayMs, upstreamMs] = [Number(timing[1]), Number(timing[2])];
      // Timers run on the loop's cached millisecond clock, so the fake's 15 ms can be up to ~1 ms shorter.
      assert.ok(upstreamMs >= 14, `upstream ${upstreamMs} ms with a 15 ms first-byte delay`);
      assert.ok(gatewayMs + upstreamMs <= wallMs + 0.2, `${gatewayMs} + ${upstreamMs} ms reported, ${wallMs} ms seen by the client`);
      upstreamShares.push(timing[2]!);
    }
    // Rounded to whole milliseconds, every share would end in `.0` (six in a row by chance: one in a million).
    assert.ok(upstreamShares.some((share) => !share.endsWith('.0')), upstreamShares.join(', '));
  });

  test('fallback after connection refused', async () => {
    const closed = await FakeOpenAIServer.start();
    const refusedBase = closed.baseUrl;
    await closed.close();
    const tenant = await createTenant(gateway, { numRetries: 0, deployments: [{ ...openai(), api_base: refusedBase }, {}] });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    const call = await gateway.request(`/api/jobs/${job.body.job_id}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('hello') } });
    assert.equal(call.status, 200, JSON.stringify(call.body));
    const attempts = await gateway.container.db.query<{ status: string; error_class: string }>('SELECT status, error_class FROM call_attempts WHERE call_id = $1 ORDER BY attempt_number', [call.body.call_id]);
    assert.deepEqual(attempts.map((attempt) => [attempt.status, attempt.error_class]), [['failed', 'connection'], ['succeeded', null]]);
  });

  test('a 400 from the upstream is the tenant\'s fault: returned as 400, not retried, no fallback', async () => {
    const tenant = await createTenant(gateway, { numRetries: 2, deployments: [openai(), {}] });
    upstream.script({ status: 400, error: { message: "Invalid value for 'temperature': must be at most 2.", type: 'invalid_request_error', code: 'invalid_value' } });
    const before = upstream.chatRequests.length;
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    const call = await gateway.request(`/api/jobs/${job.body.job_id}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('hello') } });
    assert.equal(call.status, 400);
    assert.equal(call.body.error.code, 'invalid_request');
    assert.match(call.body.error.message, /Invalid value for 'temperature'/);
    assert.equal(upstream.chatRequests.length - before, 1, 'exactly one upstream request');
  });
});
