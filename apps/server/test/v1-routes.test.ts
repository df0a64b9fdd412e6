import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant, ledgerState } from './helpers/tenant-factory.ts';
import { readSse } from './helpers/sse.ts';
import { teamJobs } from './helpers/v1-metering.ts';

/* The /v1 surface's own rules, over raw HTTP where a client library would hide them. */

const schemaFormat = {
  type: 'json_schema',
  json_schema: { name: 'answer', strict: true, schema: { type: 'object', properties: { answer: { type: 'string' }, confidence: { type: 'number' } }, required: ['answer', 'confidence'], additionalProperties: false } },
};

describe('/v1 surface', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('job headers: a malformed x-job-id or x-job-type is a 400 naming the header, and opens no job', async () => {
    const tenant = await createTenant(gateway);
    const body = { model: tenant.group, messages: [{ role: 'user', content: 'hi' }] };
    const badId = await gateway.request('/v1/chat/completions', { headers: { ...tenant.auth, 'x-job-id': 'not-a-uuid' }, body });
    assert.equal(badId.status, 400);
    assert.equal(badId.body.error.param, 'x-job-id');
    const badType = await gateway.request('/v1/chat/completions', { headers: { ...tenant.auth, 'x-job-type': 'x'.repeat(101) }, body });
    assert.equal(badType.status, 400);
    assert.equal(badType.body.error.param, 'x-job-type');
    assert.equal((await teamJobs(gateway, tenant.teamId)).length, 0);
    // x-api-key authenticates like the bearer token; the OpenAI `user` becomes the automatic job's user_id.
    const ok = await gateway.request('/v1/chat/completions', { headers: { 'x-api-key': tenant.key }, body: { ...body, user: 'end-user-7' } });
    assert.equal(ok.status, 200);
    const job = await gateway.request(`/api/jobs/${ok.headers.get('x-job-id')}`, { headers: tenant.auth });
    assert.equal(job.body.user_id, 'end-user-7');
    assert.equal(job.body.status, 'completed');
  });

  test('a /v1 stream with validate whose answer is invalid: the SDK raises the validation_failed error frame; the job closes failed, unbilled', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { invalid_json_first_n: 1 } }] });
    const client = new OpenAI({ apiKey: tenant.key, baseURL: `${gateway.url}/v1` });
    const { data: stream, response } = await client.chat.completions.create({
      model: tenant.group, messages: [{ role: 'user', content: 'Answer in JSON' }], stream: true,
      response_format: schemaFormat as OpenAI.ResponseFormatJSONSchema, ...({ validate: true } as object),
    }).withResponse();
    assert.equal(response.headers.get('x-structured-attempts'), '1');
    let streamed = '';
    const failure = await (async () => {
      for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
      return null;
    })().catch((error: unknown) => error);
    assert.ok(failure instanceof OpenAI.APIError, String(failure));
    assert.match(failure.message, /does not match the JSON schema 'answer'.*required property 'answer'/);
    assert.ok(streamed.length > 0, 'the answer was streamed before it was judged');
    const [job] = await teamJobs(gateway, tenant.teamId);
    assert.equal(job!.status, 'failed');
    assert.equal(job!.calls[0]!.errorCode, 'validation_failed');
    assert.ok(job!.calls[0]!.clientCostNanos > 0);
    assert.equal(job!.creditsCharged, 0);
    assert.equal((await ledgerState(gateway, tenant.teamId)).reservedMicro, 0);
  });

  test('a client that disconnects mid-stream: the upstream is aborted, the call metered as cancelled, the automatic job closed', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { tokens_per_second: 50 } }] });
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST', signal: controller.signal, headers: { ...tenant.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: tenant.group, stream: true, max_tokens: 2000, messages: [{ role: 'user', content: 'Write a long essay about rivers' }] }),
    });
    const jobId = response.headers.get('x-job-id')!;
    const reader = response.body!.getReader();
    for (let received = 0; received < 3; received += 1) await reader.read();
    controller.abort();
    let status = 'in_progress';
    for (let tries = 0; tries < 200 && (status === 'in_progress' || status === 'pending'); tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await gateway.request(`/api/jobs/${jobId}`, { headers: tenant.auth })).body.status;
    }
    assert.equal(status, 'failed');
    const [job] = await teamJobs(gateway, tenant.teamId);
    assert.equal(job!.calls[0]!.status, 'cancelled');
    assert.ok(job!.calls[0]!.totalTokens > 0 && job!.calls[0]!.totalTokens < 2000);
    assert.equal((await ledgerState(gateway, tenant.teamId)).reservedMicro, 0);
  });

  test('an upstream failure before the first chunk is a JSON error with its status; the automatic job is closed failed', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { fail_first_n: 100, fail_status: 500 } }] });
    const answer = await gateway.request('/v1/chat/completions', { headers: tenant.auth, body: { model: tenant.group, stream: true, messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(answer.status, 502);
    assert.equal(answer.body.error.code, 'upstream_error');
    const [job] = await teamJobs(gateway, tenant.teamId);
    assert.equal(job!.status, 'failed');
    assert.equal(job!.jobId, answer.headers.get('x-job-id'));
  });

  test('the final stream frame is an OpenAI chunk with usage and the ids; [DONE] ends it', async () => {
    const tenant = await createTenant(gateway);
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: tenant.group, stream: true, messages: [{ role: 'user', content: 'hello' }] }),
    });
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const { frames } = await readSse(response);
    assert.equal(frames.at(-1), '[DONE]');
    const final = JSON.parse(frames.at(-2)!);
    assert.equal(final.object, 'chat.completion.chunk');
    assert.deepEqual(final.choices, []);
    assert.equal(final.call_id, response.headers.get('x-call-id'));
    assert.equal(final.job_id, response.headers.get('x-job-id'));
    assert.ok(final.usage.total_tokens > 0);
  });
});
