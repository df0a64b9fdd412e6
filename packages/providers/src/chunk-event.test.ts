import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdapterRegistry } from './adapter-registry.ts';
import { ChunkEvent } from './chunk-event.ts';
import { MockAdapter } from './mock-adapter.ts';
import { UpstreamProtocolError } from './upstream-error.ts';

const event = (json: string): ChunkEvent => new ChunkEvent(Buffer.from(json));

describe('ChunkEvent', () => {
  it('splices the model name into the upstream bytes, leaving every other byte as it was', () => {
    const json = '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_x","choices":[{"index":0,"delta":{"content":"say \\"model\\":\\"gpt-4o-2024-08-06\\""},"finish_reason":null}]}';
    const rewritten = event(json).withModel('chat-fast').toString('utf8');
    assert.equal(rewritten, `data: ${json.replace('"model":"gpt-4o-2024-08-06"', '"model":"chat-fast"')}\n\n`);
    assert.equal(JSON.parse(rewritten.slice(6)).choices[0].delta.content, 'say "model":"gpt-4o-2024-08-06"');
  });

  it('re-serialises when the field is not written verbatim', () => {
    const rewritten = event('{ "id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "llama", "choices": [] }').withModel('chat-fast').toString('utf8');
    assert.deepEqual(JSON.parse(rewritten.slice(6).trim()), { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'chat-fast', choices: [] });
  });

  it('reads text (content, refusal, tool-call arguments), finish_reason and usage lazily', () => {
    const toolChunk = event('{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"a\\":"}}]},"finish_reason":null},{"index":1,"delta":{"content":"hi"},"finish_reason":"stop"}]}');
    assert.equal(toolChunk.text, '{"a":hi');
    assert.equal(toolChunk.finishReason, 'stop');
    assert.equal(toolChunk.usage, null);
    // vLLM ends with a usage chunk whose choices are null.
    const usageChunk = event('{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":null,"usage":{"prompt_tokens":3,"completion_tokens":4}}');
    assert.deepEqual(usageChunk.chunk.choices, []);
    assert.deepEqual(usageChunk.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    // Groq reports stream usage under x_groq.
    assert.equal(event('{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"x_groq":{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}}').usage?.total_tokens, 3);
  });

  it('throws a protocol error for a payload that is not a chunk, only when parsed', () => {
    const broken = event('{"id": oops}');
    assert.equal(broken.raw.toString('utf8'), 'data: {"id": oops}\n\n');
    assert.throws(() => broken.chunk, UpstreamProtocolError);
    assert.throws(() => event('{"choices":"many"}').chunk, UpstreamProtocolError);
  });
});

describe('AdapterRegistry', () => {
  it('makes one adapter per provider (every provider has one), refuses unknown ones, and lets a registered adapter win', async () => {
    const registry = new AdapterRegistry();
    assert.equal(registry.get('openai'), registry.get('openai'));
    assert.equal(registry.get('openai-compatible').provider, 'openai-compatible');
    for (const provider of ['openai', 'openai-compatible', 'azure', 'anthropic', 'gemini', 'mock'] as const) assert.equal(registry.get(provider).provider, provider);
    assert.equal(registry.supports('bedrock' as 'openai'), false);
    assert.throws(() => registry.get('bedrock' as 'openai'), /No adapter for provider "bedrock"/);
    const mock = new MockAdapter();
    registry.register(mock);
    assert.equal(registry.get('mock'), mock);
    await registry.close();
    assert.throws(() => registry.pools.get('http://127.0.0.1:1', 1000), /closed/);
  });
});
