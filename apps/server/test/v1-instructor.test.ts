import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Instructor from '@instructor-ai/instructor';
import OpenAI from 'openai';
// Instructor 1.x builds its JSON Schema with zod-to-json-schema and streams partials with schema-stream,
// both written against zod 3's internals: its response models are zod 3 schemas (zod 4 ships them as `zod/v3`).
import { z } from 'zod/v3';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant, type Tenant } from './helpers/tenant-factory.ts';
import { assertAutomaticJobsCharged, teamJobs } from './helpers/v1-metering.ts';

/*
 * `@instructor-ai/instructor`, unmodified, over the official openai SDK pointed at the gateway's /v1:
 * TOOLS mode (a forced function call) and JSON_SCHEMA mode (`response_format: {type: "json_object",
 * schema}`, which the gateway turns into a json_schema every provider honours), whole and as streamed partials.
 */

const ExtractedUser = z.object({
  name: z.string().describe('The full name of the user'),
  age: z.number().int().min(0).max(150),
  email: z.string(),
  tags: z.array(z.string()),
});

const messages = [{ role: 'user' as const, content: 'Jason Bourne is 34 years old, reachable at jason@example.com; tags: spy, amnesia.' }];

describe('/v1 with Instructor', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  const instructorOf = (tenant: Tenant, mode: 'TOOLS' | 'JSON_SCHEMA') =>
    Instructor({ client: new OpenAI({ apiKey: tenant.key, baseURL: `${gateway.url}/v1` }), mode });

  for (const mode of ['TOOLS', 'JSON_SCHEMA'] as const) {
    test(`${mode} mode: a validated object, metered in an automatic job`, async () => {
      const tenant = await createTenant(gateway);
      const user = await instructorOf(tenant, mode).chat.completions.create({
        model: tenant.group, messages, response_model: { schema: ExtractedUser, name: 'ExtractedUser' }, max_retries: 0,
      });
      const { _meta: meta, ...fields } = user as typeof user & { _meta?: { usage?: { total_tokens?: number } } };
      assert.equal(ExtractedUser.safeParse(fields).success, true, JSON.stringify(fields));
      assert.ok((meta?.usage?.total_tokens ?? 0) > 0, 'Instructor saw the usage the gateway reported');
      const [job] = await assertAutomaticJobsCharged(gateway, tenant, { jobs: 1 });
      const call = await gateway.request(`/api/jobs/${job!.jobId}/calls/${job!.calls[0]!.callId}`, { headers: tenant.auth });
      if (mode === 'TOOLS') assert.equal(call.body.request.tool_choice.function.name, 'ExtractedUser');
      // JSON_SCHEMA's `{type: "json_object", schema}` went upstream as OpenAI's json_schema.
      else assert.equal(call.body.request.response_format.type, 'json_schema');
    });

    test(`${mode} mode, streaming: partial objects grow until the complete, valid one`, async () => {
      const tenant = await createTenant(gateway);
      const stream = await instructorOf(tenant, mode).chat.completions.create({
        model: tenant.group, messages, response_model: { schema: ExtractedUser, name: 'ExtractedUser' }, stream: true,
      });
      const partials: Array<Partial<z.infer<typeof ExtractedUser>>> = [];
      for await (const partial of stream) partials.push(JSON.parse(JSON.stringify(partial)) as Partial<z.infer<typeof ExtractedUser>>);
      assert.ok(partials.length > 3, `streamed ${partials.length} partials`);
      const namesSeen = new Set(partials.map((partial) => partial.name).filter((name) => typeof name === 'string' && name.length > 0));
      assert.ok(namesSeen.size > 1, 'the name arrived in pieces');
      const { _meta: meta, ...last } = partials.at(-1)! as Record<string, unknown>;
      void meta;
      assert.equal(ExtractedUser.safeParse(last).success, true, JSON.stringify(last));
      const [job] = await assertAutomaticJobsCharged(gateway, tenant, { jobs: 1, streamed: 1 });
      assert.ok(job!.calls[0]!.totalTokens > 0);
    });
  }

  test('x-job-id groups several Instructor calls in one job; completing it charges once', async () => {
    const tenant = await createTenant(gateway);
    const opened = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'extraction' } });
    const client = Instructor({
      client: new OpenAI({ apiKey: tenant.key, baseURL: `${gateway.url}/v1`, defaultHeaders: { 'x-job-id': opened.body.job_id } }), mode: 'TOOLS',
    });
    for (const content of ['Ann is 30, ann@example.com', 'Bob is 41, bob@example.com']) {
      await client.chat.completions.create({ model: tenant.group, messages: [{ role: 'user', content }], response_model: { schema: ExtractedUser, name: 'ExtractedUser' } });
    }
    const [job] = await teamJobs(gateway, tenant.teamId);
    assert.equal(job!.calls.length, 2);
    const closed = await gateway.request(`/api/jobs/${opened.body.job_id}/complete`, { headers: tenant.auth, body: { status: 'completed' } });
    assert.equal(closed.body.costs.total_calls, 2);
    assert.equal(closed.body.costs.credits_charged, 1);
    assert.equal(closed.body.costs.credits_remaining, 99);
  });
});
