import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant } from './helpers/tenant-factory.ts';

/**
 * The seed's typed_client.py, replayed with raw HTTP: the same bodies, and the same parsing rules its
 * Pydantic models apply (02-client-api.md, "Seed client compatibility").
 */
describe('seed typed_client.py compatibility', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  const isStr = (value: unknown) => typeof value === 'string';
  const isInt = (value: unknown) => Number.isInteger(value);

  function assertChatResponse(body: any) {
    assert.ok(isStr(body.id) && isStr(body.object) && isInt(body.created) && isStr(body.model), 'id, object, created, model');
    assert.ok(Array.isArray(body.choices));
    for (const choice of body.choices) {
      assert.ok(isInt(choice.index));
      assert.ok(choice.message === undefined || choice.message === null || typeof choice.message === 'object');
      assert.ok(choice.finish_reason === null || choice.finish_reason === undefined || isStr(choice.finish_reason));
    }
    if (body.usage !== null && body.usage !== undefined) {
      for (const field of ['prompt_tokens', 'completion_tokens', 'total_tokens']) assert.ok(isInt(body.usage[field]), field);
    }
  }

  test('create → llm-call → llm-call-stream → structured output → complete', async () => {
    const tenant = await createTenant(gateway);
    const headers = { ...tenant.auth, 'content-type': 'application/json' };
    const post = (path: string, body: unknown) => fetch(gateway.url + path, { method: 'POST', headers, body: JSON.stringify(body) });

    const created = await post('/api/jobs/create', { team_id: tenant.teamId, job_type: 'chat', metadata: { source: 'seed' } });
    assert.ok(created.status >= 200 && created.status < 300);
    const job = await created.json() as Record<string, unknown>;
    for (const field of ['job_id', 'team_id', 'status', 'created_at']) assert.ok(isStr(job[field]), field);

    const call = await post(`/api/jobs/${job.job_id}/llm-call`, {
      model_group: tenant.group, messages: [{ role: 'user', content: 'What is the capital of France?' }], temperature: 0.7,
      max_tokens: 50, top_p: 1, frequency_penalty: 0, presence_penalty: 0, stop: ['\n\n\n'], purpose: 'question',
    });
    assert.ok(call.status >= 200 && call.status < 300);
    const answer = await call.json() as any;
    assertChatResponse(answer);
    assert.equal(typeof answer.choices[0].message.content, 'string');
    assert.ok(answer.choices[0].message.content.length > 0);

    const streamed = await post(`/api/jobs/${job.job_id}/llm-call-stream`, { model_group: tenant.group, messages: [{ role: 'user', content: 'Tell me a story' }], temperature: 0.7 });
    assert.equal(streamed.status, 200);
    const text = await streamed.text();
    let content = '';
    let done = false;
    for (const line of text.split('\n')) {
      if (!line.startsWith('data: ')) continue;
      const data = line.slice(6);
      if (data === '[DONE]') { done = true; break; }
      const chunk = JSON.parse(data);
      assert.ok(!('error' in chunk), 'no error frame');
      assertChatResponse(chunk);
      const delta = chunk.choices[0]?.delta;
      if (delta && typeof delta.content === 'string') content += delta.content;
    }
    assert.ok(done);
    assert.ok(content.length > 0);

    const schema = {
      title: 'Person', type: 'object',
      properties: { name: { title: 'Name', type: 'string' }, age: { title: 'Age', type: 'integer', minimum: 0, maximum: 150 }, email: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Email' } },
      required: ['name', 'age'],
    };
    const structured = await post(`/api/jobs/${job.job_id}/llm-call`, {
      model_group: tenant.group, messages: [{ role: 'user', content: 'Extract: John Doe, 30' }], temperature: 0.7,
      response_format: { type: 'json_schema', json_schema: { name: 'Person', schema, strict: true } },
    });
    assert.equal(structured.status, 200);
    const person = JSON.parse((await structured.json() as any).choices[0].message.content);
    assert.equal(typeof person.name, 'string');
    assert.ok(Number.isInteger(person.age) && person.age >= 0 && person.age <= 150);

    const completed = await post(`/api/jobs/${job.job_id}/complete`, { status: 'completed', result: { ok: true } });
    assert.ok(completed.status >= 200 && completed.status < 300);
    const summary = await completed.json() as any;
    assert.equal(summary.costs.total_calls, 3);
    assert.equal(summary.costs.successful_calls, 3);
  });
});
