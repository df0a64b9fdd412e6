import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant, ledgerState, type Tenant } from './helpers/tenant-factory.ts';
import { assertAutomaticJobsCharged, teamJobs } from './helpers/v1-metering.ts';

/*
 * The official `openai` SDK (v6), unmodified, pointed at the gateway's /v1 with a virtual key: every call
 * lands in a job of the key's team, metered, and the team's balance moves by its budget mode.
 */

const cityFacts = z.object({
  city: z.string(),
  country: z.string(),
  population: z.number().int().min(0),
  landmarks: z.array(z.object({ name: z.string(), year_built: z.number().int().nullable() })),
});

describe('/v1 with the official openai SDK', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  const clientOf = (tenant: Tenant, headers: Record<string, string> = {}) =>
    new OpenAI({ apiKey: tenant.key, baseURL: `${gateway.url}/v1`, defaultHeaders: headers });

  test('chat.completions.create: a plain chat.completion, headers name the job and call, the job is completed and charged', async () => {
    const tenant = await createTenant(gateway, { markup: 25 });
    const client = clientOf(tenant);
    const { data: completion, response } = await client.chat.completions.create({
      model: tenant.group, messages: [{ role: 'user', content: 'What is the capital of France?' }], max_tokens: 30,
    }).withResponse();
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, tenant.group);
    assert.equal(completion.choices[0]!.message.content, 'The capital of France is Paris.');
    assert.ok(completion.usage!.total_tokens > 0);
    assert.ok(!JSON.stringify(completion).includes('mock-chat'), 'the provider model id is never shown');
    const jobId = response.headers.get('x-job-id');
    const callId = response.headers.get('x-call-id');
    assert.ok(jobId && callId);
    const jobs = await assertAutomaticJobsCharged(gateway, tenant, { jobs: 1 });
    assert.equal(jobs[0]!.jobId, jobId);
    assert.equal(jobs[0]!.calls[0]!.callId, callId);
    // $1 / $2 per 1M tokens with a 25 % markup, exactly as the job API prices it.
    const usage = completion.usage!;
    assert.equal(jobs[0]!.calls[0]!.clientCostNanos, Math.round((usage.prompt_tokens * 1000 + usage.completion_tokens * 2000) * 1.25));
    const costs = await gateway.request(`/api/jobs/${jobId}/costs`, { headers: tenant.auth });
    assert.equal(costs.status, 200);
    assert.equal(costs.body.costs.breakdown[0].call_id, callId);
  });

  test('streaming: chunks assembled by the SDK, usage in the last chunk, the automatic job closed before [DONE]', async () => {
    const tenant = await createTenant(gateway);
    const client = clientOf(tenant, { 'x-job-type': 'support-chat' });
    const { data: stream, response } = await client.chat.completions.create({
      model: tenant.group, messages: [{ role: 'user', content: 'Tell me a short story about a lighthouse' }], stream: true, stream_options: { include_usage: true },
    }).withResponse();
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(text.length > 20, text);
    assert.ok(usage && usage.completion_tokens > 0);
    const jobs = await assertAutomaticJobsCharged(gateway, tenant, { jobs: 1, jobType: 'support-chat', streamed: 1 });
    assert.equal(jobs[0]!.jobId, response.headers.get('x-job-id'));
    assert.equal(jobs[0]!.calls[0]!.totalTokens, usage.total_tokens);
  });

  test('chat.completions.stream helper: finalChatCompletion() assembles the streamed answer', async () => {
    const tenant = await createTenant(gateway);
    const runner = clientOf(tenant).chat.completions.stream({ model: tenant.group, messages: [{ role: 'user', content: 'Reply with exactly: "stream helper works"' }] });
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0]!.message.content, 'stream helper works');
    await assertAutomaticJobsCharged(gateway, tenant, { jobs: 1, streamed: 1 });
  });

  test('tools: a named tool_choice returns a tool call whose arguments follow the function schema', async () => {
    const tenant = await createTenant(gateway);
    const client = clientOf(tenant);
    const tools: OpenAI.ChatCompletionTool[] = [{
      type: 'function',
      function: {
        name: 'get_weather', description: 'Current weather of a city',
        parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city', 'unit'], additionalProperties: false },
      },
    }];
    const completion = await client.chat.completions.create({
      model: tenant.group, messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools, tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const call = completion.choices[0]!.message.tool_calls?.[0];
    assert.equal(completion.choices[0]!.finish_reason, 'tool_calls');
    assert.ok(call && call.type === 'function');
    assert.equal(call.function.name, 'get_weather');
    const args = JSON.parse(call.function.arguments);
    assert.equal(typeof args.city, 'string');
    assert.ok(['celsius', 'fahrenheit'].includes(args.unit));

    // The same tool call streamed: the SDK's stream helper reassembles the argument deltas by index.
    const runner = client.chat.completions.stream({
      model: tenant.group, messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools, tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const streamed = (await runner.finalChatCompletion()).choices[0]!.message.tool_calls?.[0];
    assert.ok(streamed && streamed.type === 'function');
    assert.equal(streamed.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(streamed.function.arguments), args);
    await assertAutomaticJobsCharged(gateway, tenant, { jobs: 2, streamed: 1 });
  });

  test('chat.completions.parse with zodResponseFormat (zod 4): parsed output, every call metered', async () => {
    const tenant = await createTenant(gateway);
    const completion = await clientOf(tenant).chat.completions.parse({
      model: tenant.group, messages: [{ role: 'user', content: 'Facts about Rome' }], response_format: zodResponseFormat(cityFacts, 'city_facts'),
    });
    const parsed = completion.choices[0]!.message.parsed;
    assert.ok(parsed);
    assert.equal(cityFacts.safeParse(parsed).success, true);
    await assertAutomaticJobsCharged(gateway, tenant, { jobs: 1 });
  });

  test('x-job-id attaches calls to an open job of the team; the job is not closed by the gateway', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ capabilities: { tools: true, json_schema: true, embeddings: true } }] });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'batch' } });
    const client = clientOf(tenant, { 'x-job-id': job.body.job_id });
    await client.chat.completions.create({ model: tenant.group, messages: [{ role: 'user', content: 'one' }] });
    const stream = await client.chat.completions.create({ model: tenant.group, messages: [{ role: 'user', content: 'two' }], stream: true });
    for await (const chunk of stream) assert.equal(chunk.object, 'chat.completion.chunk');
    await client.embeddings.create({ model: tenant.group, input: 'three' });
    const read = await gateway.request(`/api/jobs/${job.body.job_id}`, { headers: tenant.auth });
    assert.equal(read.body.status, 'in_progress');
    assert.equal(read.body.costs.total_calls, 3);
    assert.equal((await teamJobs(gateway, tenant.teamId)).length, 1, 'no automatic job was opened');
    const closed = await gateway.request(`/api/jobs/${job.body.job_id}/complete`, { headers: tenant.auth, body: { status: 'completed' } });
    assert.equal(closed.body.costs.credits_charged, 1);
    // A closed job refuses further calls with 409, which the SDK does not retry (x-should-retry: false).
    const refused = await client.chat.completions.create({ model: tenant.group, messages: [{ role: 'user', content: 'four' }] }).withResponse().catch((error: unknown) => error);
    assert.ok(refused instanceof OpenAI.ConflictError, String(refused));
    assert.equal(refused.headers.get('x-should-retry'), 'false');
    assert.equal((refused.error as { code?: string }).code, 'job_closed');
    // Another team's job id is 404, as if it did not exist.
    const stranger = await createTenant(gateway);
    const foreign = await clientOf(stranger, { 'x-job-id': job.body.job_id }).chat.completions.create({ model: stranger.group, messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    assert.ok(foreign instanceof OpenAI.NotFoundError);
  });

  test('models.list and models.retrieve: the team\'s model groups, nothing else', async () => {
    const tenant = await createTenant(gateway);
    const other = await createTenant(gateway);
    const client = clientOf(tenant);
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.deepEqual(ids, [tenant.group]);
    const model = await client.models.retrieve(tenant.group);
    assert.equal(model.id, tenant.group);
    assert.equal(model.object, 'model');
    const hidden = await client.models.retrieve(other.group).catch((error: unknown) => error);
    assert.ok(hidden instanceof OpenAI.NotFoundError);
    assert.equal((hidden.error as { code?: string }).code, 'model_not_found');
  });

  test('embeddings.create: vectors in input order (float and base64), metered on prompt tokens', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ capabilities: { embeddings: true } }] });
    const client = clientOf(tenant);
    const floats = await client.embeddings.create({ model: tenant.group, input: ['first text', 'second text'], encoding_format: 'float' });
    assert.equal(floats.object, 'list');
    assert.equal(floats.model, tenant.group);
    assert.deepEqual(floats.data.map((item) => item.index), [0, 1]);
    assert.equal(floats.data[0]!.embedding.length, 16);
    assert.notDeepEqual(floats.data[0]!.embedding, floats.data[1]!.embedding);
    // The SDK asks for base64 by default and decodes it: the same vector as the float answer.
    const decoded = await client.embeddings.create({ model: tenant.group, input: 'first text' });
    assert.ok(decoded.data[0]!.embedding.every((value, index) => Math.abs(value - floats.data[0]!.embedding[index]!) < 1e-6));
    await assertAutomaticJobsCharged(gateway, tenant, { jobs: 2 });
    // A group without an embedding deployment cannot serve it.
    const chatOnly = await createTenant(gateway);
    const refused = await clientOf(chatOnly).embeddings.create({ model: chatOnly.group, input: 'x' }, { maxRetries: 0 }).catch((error: unknown) => error);
    assert.ok(refused instanceof OpenAI.APIError && refused.status === 503, String(refused));
  });

  test('errors use the OpenAI envelope the SDK maps to its error classes', async () => {
    const tenant = await createTenant(gateway);
    const badKey = new OpenAI({ apiKey: 'sk-sl-not-a-real-key-000000000000000000000', baseURL: `${gateway.url}/v1` });
    const unauthorized = await badKey.chat.completions.create({ model: tenant.group, messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    assert.ok(unauthorized instanceof OpenAI.AuthenticationError);
    assert.equal((unauthorized.error as { code?: string }).code, 'invalid_api_key');
    const unknown = await clientOf(tenant).chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    assert.ok(unknown instanceof OpenAI.NotFoundError);
    assert.match(unknown.message, /no-such-model/);
    const invalid = await clientOf(tenant).chat.completions.create({ model: tenant.group, messages: [], max_tokens: 5 }).catch((error: unknown) => error);
    assert.ok(invalid instanceof OpenAI.BadRequestError);
    assert.equal(invalid.param, 'messages');
    // Failed calls close their automatic job as failed, free of charge under the default policy.
    const jobs = await teamJobs(gateway, tenant.teamId);
    assert.ok(jobs.length >= 1 && jobs.every((job) => job.status === 'failed' && job.creditsCharged === 0), JSON.stringify(jobs));
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.remainingMicro, 100_000_000);
    assert.equal(state.reservedMicro, 0);
  });

  test('validate with max_retries 2: two invalid answers are re-asked, the third is returned; three metered calls', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { invalid_json_first_n: 2 } }] });
    const { data: completion, response } = await clientOf(tenant).chat.completions.parse({
      model: tenant.group, messages: [{ role: 'user', content: 'Facts about Oslo' }], response_format: zodResponseFormat(cityFacts, 'city_facts'),
      // Gateway fields travel as extra body fields (unknown to the SDK, passed through untouched).
      ...({ validate: { max_retries: 2 } } as object),
    }).withResponse();
    assert.equal(cityFacts.safeParse(completion.choices[0]!.message.parsed).success, true);
    assert.equal(response.headers.get('x-structured-attempts'), '3');
    assert.equal((completion as unknown as { structured_attempts: number }).structured_attempts, 3);
    const [job] = await teamJobs(gateway, tenant.teamId);
    assert.equal(job!.status, 'completed');
    assert.deepEqual(job!.calls.map((call) => [call.status, call.errorCode]), [['failed', 'validation_failed'], ['failed', 'validation_failed'], ['succeeded', null]]);
    assert.ok(job!.calls.every((call) => call.clientCostNanos > 0), 'every attempt is metered');
    assert.equal(job!.clientCostNanos, job!.calls.reduce((sum, call) => sum + call.clientCostNanos, 0));
    assert.equal(response.headers.get('x-call-id'), job!.calls[2]!.callId);
  });

  test('validate with max_retries 1 against two invalid answers: 422 validation_failed naming the errors', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { invalid_json_first_n: 2 } }] });
    const failure = await clientOf(tenant).chat.completions.create({
      model: tenant.group, messages: [{ role: 'user', content: 'Facts about Oslo' }], response_format: zodResponseFormat(cityFacts, 'city_facts'),
      ...({ validate: { max_retries: 1 } } as object),
    }).catch((error: unknown) => error);
    assert.ok(failure instanceof OpenAI.UnprocessableEntityError, String(failure));
    assert.equal(failure.status, 422);
    assert.equal((failure.error as { code?: string }).code, 'validation_failed');
    assert.match(failure.message, /does not match the JSON schema 'city_facts' \(after 2 attempts\): the root value must have required property 'city'/);
    assert.deepEqual((failure.error as { errors?: string[] }).errors, ["the root value must have required property 'city'"]);
    assert.equal(failure.headers.get('x-structured-attempts'), '2');
    const [job] = await teamJobs(gateway, tenant.teamId);
    assert.equal(job!.status, 'failed');
    assert.equal(job!.calls.length, 2);
    assert.ok(job!.calls.every((call) => call.status === 'failed' && call.errorCode === 'validation_failed' && call.clientCostNanos > 0));
  });
});
