import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeOpenAIServer } from '@saas-llm/testkit';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant, ledgerState } from './helpers/tenant-factory.ts';
import { readSse } from './helpers/sse.ts';

const ask = (content: string) => ({ messages: [{ role: 'user', content }] });

describe('job API: streaming edges, create-and-call, upstream faults over the OpenAI wire', () => {
  let gateway: TestGateway;
  let upstream: FakeOpenAIServer;
  before(async () => {
    gateway = await startTestGateway({ streamKeepaliveMs: 40 });
    upstream = await FakeOpenAIServer.start({ apiKey: 'sk-upstream-secret-key-1234567890' });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  const openaiDeployment = (extra: Record<string, unknown> = {}) => ({ provider: 'openai' as const, api_base: upstream.baseUrl, api_key: 'sk-upstream-secret-key-1234567890', model: 'gpt-4o-mini', ...extra });

  async function stream(auth: Record<string, string>, path: string, body: unknown, signal?: AbortSignal) {
    return fetch(`${gateway.url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
  }

  test('keepalive comments are sent while the upstream is slow to its first byte', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { ttft_ms: 300 } }] });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    const response = await stream(tenant.auth, `/api/jobs/${job.body.job_id}/llm-call-stream`, { model: tenant.group, ...ask('hi') });
    const { frames, comments } = await readSse(response);
    assert.ok(comments.filter((comment) => comment === ': keepalive').length >= 2, `comments: ${comments.length}`);
    assert.equal(frames.at(-1), '[DONE]');
  });

  test('an upstream failure after the first chunk becomes an error frame and [DONE]; the call is recorded failed', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { fail_mid_stream_first_n: 1, fail_mid_stream_after_tokens: 3 } }] });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    const response = await stream(tenant.auth, `/api/jobs/${job.body.job_id}/llm-call-stream`, { model: tenant.group, ...ask('tell me more') });
    assert.equal(response.status, 200);
    const callId = response.headers.get('x-call-id');
    const { frames } = await readSse(response);
    assert.equal(frames.at(-1), '[DONE]');
    const errorFrame = JSON.parse(frames.at(-2)!);
    assert.ok(errorFrame.error, frames.join('\n'));
    assert.equal(typeof errorFrame.error.message, 'string');
    const [row] = await gateway.container.db.query<{ status: string; completion_tokens: number }>('SELECT status, completion_tokens FROM calls WHERE call_id = $1', [callId]);
    assert.equal(row!.status, 'failed');
    assert.ok(row!.completion_tokens > 0, 'the tokens streamed before the failure are metered');
  });

  test('an upstream without usage: the final frame still carries usage, marked estimated', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { omit_usage: true } }] });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    const { frames } = await readSse(await stream(tenant.auth, `/api/jobs/${job.body.job_id}/llm-call-stream`, { model: tenant.group, ...ask('hello there') }));
    const final = JSON.parse(frames.at(-2)!);
    assert.ok(final.usage.prompt_tokens > 0 && final.usage.completion_tokens > 0);
    assert.equal(final.metadata.usage_source, 'estimated');
  });

  test('create-and-call: one request creates, calls, completes and charges', async () => {
    const tenant = await createTenant(gateway, { credits: 10 });
    const answer = await gateway.request('/api/jobs/create-and-call', { headers: tenant.auth, body: { job_type: 'one-shot', job_metadata: { a: 1 }, model_group: tenant.group, ...ask('Hi') } });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.object, 'chat.completion');
    assert.equal(answer.body.status, 'completed');
    assert.equal(answer.body.costs.credits_charged, 1);
    assert.equal(answer.body.costs.credits_remaining, 9);
    const job = await gateway.request(`/api/jobs/${answer.body.job_id}`, { headers: tenant.auth });
    assert.equal(job.body.status, 'completed');
    assert.deepEqual(job.body.metadata, { a: 1 });
    const failing = await gateway.request('/api/jobs/create-and-call', { headers: tenant.auth, body: { job_type: 'one-shot', model_group: 'no-such-model', ...ask('Hi') } });
    assert.equal(failing.status, 404);
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.remainingMicro, 9_000_000, 'a failed single-call job is free');
    assert.equal(state.reservedMicro, 0);
  });

  test('create-and-call-stream: the job id is in the headers, the final chunk carries the job costs', async () => {
    const tenant = await createTenant(gateway, { credits: 10 });
    const response = await stream(tenant.auth, '/api/jobs/create-and-call-stream', { job_type: 'one-shot', model_group: tenant.group, ...ask('Hi') });
    const jobId = response.headers.get('x-job-id');
    assert.match(jobId ?? '', /^[0-9a-f-]{36}$/);
    const { frames } = await readSse(response);
    const final = JSON.parse(frames.at(-2)!);
    assert.equal(final.job_id, jobId);
    assert.equal(final.status, 'completed');
    assert.equal(final.costs.credits_charged, 1);
    assert.equal(final.costs.credits_remaining, 9);
  });

  test('OpenAI upstream: 429 with Retry-After is retried on the same deployment; the key never leaks', async () => {
    const tenant = await createTenant(gateway, { deployments: [openaiDeployment()] });
    upstream.script({ status: 429, retryAfter: '0.05' });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    const call = await gateway.request(`/api/jobs/${job.body.job_id}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('hello') } });
    assert.equal(call.status, 200, JSON.stringify(call.body));
    assert.equal(call.body.metadata.attempts, 2);
    assert.equal(call.body.choices[0].message.content, 'Hello from the fake OpenAI server.');
    assert.equal(call.body.model, tenant.group);
    const sent = upstream.chatRequests.at(-1)!;
    assert.equal(sent.headers.authorization, 'Bearer sk-upstream-secret-key-1234567890');
    assert.equal(sent.body!.model, 'gpt-4o-mini');
    assert.equal(sent.body!.model_group, undefined, 'gateway fields are not forwarded');
    upstream.script({ status: 401, error: { message: 'Incorrect API key provided: sk-upstr***7890. See https://platform.openai.com/account/api-keys.' } });
    const refused = await gateway.request(`/api/jobs/${job.body.job_id}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('hello') } });
    assert.equal(refused.status, 502);
    const text = JSON.stringify(refused.body) + gateway.logs.join('');
    assert.ok(!text.includes('sk-upstream-secret-key-1234567890'));
    assert.ok(!JSON.stringify(refused.body).includes('platform.openai.com'));
  });

  test('OpenAI upstream: a client disconnect mid-stream closes the upstream request within 100 ms and meters what was streamed', async () => {
    const tenant = await createTenant(gateway, { deployments: [openaiDeployment()] });
    /** One streamed call abandoned after its first content; returns ms from the client's abort to the upstream's close. */
    const abandonOnce = async (): Promise<{ delayMs: number; jobId: string }> => {
      upstream.script({ chunkDelayMs: 30, content: 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen' });
      const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
      const controller = new AbortController();
      const response = await stream(tenant.auth, `/api/jobs/${job.body.job_id}/llm-call-stream`, { model: tenant.group, ...ask('count') }, controller.signal);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let received = '';
      // Wait for real content (not just the role chunk), so there is something to meter.
      while (!received.includes('two')) received += decoder.decode((await reader.read()).value, { stream: true });
      const upstreamClosed = new Promise<number>((resolve) => upstream.events.once('client-close', () => resolve(performance.now())));
      const abortedAt = performance.now();
      controller.abort();
      return { delayMs: (await upstreamClosed) - abortedAt, jobId: job.body.job_id };
    };
    // The fake upstream shares this process's event loop, so CPU contention can only add delay: the best
    // of three trials measures the gateway, not the scheduler.
    const trials = [await abandonOnce(), await abandonOnce(), await abandonOnce()];
    const best = Math.min(...trials.map((trial) => trial.delayMs));
    assert.ok(best <= 100, `upstream closed ${trials.map((trial) => Math.round(trial.delayMs)).join(' / ')} ms after the client left`);
    for (const { jobId } of trials) {
      let row: { status: string; usage_source: string; completion_tokens: number } | undefined;
      for (let tries = 0; tries < 100 && !row; tries += 1) {
        [row] = await gateway.container.db.query<{ status: string; usage_source: string; completion_tokens: number }>('SELECT status, usage_source, completion_tokens FROM calls WHERE job_id = $1', [jobId]);
        if (!row) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(row?.status, 'cancelled');
      assert.equal(row?.usage_source, 'estimated');
      assert.ok(row!.completion_tokens > 0, 'what was streamed before the disconnect is metered');
    }
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.reservedMicro, 3_000_000, "only the three jobs' own holds remain: the calls settled");
    // The aborted connections are gone and none was opened in their place (undici 7 reconnected after each
    // aborted stream and kept the new socket idle with no timer: a burst of cancelled streams left as many
    // TLS connections to the provider open for nothing).
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(upstream.unusedConnectionCount, 0, 'no connection opened without a request to carry');
  });

  test('cooldown: a deployment that keeps failing is skipped after three failures', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { fail_first_n: 1000, fail_status: 500 } }, {}] });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'x' } });
    const attempts: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const call = await gateway.request(`/api/jobs/${job.body.job_id}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('hi') } });
      assert.equal(call.status, 200);
      attempts.push(call.body.metadata.attempts);
    }
    // num_retries 1: 2 failures + success, then 1 failure (third in a row → cooldown) + success, then skipped.
    assert.deepEqual(attempts, [3, 2, 1]);
    const resolved = await gateway.admin(`/api/model-groups/${tenant.group}/resolve?team_id=${tenant.teamId}`);
    assert.deepEqual(resolved.body.skipped.map((skip: { reason: string }) => skip.reason), ['cooling_down']);
  });
});
