import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAnthropicServer, FakeGeminiServer, FakeOpenAIServer } from '@saas-llm/testkit';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant, ledgerState, type DeploymentSpec } from './helpers/tenant-factory.ts';
import { readSse } from './helpers/sse.ts';

/*
 * The real provider adapters inside the gateway, against the fake Anthropic, Gemini and OpenAI servers:
 * translation end to end, cross-provider fallback inside one stream, per-deployment timeouts.
 */

const ANTHROPIC_KEY = 'sk-ant-api03-GATEWAYTEST0123456789abcdefghijkl-ABCD';
const GEMINI_KEY = 'AIzaSyGATEWAYTEST0123456789abcdefghijkl';
const OPENAI_KEY = 'sk-proj-GATEWAYTEST0123456789abcdefghijklmnop';

describe('real provider adapters in the gateway', () => {
  let gateway: TestGateway;
  let anthropic: FakeAnthropicServer;
  let gemini: FakeGeminiServer;
  let openai: FakeOpenAIServer;

  before(async () => {
    [gateway, anthropic, gemini, openai] = await Promise.all([
      startTestGateway(), FakeAnthropicServer.start({ apiKey: ANTHROPIC_KEY }), FakeGeminiServer.start({ apiKey: GEMINI_KEY }), FakeOpenAIServer.start({ apiKey: OPENAI_KEY }),
    ]);
  });
  after(async () => {
    await Promise.all([gateway.close(), anthropic.close(), gemini.close(), openai.close()]);
  });
  beforeEach(() => {
    anthropic.reset();
    gemini.reset();
    openai.reset();
  });

  const claude = (extra: Partial<DeploymentSpec> = {}): DeploymentSpec => ({ provider: 'anthropic', model: 'claude-sonnet-4-5', api_base: anthropic.baseUrl, api_key: ANTHROPIC_KEY, capabilities: { tools: true, json_schema: false, vision: true }, ...extra });
  const gpt = (extra: Partial<DeploymentSpec> = {}): DeploymentSpec => ({ provider: 'openai', model: 'gpt-4o-mini', api_base: openai.baseUrl, api_key: OPENAI_KEY, ...extra });
  const geminiFlash = (extra: Partial<DeploymentSpec> = {}): DeploymentSpec => ({ provider: 'gemini', model: 'gemini-2.5-flash', api_base: gemini.baseUrl, api_key: GEMINI_KEY, ...extra });

  async function openJob(auth: Record<string, string>): Promise<string> {
    const job = await gateway.request('/api/jobs/create', { headers: auth, body: { job_type: 'providers' } });
    assert.equal(job.status, 200, JSON.stringify(job.body));
    return job.body.job_id as string;
  }

  async function streamCall(auth: Record<string, string>, jobId: string, body: Record<string, unknown>) {
    const response = await fetch(`${gateway.url}/api/jobs/${jobId}/llm-call-stream`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 200);
    const { frames } = await readSse(response);
    assert.equal(frames.at(-1), '[DONE]');
    return { callId: response.headers.get('x-call-id')!, chunks: frames.slice(0, -1).map((frame) => JSON.parse(frame)) };
  }

  const attemptsOf = (callId: string) => gateway.container.db.query<{ deployment_alias: string; provider: string; status: string; http_status: number | null; error_class: string | null }>(
    'SELECT deployment_alias, provider, status, http_status, error_class FROM call_attempts WHERE call_id = $1 ORDER BY attempt_number', [callId]);

  test('an Anthropic deployment failing with overloaded_error (529) falls back to OpenAI: one consistent OpenAI stream', async () => {
    const tenant = await createTenant(gateway, { deployments: [claude(), gpt()] });
    anthropic.setDefaultReply({ status: 529 });
    openai.script({ content: 'Answer from the fallback.' });
    const jobId = await openJob(tenant.auth);
    const { callId, chunks } = await streamCall(tenant.auth, jobId, { model: tenant.group, messages: [{ role: 'user', content: 'Hello?' }] });

    assert.equal(anthropic.messageRequests.length, 2, 'one try and one retry on the Anthropic deployment');
    const upstreamChunks = chunks.slice(0, -1);
    assert.equal(new Set(upstreamChunks.map((chunk) => chunk.id)).size, 1, 'every chunk belongs to one answer');
    assert.match(upstreamChunks[0].id, /^chatcmpl-fake/);
    for (const chunk of chunks) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.model, tenant.group);
    }
    assert.equal(upstreamChunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), 'Answer from the fallback.');
    const final = chunks.at(-1);
    assert.deepEqual(final.choices, []);
    assert.equal(final.metadata.attempts, 3);
    assert.ok(final.usage.completion_tokens > 0);
    assert.ok(!JSON.stringify(chunks).includes('claude') && !JSON.stringify(chunks).includes('gpt-4o'), 'no provider model id reaches the tenant');
    assert.deepEqual((await attemptsOf(callId)).map((attempt) => [attempt.provider, attempt.status, attempt.http_status, attempt.error_class]), [
      ['anthropic', 'failed', 529, 'overloaded'], ['anthropic', 'failed', 529, 'overloaded'], ['openai', 'succeeded', 200, null],
    ]);
    const ledger = await ledgerState(gateway, tenant.teamId);
    assert.equal(ledger.heldReservations, 1, 'only the open job\'s hold remains');
  });

  test('an overloaded_error event before the first content still falls back (nothing reached the client yet)', async () => {
    const tenant = await createTenant(gateway, { deployments: [claude(), gpt()] });
    anthropic.setDefaultReply({ errorEventAfterChunks: 1 });
    openai.script({ content: 'Fallback.' });
    const jobId = await openJob(tenant.auth);
    const { callId, chunks } = await streamCall(tenant.auth, jobId, { model: tenant.group, messages: [{ role: 'user', content: 'Hello?' }] });
    assert.equal(chunks.slice(0, -1).map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), 'Fallback.');
    assert.deepEqual((await attemptsOf(callId)).map((attempt) => [attempt.provider, attempt.status, attempt.error_class]), [
      ['anthropic', 'failed', 'overloaded'], ['anthropic', 'failed', 'overloaded'], ['openai', 'succeeded', null],
    ]);
  });

  test('Anthropic translated end to end: stream chunks, reported usage with cached tokens, json_schema emulated', async () => {
    const tenant = await createTenant(gateway, { deployments: [claude()] });
    anthropic.script({ content: 'Bonjour tout le monde.', cacheReadTokens: 6 }, { content: '{"city":"Paris"}' });
    const jobId = await openJob(tenant.auth);
    const { callId, chunks } = await streamCall(tenant.auth, jobId, { model: tenant.group, messages: [{ role: 'user', content: 'Say hello in French' }] });
    assert.equal(chunks.slice(0, -1).map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), 'Bonjour tout le monde.');
    const final = chunks.at(-1);
    assert.equal(final.usage.completion_tokens, 4);
    assert.equal(final.usage.prompt_tokens_details.cached_tokens, 6);
    const record = await gateway.request(`/api/jobs/${jobId}/calls/${callId}`, { headers: tenant.auth });
    assert.equal(record.body.usage_source, 'reported');
    assert.equal(record.body.completion_tokens, 4);

    const structured = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: {
      model: tenant.group, messages: [{ role: 'user', content: 'Capital of France as JSON' }],
      response_format: { type: 'json_schema', json_schema: { name: 'Capital', strict: true, schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    } });
    assert.equal(structured.status, 200, JSON.stringify(structured.body));
    assert.deepEqual(JSON.parse(structured.body.choices[0].message.content), { city: 'Paris' });
    assert.equal(structured.body.choices[0].finish_reason, 'stop');
    assert.deepEqual(anthropic.messageRequests.at(-1)!.body!.tool_choice, { type: 'tool', name: 'Capital', disable_parallel_tool_use: true });
  });

  test('Gemini translated end to end: parallel tool calls non-stream, and a blocked prompt is a 400', async () => {
    const tenant = await createTenant(gateway, { deployments: [geminiFlash()] });
    gemini.script({ content: '', functionCalls: [{ name: 'lookup', args: { q: 'a' } }, { name: 'lookup', args: { q: 'b' } }] }, { blockReason: 'SAFETY' });
    const jobId = await openJob(tenant.auth);
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } }];
    const call = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, messages: [{ role: 'user', content: 'Look up a and b' }], tools } });
    assert.equal(call.status, 200, JSON.stringify(call.body));
    assert.equal(call.body.model, tenant.group);
    assert.equal(call.body.choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(call.body.choices[0].message.tool_calls.map((toolCall: { function: unknown }) => toolCall.function), [
      { name: 'lookup', arguments: '{"q":"a"}' }, { name: 'lookup', arguments: '{"q":"b"}' },
    ]);
    assert.equal(gemini.generateRequests[0]!.headers['x-goog-api-key'], GEMINI_KEY);

    const blocked = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, messages: [{ role: 'user', content: 'Something unsafe' }] } });
    assert.equal(blocked.status, 400);
    assert.equal(blocked.body.error.code, 'invalid_request');
    assert.match(blocked.body.error.message, /content filters \(SAFETY\)/);
  });

  test('per-deployment timeouts from settings: a slow first byte times out and falls back; the attempt says timeout', async () => {
    const tenant = await createTenant(gateway, { deployments: [claude({ settings: { first_byte_timeout_ms: 150 } }), geminiFlash()] });
    anthropic.setDefaultReply({ firstByteDelayMs: 3_000 });
    gemini.script({ content: 'In time.' });
    const jobId = await openJob(tenant.auth);
    const { callId, chunks } = await streamCall(tenant.auth, jobId, { model: tenant.group, messages: [{ role: 'user', content: 'Quick!' }] });
    assert.equal(chunks.slice(0, -1).map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), 'In time.');
    assert.deepEqual((await attemptsOf(callId)).map((attempt) => [attempt.provider, attempt.status, attempt.error_class]), [
      ['anthropic', 'failed', 'timeout'], ['anthropic', 'failed', 'timeout'], ['gemini', 'succeeded', null],
    ]);
  });

  for (const provider of ['anthropic', 'gemini'] as const) {
    test(`${provider} faults through the gateway: retry after Retry-After, fallback on a reset, an error frame mid-stream, estimated usage`, async () => {
      const fake = provider === 'anthropic' ? anthropic : gemini;
      const first = provider === 'anthropic' ? claude() : geminiFlash();
      const tenant = await createTenant(gateway, { deployments: [first, gpt()] });
      const ask = { model: tenant.group, messages: [{ role: 'user', content: 'one two three' }] };
      const jobId = await openJob(tenant.auth);
      const outcome = async (callId: string) => (await attemptsOf(callId)).map((attempt) => `${attempt.provider}:${attempt.status}:${attempt.error_class ?? '-'}`);

      // 429 with Retry-After: 0 → the same deployment is retried and answers.
      fake.script({ status: 429, retryAfter: '0' }, { content: 'Retried fine.' });
      const retried = await streamCall(tenant.auth, jobId, ask);
      assert.equal(retried.chunks.slice(0, -1).map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), 'Retried fine.');
      assert.deepEqual(await outcome(retried.callId), [`${provider}:failed:rate_limited`, `${provider}:succeeded:-`]);

      // A reset before the headers, twice → the OpenAI deployment answers.
      fake.script({ resetBeforeHeaders: true }, { resetBeforeHeaders: true });
      openai.script({ content: 'From OpenAI.' });
      const fellBack = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: ask });
      assert.equal(fellBack.status, 200, JSON.stringify(fellBack.body));
      assert.equal(fellBack.body.choices[0].message.content, 'From OpenAI.');
      assert.deepEqual(await outcome(fellBack.body.call_id), [`${provider}:failed:connection`, `${provider}:failed:connection`, 'openai:succeeded:-']);

      // A malformed event after content reached the client → an error frame, then [DONE]; the call is failed.
      fake.script({ content: 'Alpha beta gamma delta.', malformedAtChunk: provider === 'anthropic' ? 5 : 2 });
      const broken = await streamCall(tenant.auth, jobId, ask);
      assert.equal(broken.chunks.at(-1).error.code, 'upstream_error');
      assert.ok(broken.chunks.some((chunk) => (chunk.choices?.[0]?.delta?.content ?? '').length > 0), 'content came before the failure');
      const brokenRecord = await gateway.request(`/api/jobs/${jobId}/calls/${broken.callId}`, { headers: tenant.auth });
      assert.equal(brokenRecord.body.status, 'failed');

      // No usage from the upstream → the gateway counts, and says so.
      fake.script({ omitUsage: true, content: 'Counted by the gateway.' });
      const counted = await streamCall(tenant.auth, jobId, ask);
      assert.equal(counted.chunks.at(-1).metadata.usage_source, 'estimated');
      assert.ok(counted.chunks.at(-1).usage.completion_tokens > 0);
    });
  }

  test('provider keys never reach the tenant or the logs: a rejected key is a 502 without it', async () => {
    const wrongKey = 'sk-ant-api03-WRONGKEYFORGATEWAY0123456789abcd-WXYZ';
    const tenant = await createTenant(gateway, { deployments: [claude({ api_key: wrongKey })] });
    const jobId = await openJob(tenant.auth);
    const call = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, messages: [{ role: 'user', content: 'Hi' }] } });
    assert.equal(call.status, 502);
    assert.equal(call.body.error.code, 'upstream_error');
    const everything = JSON.stringify(call.body) + gateway.logs.join('');
    for (const secret of [wrongKey, wrongKey.slice(-4), anthropic.baseUrl]) assert.ok(!everything.includes(secret), `${secret} leaked`);
  });
});
