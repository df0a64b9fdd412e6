import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeOpenAIServer } from './fake-openai-server.ts';

const post = (fake: FakeOpenAIServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${fake.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-fake-key-000000000000', ...headers }, body: JSON.stringify(body) });

/** The JSON payloads of an SSE body, `[DONE]` kept as the string. */
function frames(text: string): unknown[] {
  return text.split('\n\n').filter(Boolean).map((frame) => frame.replace(/^data: /, '')).map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
}

describe('FakeOpenAIServer', () => {
  let fake: FakeOpenAIServer;
  before(async () => {
    fake = await FakeOpenAIServer.start({ apiKey: 'sk-fake-key-000000000000', models: ['gpt-x'] });
  });
  after(() => fake.close());

  it('streams OpenAI chunks, with usage: null on each and a usage chunk before [DONE] when include_usage', async () => {
    const response = await post(fake, '/chat/completions', { model: 'gpt-x', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    assert.match(String(response.headers.get('content-type')), /^text\/event-stream/);
    const payloads = frames(await response.text()) as Array<Record<string, unknown> | string>;
    assert.equal(payloads.at(-1), '[DONE]');
    const chunks = payloads.slice(0, -1) as Array<Record<string, unknown>>;
    assert.ok(chunks.slice(0, -1).every((chunk) => chunk.usage === null && chunk.object === 'chat.completion.chunk'));
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.equal((chunks.at(-1)!.usage as Record<string, number>).completion_tokens, 6);
    assert.equal(chunks.slice(1, -2).map((chunk) => ((chunk.choices as Array<{ delta: { content: string } }>)[0]!.delta.content)).join(''), 'Hello from the fake OpenAI server.');
    const recorded = fake.chatRequests.at(-1)!;
    assert.equal(recorded.body!.model, 'gpt-x');
    assert.equal(recorded.headers.authorization, 'Bearer sk-fake-key-000000000000');
  });

  it('sends no usage field at all without include_usage, and streams scripted tool calls', async () => {
    fake.script({ toolCall: { name: 'lookup', arguments: '{"query":"weather in Paris"}' } });
    const payloads = frames(await (await post(fake, '/chat/completions', { model: 'gpt-x', messages: [{ role: 'user', content: 'hi' }], stream: true })).text());
    const chunks = payloads.slice(0, -1) as Array<{ usage?: unknown; choices: Array<{ delta: { tool_calls?: Array<{ index: number; function: { arguments: string } }> }; finish_reason: string | null }> }>;
    assert.ok(chunks.every((chunk) => !('usage' in chunk)));
    assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.tool_calls?.[0]?.function.arguments ?? '').join(''), '{"query":"weather in Paris"}');
    assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'tool_calls');
  });

  it('answers scripted errors in OpenAI\'s shape, with Retry-After, then recovers', async () => {
    fake.script({ status: 429, retryAfter: '3', error: { code: 'rate_limit_exceeded' } });
    const limited = await post(fake, '/chat/completions', { model: 'gpt-x', messages: [] });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    assert.deepEqual(await limited.json(), { error: { message: 'Rate limit reached for requests', type: 'invalid_request_error', param: null, code: 'rate_limit_exceeded' } });
    const ok = await post(fake, '/chat/completions', { model: 'gpt-x', messages: [] });
    assert.equal(((await ok.json()) as { object: string }).object, 'chat.completion');
  });

  it('rejects a wrong key, unparseable JSON and unknown paths like OpenAI', async () => {
    assert.equal((await post(fake, '/chat/completions', {}, { authorization: 'Bearer sk-wrong-key-1234567890' })).status, 401);
    const garbled = await fetch(`${fake.baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-fake-key-000000000000' }, body: '{nope' });
    assert.equal(garbled.status, 400);
    assert.equal((await post(fake, '/completions', {})).status, 404);
  });

  it('serves /v1/models and /v1/embeddings', async () => {
    const models = (await (await fetch(`${fake.baseUrl}/models`, { headers: { authorization: 'Bearer sk-fake-key-000000000000' } })).json()) as { data: Array<{ id: string; object: string }> };
    assert.deepEqual(models.data.map((model) => [model.id, model.object]), [['gpt-x', 'model']]);
    const embeddings = (await (await post(fake, '/embeddings', { model: 'emb', input: ['a', 'b'], dimensions: 3 })).json()) as { data: Array<{ embedding: number[]; index: number }>; usage: { prompt_tokens: number } };
    assert.deepEqual(embeddings.data.map((item) => [item.index, item.embedding.length]), [[0, 3], [1, 3]]);
    assert.equal(embeddings.usage.prompt_tokens, 2);
  });
});
