import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant } from './helpers/tenant-factory.ts';
import { readSse } from './helpers/sse.ts';
import { teamJobs } from './helpers/v1-metering.ts';

/* Gateway-side validation of structured outputs on the job API: `validate`, re-asks, metering, streams. */

// As Pydantic v2 emits it: $defs/$ref, anyOf with null for optional fields, default, title, numeric bounds.
const pydanticInvoice = {
  $defs: {
    LineItem: {
      properties: { description: { title: 'Description', type: 'string' }, quantity: { minimum: 1, title: 'Quantity', type: 'integer' }, unit_price: { minimum: 0, title: 'Unit Price', type: 'number' } },
      required: ['description', 'quantity', 'unit_price'], title: 'LineItem', type: 'object',
    },
  },
  properties: {
    invoice_number: { title: 'Invoice Number', type: 'string' },
    customer: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Customer' },
    items: { items: { $ref: '#/$defs/LineItem' }, title: 'Items', type: 'array' },
  },
  required: ['invoice_number', 'items'], title: 'Invoice', type: 'object',
};

const jsonSchema = (schema: object, name = 'Invoice') => ({ type: 'json_schema', json_schema: { name, schema, strict: true } });
const ask = (content: string, extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content }], response_format: jsonSchema(pydanticInvoice), ...extra });

