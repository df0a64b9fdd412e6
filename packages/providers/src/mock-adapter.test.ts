import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ChatCompletionRequest } from '@saas-llm/protocol';
import { z } from 'zod';
import { collect } from './adapter-test-support.ts';
import { MockAdapter } from './mock-adapter.ts';
import type { DeploymentTarget } from './provider-adapter.ts';
import { UpstreamCancelledError, UpstreamConnectionError, UpstreamError, UpstreamTimeoutError } from './upstream-error.ts';

/** A fresh deployment per call, so scripted counters never leak between tests. */
function target(settings: Record<string, unknown> = {}): DeploymentTarget {
  return { provider: 'mock', model: 'mock-gpt', apiBase: null, apiKey: null, apiVersion: null, extraHeaders: {}, timeoutMs: null, settings, deploymentId: randomUUID() };
}

const ask = (content: string, extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({ model: 'chat-fast', messages: [{ role: 'user', content }], ...extra });

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
};

const RECIPE_SCHEMA = {
  type: 'object',
  properties: {
    title: { type: 'string', minLength: 3 },
    servings: { type: 'integer', minimum: 1, maximum: 12 },
    ingredients: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, grams: { type: 'number', exclusiveMinimum: 0 } }, required: ['name', 'grams'] }, minItems: 2 },
  },
  required: ['title', 'servings', 'ingredients'],
  additionalProperties: false,
};

