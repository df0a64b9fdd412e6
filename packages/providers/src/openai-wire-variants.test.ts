import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatCompletionRequest } from '@saas-llm/protocol';
import { FakeOpenAIServer } from '@saas-llm/testkit';
import { collect, useFakeUpstream } from './adapter-test-support.ts';
import { createAzureOpenAIAdapter, createOpenAIAdapter } from './openai-adapter.ts';
import type { DeploymentTarget } from './provider-adapter.ts';
import { UpstreamError } from './upstream-error.ts';

const API_KEY = 'azure-key-0123456789abcdef0123456789abcdef';
const ORDER_SCHEMA = {
  type: 'object',
  properties: { id: { type: 'string' }, qty: { type: 'integer', default: 1 }, address: { type: 'object', properties: { street: { type: 'string' }, zip: { type: 'string' } }, required: ['street'] } },
  required: ['id', 'address'],
};
const ANSWER_WITH_NULLS = '{"id": "1", "qty": null, "address": {"street": "Main", "zip": null}}';

const request = (extra: Record<string, unknown> = {}): ChatCompletionRequest => ({ model: 'chat', messages: [{ role: 'user', content: 'Order?' }], ...extra }) as ChatCompletionRequest;
const strictFormat = (schema: Record<string, unknown>) => ({ response_format: { type: 'json_schema', json_schema: { name: 'Order', strict: true, schema } } });

describe('OpenAI wire variants against the fake OpenAI server', () => {
  const upstream = useFakeUpstream(() => FakeOpenAIServer.start({ apiKey: API_KEY }), { provider: 'openai', model: 'gpt-4o-mini', apiKey: API_KEY });

  it('Azure: deployment URL with api-version, the key in api-key (not Authorization), OpenAI bytes passed through', async () => {
    const azure: DeploymentTarget = { ...upstream.target, provider: 'azure', model: 'my-gpt4o', apiBase: upstream.fake.url, apiVersion: '2024-10-21' };
    const result = await createAzureOpenAIAdapter(upstream.pools).complete(request(), azure);
    const events = await collect(await createAzureOpenAIAdapter(upstream.pools).stream(request(), { ...azure, apiVersion: null }));
    const [plain, streamed] = upstream.fake.chatRequests;
    assert.equal(plain!.path, '/openai/deployments/my-gpt4o/chat/completions');
    assert.equal(plain!.query, 'api-version=2024-10-21');
    assert.equal(streamed!.query, 'api-version=2024-10-21', 'the default api-version');
    assert.equal(plain!.headers['api-key'], API_KEY);
    assert.equal(plain!.headers.authorization, undefined);
    assert.equal(result.completion.choices[0]!.message.content, 'Hello from the fake OpenAI server.');
    assert.equal(Buffer.concat(events.map((event) => event.raw)).toString('utf8') + 'data: [DONE]\n\n', streamed!.responseBody);
    await assert.rejects(createAzureOpenAIAdapter(upstream.pools).complete(request(), { ...azure, apiBase: null }), (error: unknown) => error instanceof UpstreamError && error.kind === 'not_found');
  });

  it('strict json_schema: the schema is adapted before sending, and the nulls it caused are removed from the answer', async () => {
    upstream.fake.script({ content: ANSWER_WITH_NULLS });
    const result = await createOpenAIAdapter(upstream.pools).complete(request(strictFormat(ORDER_SCHEMA)), upstream.target);
    const sent = (upstream.fake.chatRequests[0]!.body!.response_format as { json_schema: { strict: boolean; schema: Record<string, unknown> } }).json_schema;
    assert.equal(sent.strict, true);
    assert.deepEqual(sent.schema.required, ['id', 'qty', 'address']);
    assert.equal(sent.schema.additionalProperties, false);
    assert.deepEqual(JSON.parse(result.completion.choices[0]!.message.content!), { id: '1', address: { street: 'Main' } });
    assert.deepEqual(result.droppedParams, []);
  });

  it('strict json_schema, streamed: the same nulls are removed from the content deltas', async () => {
    upstream.fake.script({ content: ANSWER_WITH_NULLS });
    let content = '';
    for await (const event of await createOpenAIAdapter(upstream.pools).stream(request(strictFormat(ORDER_SCHEMA)), upstream.target)) content += event.chunk.choices[0]?.delta.content ?? '';
    assert.deepEqual(JSON.parse(content), { id: '1', address: { street: 'Main' } });
  });

  it('a schema strict mode cannot express (a dictionary) is sent as given with strict: false, never rejected', async () => {
    const dictionary = { type: 'object', properties: { scores: { type: 'object', additionalProperties: { type: 'number' } } }, required: ['scores'] };
    const result = await createOpenAIAdapter(upstream.pools).complete(request(strictFormat(dictionary)), upstream.target);
    const sent = (upstream.fake.chatRequests[0]!.body!.response_format as { json_schema: { strict: boolean; schema: unknown } }).json_schema;
    assert.equal(sent.strict, false);
    assert.deepEqual(sent.schema, dictionary);
    assert.deepEqual(result.droppedParams, ['response_format.json_schema.strict']);
  });
});