describe('structured outputs validated at the gateway (job API)', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  async function openJob(auth: Record<string, string>) {
    const job = await gateway.request('/api/jobs/create', { headers: auth, body: { job_type: 'extraction' } });
    assert.equal(job.status, 200);
    return job.body.job_id as string;
  }

  test('two invalid answers, max_retries 2: re-asked with the errors, the third is valid; three metered calls; metadata.attempts 3', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { invalid_json_first_n: 2 } }] });
    const jobId = await openJob(tenant.auth);
    const call = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('Invoice 42 for ACME', { validate: { max_retries: 2 }, call_metadata: { extracted: true } }) } });
    assert.equal(call.status, 200, JSON.stringify(call.body));
    const invoice = JSON.parse(call.body.choices[0].message.content);
    assert.equal(typeof invoice.invoice_number, 'string');
    assert.equal(call.body.metadata.attempts, 3);
    assert.equal(call.body.metadata.structured_attempts, 3);
    const [job] = await teamJobs(gateway, tenant.teamId);
    assert.deepEqual(job!.calls.map((attempt) => [attempt.status, attempt.errorCode]), [['failed', 'validation_failed'], ['failed', 'validation_failed'], ['succeeded', null]]);
    assert.equal(call.body.call_id, job!.calls[2]!.callId);
    assert.equal(call.headers.get('x-call-id'), job!.calls[2]!.callId);
    // The tenant pays for every attempt, and the response says so.
    const totalNanos = job!.calls.reduce((sum, attempt) => sum + attempt.clientCostNanos, 0);
    assert.ok(job!.calls.every((attempt) => attempt.clientCostNanos > 0));
    assert.ok(Math.abs(call.body.metadata.cost_usd - totalNanos / 1e9) < 1e-9);
    // The re-ask carried the bad answer and the validation errors.
    const second = await gateway.request(`/api/jobs/${jobId}/calls/${job!.calls[1]!.callId}`, { headers: tenant.auth });
    const messages = second.body.request.messages as Array<{ role: string; content: string }>;
    assert.deepEqual(messages.map((message) => message.role), ['user', 'assistant', 'user']);
    assert.match(messages[2]!.content, /does not match the JSON schema 'Invoice':\n- the root value must have required property 'invoice_number'/);
    assert.equal(second.body.error.code, 'validation_failed');
    // call_metadata is merged once, by the accepted answer.
    const read = await gateway.request(`/api/jobs/${jobId}`, { headers: tenant.auth });
    assert.deepEqual(read.body.metadata, { extracted: true });
    assert.equal(read.body.costs.failed_calls, 2);
  });

  test('two invalid answers, max_retries 1: 422 validation_failed with the errors; both attempts metered, the job stays open', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { invalid_json_first_n: 2 } }] });
    const jobId = await openJob(tenant.auth);
    const call = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('Invoice 7', { validate: { max_retries: 1 } }) } });
    assert.equal(call.status, 422);
    assert.equal(call.body.error.code, 'validation_failed');
    assert.equal(call.body.error.param, 'response_format');
    assert.match(call.body.error.message, /does not match the JSON schema 'Invoice' \(after 2 attempts\): the root value must have required property 'invoice_number'/);
    assert.deepEqual(call.body.error.errors, ["the root value must have required property 'invoice_number'"]);
    assert.equal(call.body.error.attempts, 2);
    assert.equal(call.body.detail, call.body.error.message);
    const [job] = await teamJobs(gateway, tenant.teamId);
    assert.equal(job!.status, 'in_progress');
    assert.deepEqual(call.body.error.call_ids, job!.calls.map((attempt) => attempt.callId));
    assert.ok(job!.calls.length === 2 && job!.calls.every((attempt) => attempt.clientCostNanos > 0));
  });

  test('validate: true re-asks twice by default', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { invalid_json_first_n: 3 } }] });
    const jobId = await openJob(tenant.auth);
    const call = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('Invoice 8', { validate: true }) } });
    assert.equal(call.status, 422);
    assert.equal(call.body.error.attempts, 3);
    const valid = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('Invoice 9', { validate: true }) } });
    assert.equal(valid.status, 200);
    assert.equal(valid.body.metadata.structured_attempts, 1);
  });

  test('refused before anything is metered: validate without a json_schema, or with a schema that cannot compile', async () => {
    const tenant = await createTenant(gateway);
    const jobId = await openJob(tenant.auth);
    const noSchema = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, messages: [{ role: 'user', content: 'x' }], validate: true } });
    assert.equal(noSchema.status, 400);
    assert.equal(noSchema.body.error.param, 'validate');
    const broken = await gateway.request(`/api/jobs/${jobId}/llm-call`, {
      headers: tenant.auth, body: { model: tenant.group, ...ask('x', { validate: true, response_format: jsonSchema({ type: 'object', properties: { a: { $ref: '#/$defs/Missing' } } }) }) },
    });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.param, 'response_format.json_schema.schema');
    assert.match(broken.body.error.message, /Missing/);
    const badOption = await gateway.request(`/api/jobs/${jobId}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('x', { validate: { max_retries: 99 } }) } });
    assert.equal(badOption.status, 400);
    assert.equal(badOption.body.error.param, 'validate.max_retries');
    const [job] = await teamJobs(gateway, tenant.teamId);
    assert.equal(job!.calls.length, 0);
  });

  test('streaming with validate: chunks flow unbuffered; an invalid answer ends with the final frame, then a validation_failed error frame', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { invalid_json_first_n: 1 } }] });
    const jobId = await openJob(tenant.auth);
    const stream = () => fetch(`${gateway.url}/api/jobs/${jobId}/llm-call-stream`, {
      method: 'POST', headers: { ...tenant.auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: tenant.group, ...ask('Invoice 3', { validate: { max_retries: 2 } }) }),
    });
    const invalid = await stream();
    assert.equal(invalid.status, 200);
    const { frames } = await readSse(invalid);
    assert.equal(frames.at(-1), '[DONE]');
    const payloads = frames.slice(0, -1).map((frame) => JSON.parse(frame));
    const error = payloads.at(-1);
    assert.equal(error.error.code, 'validation_failed');
    assert.deepEqual(error.error.errors, ["the root value must have required property 'invoice_number'"]);
    const final = payloads.at(-2);
    assert.deepEqual(final.choices, []);
    assert.ok(final.usage.completion_tokens > 0);
    assert.equal(final.metadata.structured_attempts, 1);
    const text = payloads.slice(0, -2).map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
    assert.ok(text.startsWith('{'), 'the answer itself was streamed as it came');
    const valid = await readSse(await stream());
    const validPayloads = valid.frames.slice(0, -1).map((frame) => JSON.parse(frame));
    assert.ok(validPayloads.every((payload) => !payload.error));
    assert.equal(validPayloads.at(-1).metadata.structured_attempts, 1);
    const [job] = await teamJobs(gateway, tenant.teamId);
    assert.deepEqual(job!.calls.map((call) => [call.status, call.errorCode, call.stream]), [['failed', 'validation_failed', true], ['succeeded', null, true]]);
    assert.ok(job!.calls[0]!.clientCostNanos > 0, 'the invalid streamed answer is metered');
  });

  test('create-and-call with validate: the re-asked call completes and charges its job once', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { invalid_json_first_n: 1 } }] });
    const call = await gateway.request('/api/jobs/create-and-call', { headers: tenant.auth, body: { job_type: 'one-shot', model: tenant.group, ...ask('Invoice 5', { validate: true }) } });
    assert.equal(call.status, 200, JSON.stringify(call.body));
    assert.equal(call.body.status, 'completed');
    assert.equal(call.body.metadata.structured_attempts, 2);
    assert.equal(call.body.costs.total_calls, 2);
    assert.equal(call.body.costs.credits_charged, 1);
  });
});
