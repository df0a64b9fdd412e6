import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateObject, generateText, streamText } from 'ai';
import { z } from 'zod';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant, ledgerState, type Tenant } from './helpers/tenant-factory.ts';
import { assertAutomaticJobsCharged, teamJobs } from './helpers/v1-metering.ts';

/*
 * The Vercel AI SDK (`ai` v6 with `@ai-sdk/openai-compatible`), unmodified, pointed at the gateway's /v1.
 * The provider is declared as the gateway is: it reports usage in streams and honours json_schema
 * structured outputs on every model (`includeUsage`, `supportsStructuredOutputs`).
 */

const recipe = z.object({
  title: z.string(),
  servings: z.number().int().min(1),
  ingredients: z.array(z.object({ name: z.string(), grams: z.number().min(0).nullable() })),
  vegetarian: z.boolean(),
});

describe('/v1 with the Vercel AI SDK', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  const providerOf = (tenant: Tenant, headers: Record<string, string> = {}) => createOpenAICompatible({
    name: 'saas-llm', baseURL: `${gateway.url}/v1`, apiKey: tenant.key, headers, includeUsage: true, supportsStructuredOutputs: true,
  });

  test('generateText: the answer and its usage; one automatic job, completed and charged', async () => {
    const tenant = await createTenant(gateway);
    const result = await generateText({ model: providerOf(tenant)(tenant.group), prompt: 'What is the capital of Japan?', maxRetries: 0 });
    assert.equal(result.text, 'The capital of Japan is Tokyo.');
    assert.equal(result.finishReason, 'stop');
    assert.ok((result.usage.totalTokens ?? 0) > 0);
    const [job] = await assertAutomaticJobsCharged(gateway, tenant, { jobs: 1 });
    assert.equal(job!.calls[0]!.totalTokens, result.usage.totalTokens);
    assert.equal(result.response.headers?.['x-job-id'], job!.jobId);
  });

  test('streamText: text deltas as they come, usage at the end, metered as a streamed call', async () => {
    const tenant = await createTenant(gateway);
    const result = streamText({ model: providerOf(tenant, { 'x-job-type': 'drafting' })(tenant.group), prompt: 'Write a few sentences about tides', maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    assert.ok(deltas.length > 5, `received ${deltas.length} deltas`);
    const usage = await result.usage;
    assert.ok((usage.outputTokens ?? 0) > 0);
    assert.equal(await result.text, deltas.join(''));
    const [job] = await assertAutomaticJobsCharged(gateway, tenant, { jobs: 1, jobType: 'drafting', streamed: 1 });
    assert.equal(job!.calls[0]!.totalTokens, usage.totalTokens);
  });

  test('generateObject with a zod schema: a valid object through json_schema structured outputs', async () => {
    const tenant = await createTenant(gateway);
    const { object, usage } = await generateObject({
      model: providerOf(tenant)(tenant.group), schema: recipe, schemaName: 'recipe', prompt: 'A simple pancake recipe', maxRetries: 0,
    });
    assert.equal(recipe.safeParse(object).success, true, JSON.stringify(object));
    assert.ok((usage.totalTokens ?? 0) > 0);
    const [job] = await assertAutomaticJobsCharged(gateway, tenant, { jobs: 1 });
    const call = await gateway.request(`/api/jobs/${job!.jobId}/calls/${job!.calls[0]!.callId}`, { headers: tenant.auth });
    assert.equal(call.body.request.response_format.type, 'json_schema');
  });

  test('a consumption_tokens team is charged by tokens: max(1, floor(total tokens / tokens_per_credit)) per job', async () => {
    const tenant = await createTenant(gateway, { budgetMode: 'consumption_tokens', team: { tokens_per_credit: 20 } });
    const model = providerOf(tenant)(tenant.group);
    // Each call holds its worst case (prompt + max output tokens) before the upstream is contacted: bounded here.
    await generateText({ model, prompt: 'Tell me about the history of paper in a few sentences', maxOutputTokens: 200, maxRetries: 0 });
    const streamed = streamText({ model, prompt: 'And about ink', maxOutputTokens: 200, maxRetries: 0 });
    await streamed.consumeStream();
    await streamed.usage;
    const jobs = await teamJobs(gateway, tenant.teamId);
    assert.equal(jobs.length, 2);
    let charged = 0;
    for (const job of jobs) {
      assert.equal(job.status, 'completed');
      assert.ok(job.totalTokens > 0);
      assert.equal(job.creditsCharged, Math.max(1, Math.floor(job.totalTokens / 20)) * 1_000_000);
      charged += job.creditsCharged;
    }
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.remainingMicro, 100_000_000 - charged);
    assert.equal(state.ledgerSumMicro, state.remainingMicro);
    assert.equal(state.reservedMicro, 0);
  });
});
