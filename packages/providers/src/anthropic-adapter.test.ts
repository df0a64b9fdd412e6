import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeAnthropicServer, type FakeAnthropicReply } from '@saas-llm/testkit';
import { bareChunks, chatRequest, collect, delta, itMapsStatusCases, useFakeUpstream, type StatusCase } from './adapter-test-support.ts';
import { AnthropicAdapter } from './anthropic-adapter.ts';
import type { StreamEvent } from './provider-adapter.ts';
import { UpstreamCancelledError, UpstreamConnectionError, UpstreamError, UpstreamProtocolError, UpstreamTimeoutError } from './upstream-error.ts';

const API_KEY = 'sk-ant-api03-TESTKEY0123456789abcdefghijklmnopqrstuvwxyz-QRST';
const RED_PIXEL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const PERSON_SCHEMA = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] };
const WEATHER_TOOL = { type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

const bare = (events: StreamEvent[]) => bareChunks(events, { idPattern: /^chatcmpl-fake/, model: 'claude-sonnet-4-5' });

describe('Anthropic adapter against the fake Anthropic server', () => {
  const upstream = useFakeUpstream(() => FakeAnthropicServer.start({ apiKey: API_KEY }), { provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: API_KEY, extraHeaders: { 'anthropic-beta': 'test-beta' } });
  const adapter = () => new AnthropicAdapter(upstream.pools);

  describe('golden: text', () => {
    it('non-stream', async () => {
      upstream.fake.script({ content: 'Hello there.', cacheReadTokens: 5, cacheCreationTokens: 2 });
      const result = await adapter().complete(chatRequest({ temperature: 1.5, stop: ['END', ' '], user: 'u-1', seed: 3, top_k: 40 }), upstream.target);
      const sent = upstream.fake.messageRequests[0]!;
      assert.equal(sent.headers['x-api-key'], API_KEY);
      assert.equal(sent.headers['anthropic-version'], '2023-06-01');
      assert.equal(sent.headers['anthropic-beta'], 'test-beta');
      assert.deepEqual(sent.body, {
        model: 'claude-sonnet-4-5', max_tokens: 4096, messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello' }] }],
        temperature: 1, stop_sequences: ['END'], metadata: { user_id: 'u-1' }, top_k: 40,
      });
      assert.deepEqual([...result.droppedParams].sort(), ['seed', 'stop']);
      const { id, created, ...completion } = result.completion;
      assert.match(id, /^chatcmpl-fake\d+$/);
      assert.equal(typeof created, 'number');
      const usage = result.usage!;
      assert.deepEqual(completion, {
        object: 'chat.completion', model: 'claude-sonnet-4-5',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage,
      });
      // prompt_tokens includes the cache reads and writes, as OpenAI's does; the reads are the cached tokens.
      const reported = JSON.parse(upstream.fake.messageRequests[0]!.responseBody).usage;
      assert.equal(usage.prompt_tokens, reported.input_tokens + 5 + 2);
      assert.equal(usage.completion_tokens, 2);
      assert.equal(usage.total_tokens, usage.prompt_tokens + 2);
      assert.equal(usage.prompt_tokens_details?.cached_tokens, 5);
    });

    it('stream', async () => {
      upstream.fake.script({ content: 'Hello there.', cacheReadTokens: 3 });
      const events = await collect(await adapter().stream(chatRequest(), upstream.target));
      assert.equal(upstream.fake.messageRequests[0]!.body!.stream, true);
      const chunks = bare(events);
      const usage = chunks.at(-1)!.usage!;
      assert.deepEqual(chunks, [
        delta({ role: 'assistant', content: '' }), delta({ content: 'Hello ' }), delta({ content: 'there.' }), delta({}, 'stop'), { choices: [], usage },
      ]);
      assert.equal(usage.completion_tokens, 2);
      assert.equal(usage.prompt_tokens_details?.cached_tokens, 3);
      assert.equal(events.map((event) => event.text).join(''), 'Hello there.');
      assert.equal(events.at(-2)!.finishReason, 'stop');
      assert.equal(new Set(events.map((event) => event.chunk.id)).size, 1, 'one id for the whole answer');
      const relayed = events[1]!.withModel('chat-fast').toString('utf8');
      assert.match(relayed, /^data: \{.*"model":"chat-fast".*\}\n\n$/);
      assert.doesNotMatch(relayed, /claude/);
    });
  });

  describe('golden: two parallel tool calls', () => {
    const reply: FakeAnthropicReply = {
      content: 'Checking both.',
      toolUses: [{ id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } }, { id: 'toolu_01B', name: 'get_weather', input: { city: 'Rome' } }],
    };
    const ask = () => chatRequest({ tools: [WEATHER_TOOL], tool_choice: 'required', parallel_tool_calls: true });

    it('non-stream', async () => {
      upstream.fake.script(reply);
      const result = await adapter().complete(ask(), upstream.target);
      const sent = upstream.fake.messageRequests[0]!.body!;
      assert.deepEqual(sent.tools, [{ name: 'get_weather', description: 'Weather of a city', input_schema: WEATHER_TOOL.function.parameters }]);
      assert.deepEqual(sent.tool_choice, { type: 'any' });
      assert.deepEqual(result.completion.choices, [{
        index: 0,
        message: {
          role: 'assistant', content: 'Checking both.', refusal: null,
          tool_calls: [
            { id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'toolu_01B', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      }]);
    });

    it('stream: OpenAI tool-call indices (0, 1) whatever the block index, id and name first, arguments in fragments', async () => {
      upstream.fake.script(reply);
      const chunks = bare(await collect(await adapter().stream(ask(), upstream.target)));
      const call = (index: number, fields: Record<string, unknown>) => delta({ tool_calls: [{ index, ...fields }] });
      assert.deepEqual(chunks.slice(0, -1), [
        delta({ role: 'assistant', content: '' }), delta({ content: 'Checking ' }), delta({ content: 'both.' }),
        call(0, { id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '' } }),
        call(0, { function: { arguments: '{"city":' } }), call(0, { function: { arguments: '"Paris"}' } }),
        call(1, { id: 'toolu_01B', type: 'function', function: { name: 'get_weather', arguments: '' } }),
        call(1, { function: { arguments: '{"city":' } }), call(1, { function: { arguments: '"Rome"}' } }),
        delta({}, 'tool_calls'),
      ]);
      assert.equal(chunks.at(-1)!.usage!.completion_tokens, 2 + 2 + 2);
    });

    it('sends tool history back as tool_use / tool_result blocks, merged into alternating turns', async () => {
      await adapter().complete(chatRequest({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather in Paris and Rome?' },
          { role: 'assistant', content: null, tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call.2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ] },
          { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
          { role: 'tool', tool_call_id: 'call.2', content: [{ type: 'text', text: 'Rainy' }] },
          { role: 'user', content: 'Summarise.' },
        ],
        tools: [WEATHER_TOOL],
      }), upstream.target);
      const sent = upstream.fake.messageRequests[0]!.body!;
      assert.deepEqual(sent.system, [{ type: 'text', text: 'Be brief.' }]);
      assert.deepEqual(sent.messages, [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
        { role: 'assistant', content: [
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
        ] },
        { role: 'user', content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: 'Sunny' },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: 'Rainy' }] },
          { type: 'text', text: 'Summarise.' },
        ] },
      ]);
      assert.equal(sent.tool_choice, undefined);
    });
  });

  describe('golden: json_schema emulated with a forced tool', () => {
    const ask = (schema: Record<string, unknown> = PERSON_SCHEMA) => chatRequest({ response_format: { type: 'json_schema', json_schema: { name: 'Person', schema, strict: true } } });

    it('non-stream: the tool\'s input is the content, finish_reason stop', async () => {
      upstream.fake.script({ content: '{"name":"Ada","age":36}' });
      const result = await adapter().complete(ask(), upstream.target);
      const sent = upstream.fake.messageRequests[0]!.body!;
      assert.deepEqual(sent.tool_choice, { type: 'tool', name: 'Person', disable_parallel_tool_use: true });
      assert.deepEqual((sent.tools as Array<Record<string, unknown>>).map((tool) => [tool.name, tool.input_schema]), [['Person', PERSON_SCHEMA]]);
      assert.deepEqual(result.completion.choices[0], { index: 0, message: { role: 'assistant', content: '{"name":"Ada","age":36}', refusal: null }, logprobs: null, finish_reason: 'stop' });
    });

    it('stream: the tool\'s input_json_delta fragments are content deltas', async () => {
      upstream.fake.script({ content: '{"name":"Ada","age":36}' });
      const chunks = bare(await collect(await adapter().stream(ask(), upstream.target)));
      assert.deepEqual(chunks.slice(0, -1), [
        delta({ role: 'assistant', content: '' }), delta({ content: '{"name":' }), delta({ content: '"Ada","a' }), delta({ content: 'ge":36}' }), delta({}, 'stop'),
      ]);
    });

    it('a non-object root is wrapped in {value} for the tool and unwrapped in the answer, streamed too', async () => {
      const list = { type: 'array', items: { $ref: '#/$defs/Item' }, $defs: { Item: { type: 'string' } } };
      upstream.fake.script({ content: '{"value":["a}","b"]}' }, { content: '{"value":["a}","b"]}' });
      const result = await adapter().complete(ask(list), upstream.target);
      const tool = (upstream.fake.messageRequests[0]!.body!.tools as Array<{ input_schema: unknown }>)[0]!;
      assert.deepEqual(tool.input_schema, { type: 'object', properties: { value: { type: 'array', items: { $ref: '#/$defs/Item' } } }, required: ['value'], $defs: { Item: { type: 'string' } } });
      assert.equal(result.completion.choices[0]!.message.content, '["a}","b"]');
      const events = await collect(await adapter().stream(ask(list), upstream.target));
      assert.equal(events.map((event) => event.chunk.choices[0]?.delta.content ?? '').join(''), '["a}","b"]');
    });
  });

  describe('golden: image input', () => {
    const ask = () => chatRequest({ messages: [{ role: 'user', content: [
      { type: 'text', text: 'What colour?' },
      { type: 'image_url', image_url: { url: RED_PIXEL } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'low' } },
    ] }] });
    const expectedContent = [
      { type: 'text', text: 'What colour?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: RED_PIXEL.split(',')[1] } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ];

    it('non-stream', async () => {
      upstream.fake.script({ content: 'Red.' });
      const result = await adapter().complete(ask(), upstream.target);
      assert.deepEqual(upstream.fake.messageRequests[0]!.body!.messages, [{ role: 'user', content: expectedContent }]);
      assert.equal(result.completion.choices[0]!.message.content, 'Red.');
    });

    it('stream', async () => {
      upstream.fake.script({ content: 'Red.' });
      const events = await collect(await adapter().stream(ask(), upstream.target));
      assert.deepEqual(upstream.fake.messageRequests[0]!.body!.messages, [{ role: 'user', content: expectedContent }]);
      assert.equal(events.map((event) => event.text).join(''), 'Red.');
    });
  });

  const statusCases: Array<StatusCase<FakeAnthropicReply>> = [
    { name: '529 overloaded_error', reply: { status: 529 }, kind: 'overloaded', retryable: true, fallback: true },
    { name: '429 rate_limit_error with Retry-After', reply: { status: 429, retryAfter: '12' }, kind: 'rate_limited', retryable: true, fallback: true, retryAfterMs: 12_000 },
    { name: '500 api_error', reply: { status: 500 }, kind: 'server', retryable: true, fallback: true },
    { name: '400 prompt too long', reply: { status: 400, errorMessage: 'prompt is too long: 215000 tokens > 200000 maximum' }, kind: 'context_window', retryable: false, fallback: false },
    { name: '400 invalid request', reply: { status: 400, errorMessage: 'messages: roles must alternate' }, kind: 'client', retryable: false, fallback: false },
    { name: '402 billing_error', reply: { status: 402, errorType: 'billing_error', errorMessage: 'Your credit balance is too low.' }, kind: 'quota', retryable: false, fallback: true },
    { name: '404 not_found_error', reply: { status: 404, errorMessage: 'model: claude-x' }, kind: 'not_found', retryable: false, fallback: true },
  ];
  itMapsStatusCases(statusCases, upstream, adapter);

  it('never shows the key or the URL in errors', async () => {
    const wrongKey = 'sk-ant-api03-WRONGKEY9876543210abcdefghijklmnop-WXYZ';
    await assert.rejects(adapter().complete(chatRequest(), { ...upstream.target, apiKey: wrongKey }), (error: unknown) => {
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.kind, 'auth');
      for (const secret of [wrongKey, wrongKey.slice(0, 8), wrongKey.slice(-4), '127.0.0.1', 'http']) assert.ok(!error.message.includes(secret), `${secret} in "${error.message}"`);
      return true;
    });
  });

  it('connection faults: reset before headers, reset mid-stream, a stream cut before message_stop', async () => {
    upstream.fake.script({ resetBeforeHeaders: true }, { resetAfterChunks: 4 }, { omitMessageStop: true });
    await assert.rejects(adapter().complete(chatRequest(), upstream.target), (error: unknown) => error instanceof UpstreamConnectionError && error.isRetryable);
    await assert.rejects(collect(await adapter().stream(chatRequest(), upstream.target)), UpstreamConnectionError);
    await assert.rejects(collect(await adapter().stream(chatRequest(), upstream.target)), (error: unknown) => error instanceof UpstreamConnectionError && /ended before/.test(error.message));
  });

  it('an overloaded_error event mid-stream is a retryable overloaded error, after the chunks before it', async () => {
    upstream.fake.script({ errorEventAfterChunks: 4 });
    const seen: StreamEvent[] = [];
    await assert.rejects(async () => {
      for await (const event of await adapter().stream(chatRequest(), upstream.target)) seen.push(event);
    }, (error: unknown) => error instanceof UpstreamError && error.kind === 'overloaded' && error.isRetryable && error.upstreamStatus === null);
    assert.deepEqual(seen.map((event) => event.text), ['', 'Hello ']);
  });

  it('a malformed event is a protocol error', async () => {
    upstream.fake.script({ malformedAtChunk: 3 });
    await assert.rejects(collect(await adapter().stream(chatRequest(), upstream.target)), UpstreamProtocolError);
  });

  it('missing usage: no usage chunk and null usage (the gateway estimates)', async () => {
    upstream.fake.script({ omitUsage: true }, { omitUsage: true });
    const events = await collect(await adapter().stream(chatRequest(), upstream.target));
    assert.ok(events.every((event) => event.usage === null));
    assert.equal(events.at(-1)!.finishReason, 'stop');
    assert.equal((await adapter().complete(chatRequest(), upstream.target)).usage, null);
  });

  it('times out on a slow first byte and on silence between events', async () => {
    upstream.fake.script({ firstByteDelayMs: 5_000 }, { chunkDelayMs: 5_000 });
    await assert.rejects(adapter().stream(chatRequest(), upstream.target, { timeouts: { firstByteMs: 50 } }), (error: unknown) => error instanceof UpstreamTimeoutError && error.phase === 'first_byte');
    const stream = await adapter().stream(chatRequest(), upstream.target, { timeouts: { idleMs: 50 } });
    await assert.rejects(collect(stream), (error: unknown) => error instanceof UpstreamTimeoutError && error.phase === 'idle');
  });

  it('aborting mid-stream closes the upstream connection', async () => {
    upstream.fake.script({ chunkDelayMs: 300 });
    const controller = new AbortController();
    const stream = await adapter().stream(chatRequest(), upstream.target, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    // The role chunk and the first text arrive together; the next text is 300 ms away on the wire.
    assert.equal((await iterator.next()).value?.text, '');
    assert.equal((await iterator.next()).value?.text, 'Hello ');
    const closed = upstream.fake.nextClientClose();
    const next = iterator.next();
    controller.abort();
    await assert.rejects(next, UpstreamCancelledError);
    assert.equal((await closed).clientClosed, true);
  });

  it('accepts a bare-origin api_base (as Anthropic\'s SDKs do) and reuses the connection', async () => {
    // undici frees a connection just after its response ends: a request sent at once would open another.
    const released = () => new Promise((resolve) => setImmediate(resolve));
    await adapter().complete(chatRequest(), upstream.target);
    await released();
    const pools = upstream.pools.size;
    const before = upstream.fake.connectionCount;
    // The same origin with and without `/v1`: one pool, whose warm connection serves both.
    await adapter().complete(chatRequest(), { ...upstream.target, apiBase: upstream.fake.url });
    await released();
    await collect(await adapter().stream(chatRequest(), { ...upstream.target, apiBase: upstream.fake.url }));
    assert.equal(upstream.fake.messageRequests.length, 3);
    assert.equal(upstream.pools.size, pools);
    assert.equal(upstream.fake.connectionCount, before, 'no new connection');
  });
});
