import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StructuredOutputError, z, type StructuredStreamEvent } from '@saas-llm/sdk';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant } from './helpers/tenant-factory.ts';
import { clientFor } from './helpers/sdk-fixtures.ts';

/** The seed's Person model: `age` and `occupation` are Optional with a None default. */
const Person = z.object({
  name: z.string().describe('Full name of the person'),
  age: z.number().int().nullable().default(null).describe('Age in years'),
  occupation: z.string().nullable().default(null).describe('Job or occupation'),
}).meta({ title: 'Person' });

const Sentiment = z.object({
  sentiment: z.enum(['positive', 'negative', 'neutral']),
  confidence: z.number().min(0).max(1),
  key_phrases: z.array(z.string()).max(3).default([]),
});

const extract = [
  { role: 'system' as const, content: 'Extract person information from the text. Return only valid JSON.' },
  { role: 'user' as const, content: 'John Smith is a 35-year-old software engineer.' },
];

interface RecordedRequest {
  messages: Array<{ role: string; content: string }>;
  response_format: { type: string; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } };
}

/**
 * Instructor-style structured outputs through the real gateway: the zod schema travels as `json_schema`,
 * answers are validated, and a wrong answer (the mock's `invalid_json_first_n`) is re-asked with the
 * validation errors — every attempt a billed call of the same job.
 */
