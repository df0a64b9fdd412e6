import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatCompletionChunkSchema, chatCompletionSchema } from './chat-response.ts';
import { chatCompletionRequestSchema, llmCallRequestSchema, requestedModelName } from './chat.ts';

/** Bodies as real clients send them (OpenAI SDK + Pydantic, LangChain, the Vercel AI SDK, Instructor, the seed client). */
const SDK_BODIES: Record<string, Record<string, unknown>> = {
  openaiStructured: {
    model: 'gpt-4o-mini',
    messages: [{ role: 'developer', content: 'Extract.' }, { role: 'user', content: 'Ada, 36' }],
    response_format: { type: 'json_schema', json_schema: { name: 'Person', strict: true, schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } } },
    stream: true, stream_options: { include_usage: true }, reasoning_effort: 'minimal', service_tier: 'auto', store: false, metadata: { run: '1' },
  },
  langchainToolLoop: {
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', content: '{"temp":21}', tool_call_id: 'call_1' },
    ],
    tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: null } }],
    tool_choice: 'auto', parallel_tool_calls: false, temperature: 0.7, n: 1, stop: null, logprobs: false, top_logprobs: null,
  },
  vercelMultimodal: {
    model: 'gpt-4o',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }, { type: 'file', file: { file_id: 'file-1' } }] }],
    max_tokens: 100, top_p: 0.9, frequency_penalty: 0.1, presence_penalty: -0.1, seed: 42, user: 'u-1', logit_bias: { '50256': -100 },
  },
  instructorForcedTool: {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Extract' }, { role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }], refusal: 'no' }],
    tools: [{ type: 'function', function: { name: 'Person', parameters: { $defs: {}, properties: {} } } }],
    tool_choice: { type: 'function', function: { name: 'Person' } }, max_completion_tokens: 500,
  },
};

const issuePaths = (result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }): string[] => (result.error?.issues ?? []).map((issue) => issue.path.join('.'));

describe('chatCompletionRequestSchema', () => {
  for (const [name, body] of Object.entries(SDK_BODIES)) {
    it(`accepts the ${name} body and keeps every field`, () => {
      const result = chatCompletionRequestSchema.safeParse(body);
      assert.ok(result.success, JSON.stringify(result.error?.issues));
      assert.deepEqual(result.data, body);
    });
  }

  it('passes unknown parameters and unknown message fields through untouched', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }], extra: 1 }], top_k: 3, guided_json: { a: 1 } };
    assert.deepEqual(chatCompletionRequestSchema.parse(body), body);
  });

  it('rejects malformed bodies with an issue naming the field', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ model: 'm' }, 'messages'],
      [{ model: 'm', messages: [] }, 'messages'],
      [{ model: 'm', messages: [{ content: 'hi' }] }, 'messages.0.role'],
      [{ model: 'm', messages: [{ role: 'wizard', content: 'hi' }] }, 'messages.0.role'],
      [{ model: 'm', messages: [{ role: 'user', content: 'a' }, { role: 'tool', content: 'r' }] }, 'messages.1.tool_call_id'],
      [{ model: 'm', messages: [{ role: 'user', content: 'a' }], temperature: 5 }, 'temperature'],
      [{ model: 'm', messages: [{ role: 'user', content: 'a' }], stop: 3 }, 'stop'],
      [{ model: 'm', messages: [{ role: 'user', content: 'a' }], max_tokens: 1.5 }, 'max_tokens'],
      [{ model: 'm', messages: [{ role: 'user', content: 'a' }], response_format: { type: 'json_schema' } }, 'response_format.json_schema'],
      [{ model: 'm', messages: [{ role: 'user', content: 'a' }], response_format: { type: 'yaml' } }, 'response_format.type'],
      [{ model: 'm', messages: [{ role: 'user', content: 'a' }], tools: [{ type: 'function', function: {} }] }, 'tools.0.function.name'],
      [{ model: 'm', messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] }] }, 'messages.0.tool_calls.0.function.arguments'],
    ];
    for (const [body, path] of cases) {
      const result = chatCompletionRequestSchema.safeParse(body);
      assert.equal(result.success, false, JSON.stringify(body));
      assert.ok(issuePaths(result).some((issuePath) => issuePath.startsWith(path)), `${path} not in ${JSON.stringify(issuePaths(result))}`);
    }
  });
});

describe('llmCallRequestSchema', () => {
  it('accepts the seed client\'s body (model_group, purpose, stop list)', () => {
    const body = { model_group: 'chat-fast', messages: [{ role: 'user', content: 'Hi' }], temperature: 0.7, max_tokens: 50, stop: ['END'], purpose: 'greeting', call_metadata: { step: 1 }, validate: { max_retries: 2 } };
    const parsed = llmCallRequestSchema.parse(body);
    assert.deepEqual(parsed, body);
    assert.equal(requestedModelName(parsed), 'chat-fast');
    assert.equal(requestedModelName(llmCallRequestSchema.parse({ model: 'alias-1', messages: [{ role: 'user', content: 'x' }] })), 'alias-1');
  });

  it('requires model or model_group, and bounds the gateway fields', () => {
    assert.deepEqual(issuePaths(llmCallRequestSchema.safeParse({ messages: [{ role: 'user', content: 'x' }] })), ['model_group']);
    assert.deepEqual(issuePaths(llmCallRequestSchema.safeParse({ model: 'm', messages: [{ role: 'user', content: 'x' }], purpose: 'p'.repeat(201) })), ['purpose']);
    assert.deepEqual(issuePaths(llmCallRequestSchema.safeParse({ model: 'm', messages: [{ role: 'user', content: 'x' }], validate: { max_retries: 'x' } })), ['validate']);
    assert.deepEqual(issuePaths(llmCallRequestSchema.safeParse({ model: 'm', messages: [{ role: 'user', content: 'x' }], call_metadata: [] })), ['call_metadata']);
  });
});

describe('response schemas', () => {
  it('parse OpenAI-shaped completions and chunks, including the usage chunk with empty choices', () => {
    const completion = {
      id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o-2024-08-06', system_fingerprint: 'fp', service_tier: 'default',
      choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, annotations: [], tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }, logprobs: null, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: { cached_tokens: 3, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    };
    assert.deepEqual(chatCompletionSchema.parse(completion), completion);
    const chunk = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] }, finish_reason: null }], usage: null };
    assert.deepEqual(chatCompletionChunkSchema.parse(chunk), chunk);
    const usageChunk = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
    assert.ok(chatCompletionChunkSchema.safeParse(usageChunk).success);
    assert.equal(chatCompletionChunkSchema.safeParse({ ...usageChunk, object: 'chat.completion' }).success, false);
  });
});