describe('MockAdapter', () => {
  const adapter = new MockAdapter();

  it('answers the same request the same way, and readably', async () => {
    const deployment = target();
    const first = await adapter.complete(ask('What is the capital of France?'), deployment);
    const second = await adapter.complete(ask('What is the capital of France?'), deployment);
    assert.equal(first.completion.choices[0]!.message.content, 'The capital of France is Paris.');
    assert.deepEqual(second.completion.choices, first.completion.choices);
    assert.equal(first.completion.model, 'mock-gpt');
    const other = await adapter.complete(ask('Explain dependency injection briefly.'), deployment);
    assert.match(String(other.completion.choices[0]!.message.content), /You asked: "Explain dependency injection briefly\."/);
  });

  it('reports usage consistent with its tokens', async () => {
    const result = await adapter.complete(ask('Explain dependency injection briefly.'), target());
    assert.ok(result.usage !== null);
    assert.ok(result.usage.prompt_tokens > 3);
    assert.equal(result.usage.total_tokens, result.usage.prompt_tokens + result.usage.completion_tokens);
    assert.equal(result.usage.prompt_tokens_details?.cached_tokens, 0);
  });

  it('honours max_tokens / max_completion_tokens with finish_reason "length"', async () => {
    for (const limit of [{ max_tokens: 3 }, { max_completion_tokens: 3 }]) {
      const result = await adapter.complete(ask('Explain dependency injection briefly.', limit), target());
      assert.equal(result.completion.choices[0]!.finish_reason, 'length');
      assert.equal(result.usage?.completion_tokens, 3);
    }
  });

  it('cuts the answer at the first stop sequence', async () => {
    const result = await adapter.complete(ask('What is the capital of France?', { stop: ['Paris', 'zzz'] }), target());
    assert.equal(result.completion.choices[0]!.message.content, 'The capital of France is ');
    assert.equal(result.completion.choices[0]!.finish_reason, 'stop');
  });

  it('calls the function tool_choice names, with arguments valid against its parameters', async () => {
    const result = await adapter.complete(ask('Weather in Paris?', { tools: [WEATHER_TOOL], tool_choice: { type: 'function', function: { name: 'get_weather' } } }), target());
    const choice = result.completion.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    const call = choice.message.tool_calls![0]!;
    assert.equal(call.function.name, 'get_weather');
    assert.match(call.id, /^call_/);
    const validator = z.fromJSONSchema(WEATHER_TOOL.function.parameters as never);
    assert.ok(validator.safeParse(JSON.parse(call.function.arguments)).success, call.function.arguments);
  });

  it('rejects a tool_choice naming an unknown function as the tenant\'s error', async () => {
    await assert.rejects(
      adapter.complete(ask('hi', { tools: [WEATHER_TOOL], tool_choice: { type: 'function', function: { name: 'nope' } } }), target()),
      (error: unknown) => error instanceof UpstreamError && error.kind === 'client' && error.gatewayStatus === 400,
    );
  });

  it('answers json_schema requests with an instance of the schema, and json_object with an object', async () => {
    const format = { type: 'json_schema' as const, json_schema: { name: 'Recipe', schema: RECIPE_SCHEMA, strict: true } };
    const result = await adapter.complete(ask('A pancake recipe', { response_format: format }), target());
    const validator = z.fromJSONSchema(RECIPE_SCHEMA as never);
    assert.ok(validator.safeParse(JSON.parse(String(result.completion.choices[0]!.message.content))).success);
    const object = await adapter.complete(ask('Anything', { response_format: { type: 'json_object' } }), target());
    const parsed: unknown = JSON.parse(String(object.completion.choices[0]!.message.content));
    assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed));
  });

  it('violates the schema in its first invalid_json_first_n answers, then complies', async () => {
    const deployment = target({ invalid_json_first_n: 2 });
    const validator = z.fromJSONSchema(RECIPE_SCHEMA as never);
    const format = { type: 'json_schema' as const, json_schema: { name: 'Recipe', schema: RECIPE_SCHEMA } };
    const verdicts: boolean[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await adapter.complete(ask(`A pancake recipe, attempt ${attempt}`, { response_format: format }), deployment);
      const content = String(result.completion.choices[0]!.message.content);
      let ok = false;
      try {
        ok = validator.safeParse(JSON.parse(content)).success;
      } catch (error) {
        assert.ok(error instanceof SyntaxError);
      }
      verdicts.push(ok);
    }
    assert.deepEqual(verdicts, [false, false, true]);
  });

  it('fails the first fail_first_n calls with the scripted status and Retry-After', async () => {
    const deployment = target({ fail_first_n: 2, fail_status: 429, fail_retry_after_s: 3 });
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(adapter.complete(ask('hi'), deployment), (error: unknown) => {
        assert.ok(error instanceof UpstreamError);
        assert.equal(error.kind, 'rate_limited');
        assert.equal(error.isRetryable, true);
        assert.equal(error.retryAfterMs, 3000);
        assert.equal(error.upstreamStatus, 429);
        return true;
      });
    }
    assert.equal((await adapter.complete(ask('hi'), deployment)).status, 200);
    const broken = target({ fail_first_n: 1, fail_status: 0 });
    await assert.rejects(adapter.stream(ask('hi'), broken), UpstreamConnectionError);
  });

  it('streams a role chunk, one chunk per token, the finish chunk and a usage chunk — the same text as complete()', async () => {
    const deployment = target();
    const request = ask('Explain dependency injection briefly.');
    const events = await collect(await adapter.stream(request, deployment));
    const complete = await adapter.complete(request, deployment);
    assert.deepEqual(events[0]!.chunk.choices[0]!.delta, { role: 'assistant', content: '' });
    assert.equal(events.map((event) => event.text).join(''), complete.completion.choices[0]!.message.content);
    const finish = events.at(-2)!;
    assert.equal(finish.finishReason, 'stop');
    const last = events.at(-1)!;
    assert.deepEqual(last.chunk.choices, []);
    assert.deepEqual(last.usage, complete.usage);
    assert.equal(events.length, 3 + complete.usage!.completion_tokens);
    for (const event of events) {
      assert.equal(event.raw.toString('utf8'), `data: ${event.data.toString('utf8')}\n\n`);
      assert.equal(event.chunk.object, 'chat.completion.chunk');
    }
    assert.match(events[1]!.withModel('chat-fast').toString('utf8'), /^data: \{"id":"chatcmpl-mock-[0-9a-f]+","object":"chat.completion.chunk","created":\d+,"model":"chat-fast"/);
  });

  it('streams tool calls with OpenAI index semantics', async () => {
    const events = await collect(await adapter.stream(ask('Weather?', { tools: [WEATHER_TOOL], tool_choice: 'required' }), target()));
    const first = events[0]!.chunk.choices[0]!.delta.tool_calls![0]!;
    assert.equal(first.index, 0);
    assert.equal(first.function?.name, 'get_weather');
    const args = events.flatMap((event) => event.chunk.choices).map((choice) => choice.delta.tool_calls?.[0]?.function?.arguments ?? '').join('');
    assert.ok(z.fromJSONSchema(WEATHER_TOOL.function.parameters as never).safeParse(JSON.parse(args)).success);
    assert.equal(events.at(-2)!.finishReason, 'tool_calls');
  });

  it('omits usage when told to, and breaks streams mid-way when scripted', async () => {
    const quiet = await collect(await adapter.stream(ask('hi'), target({ omit_usage: true })));
    assert.ok(quiet.every((event) => event.usage === null));
    const breaking = await adapter.stream(ask('Explain dependency injection briefly.'), target({ fail_mid_stream_first_n: 1, fail_mid_stream_after_tokens: 2 }));
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const event of breaking) seen.push(event.text);
    }, UpstreamConnectionError);
    assert.equal(seen.length, 3);
  });

  it('times out on ttft_ms beyond the first-byte limit, and is cancelled by the signal', async () => {
    const slow = target({ ttft_ms: 60_000 });
    const stream = await adapter.stream(ask('hi'), slow, { timeouts: { firstByteMs: 20 } });
    await assert.rejects(collect(stream), (error: unknown) => error instanceof UpstreamTimeoutError && error.phase === 'first_byte' && error.gatewayStatus === 504);
    const controller = new AbortController();
    const pending = adapter.complete(ask('hi'), target({ ttft_ms: 60_000 }), { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, UpstreamCancelledError);
  });

  it('embeds deterministically, with unit vectors of the requested size', async () => {
    const embed = adapter.embed.bind(adapter);
    const first = await embed({ model: 'emb', input: ['alpha', 'beta'], dimensions: 12 }, target());
    const again = await embed({ model: 'emb', input: ['alpha', 'beta'], dimensions: 12 }, target());
    assert.deepEqual(first.response.data, again.response.data);
    const vector = first.response.data[0]!.embedding as number[];
    assert.equal(vector.length, 12);
    assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-4);
    assert.notDeepEqual(first.response.data[0]!.embedding, first.response.data[1]!.embedding);
  });
});