describe('SaaSLLMClient: structured outputs', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('the schema goes out as json_schema and the answer comes back typed and validated', async () => {
    const tenant = await createTenant(gateway);
    const client = clientFor(gateway, tenant);
    const { job_id: jobId } = await client.createJob('structured');
    const person = await client.structuredOutput({ model_group: tenant.group, messages: extract, responseModel: Person, temperature: 0.3, purpose: 'extract_person' });
    assert.equal(typeof person.name, 'string');
    assert.ok(person.age === null || Number.isInteger(person.age));
    assert.ok(Person.safeParse(person).success);
    const sentiment = await client.structuredOutput({ model_group: tenant.group, messages: [{ role: 'user', content: 'Analyze: I love it' }], responseModel: Sentiment, name: 'SentimentAnalysis' });
    assert.ok(['positive', 'negative', 'neutral'].includes(sentiment.sentiment));
    assert.ok(sentiment.confidence >= 0 && sentiment.confidence <= 1);

    const costs = await client.getJobCosts(jobId);
    const first = await client.getCall(jobId, costs.costs.breakdown[0]!.call_id);
    const sent = first.request as RecordedRequest;
    assert.equal(sent.response_format.type, 'json_schema');
    assert.equal(sent.response_format.json_schema.name, 'Person');
    assert.equal(sent.response_format.json_schema.strict, true);
    // (jsonb storage reorders keys, so compare them sorted)
    assert.deepEqual(Object.keys(sent.response_format.json_schema.schema['properties'] as object).sort(), ['age', 'name', 'occupation']);
    assert.deepEqual(sent.response_format.json_schema.schema['required'], ['name'], 'defaulted fields are optional, as in the seed');
    assert.equal(sent.response_format.json_schema.schema['$schema'], undefined);
    assert.equal(first.purpose, 'extract_person');
    await client.completeJob({ jobId, result: person });
  });

  test('a wrong first answer is re-asked with the validation errors and succeeds; both attempts are billed to the job', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { invalid_json_first_n: 1 } }] });
    const client = clientFor(gateway, tenant);
    const { job_id: jobId } = await client.createJob('re-ask');
    const person = await client.structuredOutput({ model_group: tenant.group, messages: extract, responseModel: Person, purpose: 'extract_person' });
    assert.ok(Person.safeParse(person).success);

    const costs = await client.getJobCosts(jobId);
    assert.equal(costs.costs.breakdown.length, 2, 'two calls in the job');
    for (const call of costs.costs.breakdown) assert.ok(call.cost_usd > 0 && call.completion_tokens > 0, 'each attempt is billed');
    assert.ok(Math.abs(costs.costs.total_cost_usd - costs.costs.breakdown.reduce((sum, call) => sum + call.cost_usd, 0)) < 1e-9);
    // The re-ask carries the rejected answer and what was wrong with it (the mock dropped `name`).
    const reask = await client.getCall(jobId, costs.costs.breakdown[1]!.call_id);
    const messages = (reask.request as RecordedRequest).messages;
    assert.equal(messages.length, extract.length + 2);
    assert.equal(messages.at(-2)?.role, 'assistant');
    assert.equal(messages.at(-1)?.role, 'user');
    assert.match(messages.at(-1)!.content, /name: Invalid input/);

    const closed = await client.completeJob({ jobId, result: person });
    assert.equal(closed.costs.total_calls, 2);
    assert.deepEqual(closed.calls.map((call) => call.status), ['succeeded', 'succeeded']);
  });

  test('when every attempt fails, StructuredOutputError holds each answer and its problems; every attempt was a call', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { invalid_json_first_n: 10 } }] });
    const client = clientFor(gateway, tenant);
    const { job_id: jobId } = await client.createJob('gives-up');
    await assert.rejects(client.structuredOutput({ model_group: tenant.group, messages: extract, responseModel: Person, maxRetries: 0 }), (error) => {
      assert.ok(error instanceof StructuredOutputError);
      assert.equal(error.attempts.length, 1);
      return true;
    });
    await assert.rejects(client.structuredOutput({ model_group: tenant.group, messages: extract, responseModel: Person, maxRetries: 2 }), (error) => {
      assert.ok(error instanceof StructuredOutputError);
      assert.equal(error.code, 'structured_output_invalid');
      assert.equal(error.attempts.length, 3);
      for (const attempt of error.attempts) {
        assert.match(attempt.issues.join('\n'), /name/);
        assert.match(attempt.callId ?? '', /^[0-9a-f-]{36}$/);
      }
      return true;
    });
    assert.equal((await client.getJob(jobId)).costs.total_calls, 4);
  });

  test('structuredOutputStream yields growing partial objects, then the validated object; a wrong streamed answer is re-asked', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { invalid_json_first_n: 1, tokens_per_second: 500 } }] });
    const client = clientFor(gateway, tenant);
    await client.withJob('stream-structured', async (job) => {
      const events: StructuredStreamEvent<z.output<typeof Person>>[] = [];
      for await (const event of job.structuredOutputStream({ model_group: tenant.group, messages: extract, responseModel: Person })) events.push(event);

      const retryAt = events.findIndex((event) => event.type === 'retry');
      assert.ok(retryAt > 0, 'the first, invalid answer streamed, then a retry');
      const retry = events[retryAt]!;
      assert.ok(retry.type === 'retry' && retry.attempt === 1 && retry.issues.some((issue) => issue.startsWith('name:')));
      const final = events.at(-1)!;
      assert.ok(final.type === 'final');
      assert.equal(final.attempt, 1);
      assert.ok(Person.safeParse(final.value).success);

      const partials = events.slice(retryAt + 1, -1);
      assert.ok(partials.length >= 5, `${partials.length} partial events`);
      const text = partials.map((event) => (event.type === 'partial' ? event.delta : '')).join('');
      assert.deepEqual(JSON.parse(text), final.value, 'the deltas add up to the validated JSON');
      // Partial objects only ever grow towards the final one: keys appear in order, strings extend.
      let fieldsSeen = 0;
      for (const event of partials) {
        assert.ok(event.type === 'partial');
        const partial = (event.partial ?? {}) as Record<string, unknown>;
        const keys = Object.keys(partial);
        assert.ok(keys.length >= fieldsSeen);
        fieldsSeen = keys.length;
        for (const key of keys) {
          const value = partial[key];
          const finalValue: unknown = (final.value as Record<string, unknown>)[key];
          if (typeof value === 'string') assert.ok(typeof finalValue === 'string' && finalValue.startsWith(value), `${key}: ${value}`);
          else assert.deepEqual(value, finalValue);
        }
      }
      const costs = await job.costs();
      assert.equal(costs.costs.breakdown.length, 2, 'both streamed attempts are calls of the job');
      assert.equal(final.callId, costs.costs.breakdown[1]!.call_id);
    });
  });
});
