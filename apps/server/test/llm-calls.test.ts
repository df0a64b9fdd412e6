import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant, ledgerState } from './helpers/tenant-factory.ts';
import { readSse } from './helpers/sse.ts';

const ask = (content: string, extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content }], ...extra });

interface CancelledCallRow { status: string; prompt_tokens: number; completion_tokens: number; usage_source: string }

/** The `calls` row of a cut call, polled for up to 5 s (its settlement is written after the client has gone). */
async function recordedCall(gateway: TestGateway, where: 'call_id' | 'job_id', id: string): Promise<CancelledCallRow | undefined> {
  for (let tries = 0; tries < 250; tries += 1) {
    const [row] = await gateway.container.db.query<CancelledCallRow>(`SELECT status, prompt_tokens, completion_tokens, usage_source FROM calls WHERE ${where} = $1`, [id]);
    if (row) return row;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

describe('llm calls in jobs', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  async function openJob(auth: Record<string, string>, body: Record<string, unknown> = {}) {
    const job = await gateway.request('/api/jobs/create', { headers: auth, body: { job_type: 'test', ...body } });
    assert.equal(job.status, 200, JSON.stringify(job.body));
    return job.body.job_id as string;
  }

  test('non-stream: an OpenAI chat.completion with call_id, job_id and metadata; model is the requested name', async () => {
    const tenant = await createTenant(gateway, { markup: 50 });
    const jobId = await openJob(tenant.auth);
    const call = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model_group: tenant.group, ...ask('Say hello', { max_tokens: 20, purpose: 'greeting', call_metadata: { step: 1 } }) } });
    assert.equal(call.status, 200, JSON.stringify(call.body));
    assert.equal(call.body.object, 'chat.completion');
    assert.equal(call.body.model, tenant.group);
    assert.equal(call.body.job_id, jobId);
    assert.match(call.body.call_id, /^[0-9a-f-]{36}$/);
    assert.equal(call.headers.get('x-call-id'), call.body.call_id);
    assert.match(call.headers.get('server-timing') ?? '', /gateway;dur=[\d.]+, upstream;dur=[\d.]+/);
    assert.equal(call.body.metadata.model_group, tenant.group);
    assert.equal(call.body.metadata.attempts, 1);
    const usage = call.body.usage;
    assert.ok(usage.prompt_tokens > 0 && usage.completion_tokens > 0 && usage.completion_tokens <= 20);
    // $1 / $2 per 1M tokens, +50 % markup.
    const expected = ((usage.prompt_tokens * 1 + usage.completion_tokens * 2) / 1e6) * 1.5;
    assert.ok(Math.abs(call.body.metadata.cost_usd - expected) < 1e-9, `${call.body.metadata.cost_usd} vs ${expected}`);
    assert.ok(!JSON.stringify(call.body).includes('mock-chat'), 'provider model id is never shown');
    const job = await gateway.request(`/api/jobs/${jobId}`, { headers: tenant.auth });
    assert.equal(job.body.status, 'in_progress');
    assert.equal(job.body.costs.total_calls, 1);
    assert.deepEqual(job.body.metadata, { step: 1 });
    assert.deepEqual(job.body.model_groups_used, [tenant.group]);
    const record = await gateway.request(`/api/jobs/${jobId}/calls/${call.body.call_id}`, { headers: tenant.auth });
    assert.equal(record.status, 200);
    assert.equal(record.body.purpose, 'greeting');
    assert.equal(record.body.usage_source, 'reported');
    assert.equal(record.body.request.messages[0].content, 'Say hello');
  });

  test('stream: SSE headers, chunks, final frame with usage + ids + metadata, then [DONE]', async () => {
    const tenant = await createTenant(gateway);
    const jobId = await openJob(tenant.auth);
    const response = await fetch(`${gateway.url}/api/jobs/${jobId}/llm-call-stream`, {
      method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: tenant.group, ...ask('Tell me a short story') }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('x-accel-buffering'), 'no');
    assert.equal(response.headers.get('x-job-id'), jobId);
    const callId = response.headers.get('x-call-id');
    assert.ok(callId);
    const { frames } = await readSse(response);
    assert.equal(frames.at(-1), '[DONE]');
    const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame));
    assert.ok(chunks.length >= 3);
    for (const chunk of chunks) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.model, tenant.group);
    }
    const final = chunks.at(-1);
    assert.deepEqual(final.choices, []);
    assert.equal(final.call_id, callId);
    assert.equal(final.job_id, jobId);
    assert.ok(final.usage.completion_tokens > 0);
    assert.equal(final.metadata.attempts, 1);
    assert.equal(typeof final.metadata.ttft_ms, 'number');
    const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
    assert.ok(text.length > 0);
    const record = await gateway.request(`/api/jobs/${jobId}/calls/${callId}`, { headers: tenant.auth });
    assert.equal(record.body.status, 'succeeded');
    assert.equal(record.body.completion_tokens, final.usage.completion_tokens);
  });

  test('`stream: true` on llm-call answers like llm-call-stream', async () => {
    const tenant = await createTenant(gateway);
    const jobId = await openJob(tenant.auth);
    const response = await fetch(`${gateway.url}/api/jobs/${jobId}/llm-call`, {
      method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: tenant.group, stream: true, ...ask('hi') }),
    });
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const { frames } = await readSse(response);
    assert.equal(frames.at(-1), '[DONE]');
  });

  test('errors: unknown model 404, a call on a closed job 409, job budgets 402', async () => {
    const tenant = await createTenant(gateway);
    const jobId = await openJob(tenant.auth, { max_calls: 1 });
    const unknown = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: 'no-such-group', ...ask('x') } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'model_not_found');
    const missingModel = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: ask('x') });
    assert.equal(missingModel.status, 400);
    assert.equal(missingModel.body.error.param, 'model_group');
    const first = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('x') } });
    assert.equal(first.status, 200);
    const second = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('x') } });
    assert.equal(second.status, 402);
    assert.equal(second.body.error.code, 'job_budget_exceeded');
    await gateway.request(`/api/jobs/${jobId}/complete`, { headers: tenant.auth, body: { status: 'completed' } });
    const closed = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('x') } });
    assert.equal(closed.status, 409);
    assert.equal(closed.body.error.code, 'job_closed');
    const capped = await openJob(tenant.auth, { max_cost_usd: 0.000001 });
    const tooExpensive = await gateway.request(`/api/jobs/${capped}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('x'), max_tokens: 1000 } });
    assert.equal(tooExpensive.status, 402);
    assert.equal(tooExpensive.body.error.code, 'job_budget_exceeded');
  });

  test('fallback: a failing first deployment falls back to the next; every attempt is recorded', async () => {
    const tenant = await createTenant(gateway, {
      deployments: [{ settings: { fail_first_n: 100, fail_status: 503 } }, {}],
    });
    const jobId = await openJob(tenant.auth);
    const call = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('hello') } });
    assert.equal(call.status, 200, JSON.stringify(call.body));
    assert.equal(call.body.metadata.attempts, 3); // 1 try + 1 retry on the first deployment, then the second
    const attempts = await gateway.container.db.query<{ deployment_alias: string; status: string; error_class: string | null }>(
      'SELECT deployment_alias, status, error_class FROM call_attempts WHERE call_id = $1 ORDER BY attempt_number', [call.body.call_id]);
    assert.deepEqual(attempts.map((attempt) => [attempt.deployment_alias, attempt.status]), [
      [tenant.aliases[0], 'failed'], [tenant.aliases[0], 'failed'], [tenant.aliases[1], 'succeeded'],
    ]);
  });

  test('every deployment failing answers 503 upstream_unavailable and the failed call is recorded unbilled', async () => {
    const tenant = await createTenant(gateway, {
      deployments: [{ settings: { fail_first_n: 100, fail_status: 500 } }, { settings: { fail_first_n: 100, fail_status: 429 } }],
    });
    const jobId = await openJob(tenant.auth);
    const call = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('hello') } });
    assert.equal(call.status, 503);
    assert.equal(call.body.error.code, 'upstream_unavailable');
    const job = await gateway.request(`/api/jobs/${jobId}`, { headers: tenant.auth });
    assert.equal(job.body.costs.failed_calls, 1);
    assert.equal(job.body.costs.total_cost_usd, 0);
  });

  test('a client disconnect mid-stream aborts the upstream and meters what was streamed', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { tokens_per_second: 50 } }] });
    const jobId = await openJob(tenant.auth);
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/api/jobs/${jobId}/llm-call-stream`, {
      method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, signal: controller.signal,
      body: JSON.stringify({ model: tenant.group, ...ask('Write a long essay about the sea'), max_tokens: 2000 }),
    });
    const callId = response.headers.get('x-call-id')!;
    const reader = response.body!.getReader();
    let received = 0;
    while (received < 3) { await reader.read(); received += 1; }
    controller.abort();
    const record = await recordedCall(gateway, 'call_id', callId);
    assert.ok(record, 'the call was recorded');
    assert.equal(record.status, 'cancelled');
    assert.equal(record.usage_source, 'estimated');
    assert.ok(record.completion_tokens > 0 && record.completion_tokens < 2000);
    assert.equal(gateway.container.inFlight.count(jobId), 0);
  });

  test('a disconnect before the answer meters the prompt even when it spells special tokens', async () => {
    // The prompt is counted exactly on cancellation; `<|endoftext|>` once made the tokenizer throw, and the
    // call was then neither recorded nor settled.
    const tenant = await createTenant(gateway, { deployments: [{ settings: { ttft_ms: 2000 } }] });
    const jobId = await openJob(tenant.auth);
    const controller = new AbortController();
    const pending = fetch(`${gateway.url}/api/jobs/${jobId}/llm-call`, {
      method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, signal: controller.signal,
      body: JSON.stringify({ model: tenant.group, ...ask('What do <|endoftext|> and <|im_start|> mean?') }),
    }).catch(() => null);
    while (gateway.container.inFlight.count(jobId) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await pending;
    const record = await recordedCall(gateway, 'job_id', jobId);
    assert.ok(record, 'the call was recorded');
    assert.equal(record.status, 'cancelled');
    assert.equal(record.usage_source, 'estimated');
    assert.ok(record.prompt_tokens > 10);
    assert.equal(gateway.container.inFlight.count(jobId), 0);
  });

  test('cancel aborts in-flight calls of the job and releases its holds', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { tokens_per_second: 20 } }] });
    const jobId = await openJob(tenant.auth);
    const streaming = fetch(`${gateway.url}/api/jobs/${jobId}/llm-call-stream`, {
      method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: tenant.group, ...ask('A long story please'), max_tokens: 1000 }),
    }).then(async (response) => ({ response, sse: await readSse(response) }));
    while (gateway.container.inFlight.count(jobId) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const cancelled = await gateway.request(`/api/jobs/${jobId}/cancel`, { headers: tenant.auth, body: {} });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.equal(cancelled.body.calls.length, 1);
    assert.equal(cancelled.body.calls[0].status, 'cancelled');
    const { sse } = await streaming;
    assert.equal(sse.frames.at(-1), '[DONE]');
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.reservedMicro, 0);
    assert.equal(state.ledgerSumMicro, state.remainingMicro);
  });

  test('consumption_tokens: concurrent calls never overspend; holds settle; the ledger sums to the balance', async () => {
    const tenant = await createTenant(gateway, { credits: 3, budgetMode: 'consumption_tokens', team: { tokens_per_credit: 100 } });
    const jobId = await openJob(tenant.auth);
    // Each call may use up to ~60 prompt + 50 output tokens → a hold of ~1.1 credits; 2 credits remain after the job's own hold.
    const calls = await Promise.all(Array.from({ length: 12 }, () => gateway.request(`/api/jobs/${jobId}/llm-call`, {
      headers: tenant.auth, body: { model: tenant.group, ...ask('Count to three please'), max_tokens: 50 },
    })));
    const succeeded = calls.filter((call) => call.status === 200);
    const refused = calls.filter((call) => call.status === 402);
    assert.equal(succeeded.length + refused.length, calls.length, JSON.stringify(calls.filter((call) => call.status !== 200 && call.status !== 402).map((call) => call.body)));
    assert.ok(succeeded.length >= 1 && refused.length >= 1, `${succeeded.length} succeeded, ${refused.length} refused`);
    for (const call of refused) assert.equal(call.body.error.code, 'insufficient_credits');
    const closed = await gateway.request(`/api/jobs/${jobId}/complete`, { headers: tenant.auth, body: { status: 'completed' } });
    assert.equal(closed.status, 200);
    const state = await ledgerState(gateway, tenant.teamId);
    assert.ok(state.remainingMicro >= 0);
    assert.equal(state.ledgerSumMicro, state.remainingMicro);
    assert.equal(state.heldReservations, 0);
    assert.equal(state.reservedMicro, 0);
    const tokens = closed.body.costs.total_tokens;
    assert.equal(closed.body.costs.credits_charged, Math.max(1, Math.floor(tokens / 100)));
  });
});
