import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeGeminiServer, type FakeGeminiReply } from '@saas-llm/testkit';
import { bareChunks, chatRequest, collect, delta, itMapsStatusCases, useFakeUpstream, type StatusCase } from './adapter-test-support.ts';
import { GeminiAdapter } from './gemini-adapter.ts';
import type { StreamEvent } from './provider-adapter.ts';
import { UpstreamCancelledError, UpstreamConnectionError, UpstreamError, UpstreamProtocolError, UpstreamTimeoutError } from './upstream-error.ts';

const API_KEY = 'AIzaSyTESTKEY0123456789abcdefghijklmnopQ';
const RED_PIXEL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WEATHER_TOOL = { type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } } };
const PERSON_SCHEMA = {
  type: 'object',
  properties: { name: { type: 'string', title: 'Name' }, pet: { anyOf: [{ $ref: '#/$defs/Pet' }, { type: 'null' }], default: null } },
  required: ['name'],
  additionalProperties: false,
  $defs: { Pet: { type: 'object', properties: { kind: { enum: ['cat', 'dog'] } }, required: ['kind'] } },
};

const bare = (events: StreamEvent[]) => bareChunks(events, { idPattern: /^chatcmpl-fakeResp/, model: 'gemini-2.5-flash' });

describe('Gemini adapter against the fake Gemini server', () => {
  const upstream = useFakeUpstream(() => FakeGeminiServer.start({ apiKey: API_KEY }), { provider: 'gemini', model: 'gemini-2.5-flash', apiKey: API_KEY });
  const adapter = () => new GeminiAdapter(upstream.pools);

  describe('golden: text', () => {
    it('non-stream: the key in a header, never in the URL; parameters mapped; usage with cached and thinking tokens', async () => {
      upstream.fake.script({ content: 'Hello there.', cachedTokens: 4, thoughtsTokens: 7 });
      const result = await adapter().complete(chatRequest({
        messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
        temperature: 0.3, top_p: 0.9, max_completion_tokens: 64, stop: 'END', seed: 1, logit_bias: { 1: 2 }, user: 'u-1',
      }), upstream.target);
      const sent = upstream.fake.generateRequests[0]!;
      assert.equal(sent.path, '/v1beta/models/gemini-2.5-flash:generateContent');
      assert.equal(sent.query, '');
      assert.equal(sent.headers['x-goog-api-key'], API_KEY);
      assert.deepEqual(sent.body, {
        contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }],
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        generationConfig: { temperature: 0.3, topP: 0.9, maxOutputTokens: 64, stopSequences: ['END'], seed: 1 },
      });
      assert.deepEqual([...result.droppedParams].sort(), ['logit_bias', 'user']);
      const { id, created, ...completion } = result.completion;
      assert.equal(id, 'chatcmpl-fakeResp00000002');
      assert.equal(typeof created, 'number');
      const metadata = JSON.parse(sent.responseBody).usageMetadata;
      assert.deepEqual(completion, {
        object: 'chat.completion', model: 'gemini-2.5-flash',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: metadata.promptTokenCount, completion_tokens: 2 + 7, total_tokens: metadata.promptTokenCount + 9,
          prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 7 },
        },
      });
      assert.deepEqual(result.usage, completion.usage);
    });

    it('stream: alt=sse, CRLF frames, no end event; usage from the last usageMetadata', async () => {
      upstream.fake.script({ content: 'Hello there.' });
      const events = await collect(await adapter().stream(chatRequest(), upstream.target));
      const sent = upstream.fake.generateRequests[0]!;
      assert.equal(sent.path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent');
      assert.equal(sent.query, 'alt=sse');
      const chunks = bare(events);
      const usage = chunks.at(-1)!.usage!;
      assert.deepEqual(chunks, [delta({ role: 'assistant', content: '' }), delta({ content: 'Hello ' }), delta({ content: 'there.' }), delta({}, 'stop'), { choices: [], usage }]);
      assert.equal(usage.completion_tokens, 2);
      assert.equal(usage.prompt_tokens, JSON.parse(sent.responseBody.split('\r\n\r\n').at(-2)!.slice(6)).usageMetadata.promptTokenCount);
    });
  });

  describe('golden: two parallel tool calls', () => {
    const reply: FakeGeminiReply = { content: '', functionCalls: [{ name: 'get_weather', args: { city: 'Paris' } }, { name: 'get_weather', args: { city: 'Rome' } }] };
    const ask = () => chatRequest({ tools: [WEATHER_TOOL], tool_choice: { type: 'function', function: { name: 'get_weather' } } });

    it('non-stream: functionCalls → tool_calls with fresh unique ids; finish_reason tool_calls', async () => {
      upstream.fake.script(reply);
      const result = await adapter().complete(ask(), upstream.target);
      const sent = upstream.fake.generateRequests[0]!.body!;
      assert.deepEqual(sent.tools, [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather of a city', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'], propertyOrdering: ['city'] } }] }]);
      assert.deepEqual(sent.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
      const choice = result.completion.choices[0]!;
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.content, null);
      const calls = choice.message.tool_calls!;
      assert.deepEqual(calls.map((call) => call.function), [{ name: 'get_weather', arguments: '{"city":"Paris"}' }, { name: 'get_weather', arguments: '{"city":"Rome"}' }]);
      assert.ok(calls.every((call) => /^call_[0-9a-f]{24}$/.test(call.id)));
      assert.notEqual(calls[0]!.id, calls[1]!.id);
    });

    it('stream: one delta per call with index 0 then 1, id, name and whole arguments', async () => {
      upstream.fake.script(reply);
      const chunks = bare(await collect(await adapter().stream(ask(), upstream.target)));
      const calls = chunks.slice(1, 3).map((chunk) => chunk.choices[0]!.delta.tool_calls![0]!);
      assert.deepEqual(calls.map((call) => ({ ...call, id: typeof call.id })), [
        { index: 0, id: 'string', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { index: 1, id: 'string', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
      ]);
      assert.deepEqual(chunks[0], delta({ role: 'assistant', content: '' }));
      assert.deepEqual(chunks[3], delta({}, 'tool_calls'));
      assert.ok(chunks[4]!.usage);
    });

    it('sends tool history as functionCall / functionResponse parts, naming each result after its call', async () => {
      await adapter().complete(chatRequest({
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: 'Checking.', tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } },
          ] },
          { role: 'tool', tool_call_id: 'call_a', content: '{"temp":21}' },
          { role: 'tool', tool_call_id: 'call_b', content: '12:00' },
        ],
      }), { ...upstream.target, model: 'gemini-3-pro-preview' });
      assert.deepEqual(upstream.fake.generateRequests[0]!.body!.contents, [
        { role: 'user', parts: [{ text: 'Weather?' }] },
        { role: 'model', parts: [
          { text: 'Checking.' },
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'skip_thought_signature_validator' },
          { functionCall: { name: 'get_time', args: {} } },
        ] },
        { role: 'user', parts: [
          { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
          { functionResponse: { name: 'get_time', response: { output: '12:00' } } },
        ] },
      ]);
    });
  });

  describe('golden: json_schema as responseSchema in Gemini\'s dialect', () => {
    const ask = () => chatRequest({ response_format: { type: 'json_schema', json_schema: { name: 'Person', schema: PERSON_SCHEMA, strict: true } } });
    const expectedSchema = {
      type: 'OBJECT',
      properties: {
        name: { type: 'STRING', description: 'Name' },
        pet: { type: 'OBJECT', properties: { kind: { type: 'STRING', format: 'enum', enum: ['cat', 'dog'] } }, required: ['kind'], propertyOrdering: ['kind'], nullable: true },
      },
      required: ['name'],
      propertyOrdering: ['name', 'pet'],
    };

    it('non-stream', async () => {
      upstream.fake.script({ content: '{"name":"Ada","pet":null}' });
      const result = await adapter().complete(ask(), upstream.target);
      assert.deepEqual(upstream.fake.generateRequests[0]!.body!.generationConfig, { responseMimeType: 'application/json', responseSchema: expectedSchema });
      assert.equal(result.completion.choices[0]!.message.content, '{"name":"Ada","pet":null}');
    });

    it('stream', async () => {
      upstream.fake.script({ content: '{"name":"Ada","pet":null}' });
      const events = await collect(await adapter().stream(ask(), upstream.target));
      assert.deepEqual(upstream.fake.generateRequests[0]!.body!.generationConfig, { responseMimeType: 'application/json', responseSchema: expectedSchema });
      assert.equal(events.map((event) => event.text).join(''), '{"name":"Ada","pet":null}');
    });
  });

  describe('golden: image input', () => {
    const ask = () => chatRequest({ messages: [{ role: 'user', content: [
      { type: 'text', text: 'What colour?' }, { type: 'image_url', image_url: { url: RED_PIXEL } }, { type: 'image_url', image_url: { url: 'https://example.com/cat.webp' } },
    ] }] });
    const parts = [{ text: 'What colour?' }, { inlineData: { mimeType: 'image/png', data: RED_PIXEL.split(',')[1] } }, { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp' } }];

    for (const mode of ['non-stream', 'stream'] as const) {
      it(mode, async () => {
        upstream.fake.script({ content: 'Red.' });
        const text = mode === 'stream'
          ? (await collect(await adapter().stream(ask(), upstream.target))).map((event) => event.text).join('')
          : (await adapter().complete(ask(), upstream.target)).completion.choices[0]!.message.content;
        assert.deepEqual(upstream.fake.generateRequests[0]!.body!.contents, [{ role: 'user', parts }]);
        assert.equal(text, 'Red.');
      });
    }
  });

  it('safety blocks are errors: a blocked prompt and a blocked answer, stream and non-stream', async () => {
    const blocked: FakeGeminiReply[] = [{ blockReason: 'SAFETY' }, { content: '', finishReason: 'SAFETY' }];
    for (const reply of blocked) {
      upstream.fake.script(reply, reply);
      for (const call of [() => adapter().complete(chatRequest(), upstream.target), async () => collect(await adapter().stream(chatRequest(), upstream.target))]) {
        await assert.rejects(call(), (error: unknown) => {
          assert.ok(error instanceof UpstreamError);
          assert.equal(error.kind, 'client');
          assert.equal(error.providerCode, 'SAFETY');
          assert.match(error.message, /blocked by the model provider's content filters/);
          return true;
        });
      }
    }
  });

  const statusCases: Array<StatusCase<FakeGeminiReply>> = [
    { name: '503 UNAVAILABLE (overloaded)', reply: { status: 503 }, kind: 'overloaded', retryable: true },
    { name: '429 RESOURCE_EXHAUSTED with a RetryInfo delay', reply: { status: 429, retryDelay: '37s' }, kind: 'rate_limited', retryable: true, retryAfterMs: 37_000 },
    { name: '500 INTERNAL', reply: { status: 500 }, kind: 'server', retryable: true },
    { name: '400 input too long', reply: { status: 400, errorMessage: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).' }, kind: 'context_window', retryable: false },
    { name: '400 INVALID_ARGUMENT', reply: { status: 400 }, kind: 'client', retryable: false },
    { name: '404 NOT_FOUND', reply: { status: 404 }, kind: 'not_found', retryable: false },
  ];
  itMapsStatusCases(statusCases, upstream, adapter, /https?:\/\//);

  it('an invalid key (Gemini\'s 400 API_KEY_INVALID) is the operator\'s auth error; the key is never shown', async () => {
    const wrongKey = 'AIzaSyWRONGKEY9876543210zyxwvutsrqponm';
    await assert.rejects(adapter().complete(chatRequest(), { ...upstream.target, apiKey: wrongKey }), (error: unknown) => {
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.kind, 'auth');
      assert.equal(error.shouldFallback, true);
      for (const secret of [wrongKey, wrongKey.slice(-4), '127.0.0.1']) assert.ok(!error.message.includes(secret), `${secret} in "${error.message}"`);
      return true;
    });
    assert.ok(upstream.fake.requests.every((recorded) => !recorded.query.includes(wrongKey) && !recorded.query.includes('key=')));
  });

  it('stream faults: reset before headers and mid-stream, a malformed event, an error event, an early end', async () => {
    upstream.fake.script({ resetBeforeHeaders: true }, { resetAfterChunks: 1 }, { malformedAtChunk: 1 }, { errorEventAfterChunks: 1 }, { resetAfterChunks: 2, content: 'a b c' });
    await assert.rejects(adapter().stream(chatRequest(), upstream.target), UpstreamConnectionError);
    await assert.rejects(collect(await adapter().stream(chatRequest(), upstream.target)), UpstreamConnectionError);
    await assert.rejects(collect(await adapter().stream(chatRequest(), upstream.target)), UpstreamProtocolError);
    await assert.rejects(collect(await adapter().stream(chatRequest(), upstream.target)), (error: unknown) => error instanceof UpstreamError && error.kind === 'overloaded' && error.isRetryable);
    await assert.rejects(collect(await adapter().stream(chatRequest(), upstream.target)), UpstreamConnectionError);
  });

  it('missing usage: no usage chunk and null usage', async () => {
    upstream.fake.script({ omitUsage: true }, { omitUsage: true });
    const events = await collect(await adapter().stream(chatRequest(), upstream.target));
    assert.ok(events.every((event) => event.usage === null));
    assert.equal(events.at(-1)!.finishReason, 'stop');
    assert.equal((await adapter().complete(chatRequest(), upstream.target)).usage, null);
  });

  it('times out on a slow first byte; aborting mid-stream closes the upstream connection', async () => {
    upstream.fake.script({ firstByteDelayMs: 5_000 }, { chunkDelayMs: 300 });
    await assert.rejects(adapter().stream(chatRequest(), upstream.target, { timeouts: { firstByteMs: 50 } }), (error: unknown) => error instanceof UpstreamTimeoutError && error.phase === 'first_byte');
    const controller = new AbortController();
    const iterator = (await adapter().stream(chatRequest(), upstream.target, { signal: controller.signal }))[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).value?.text, '');
    assert.equal((await iterator.next()).value?.text, 'Hello ');
    const closed = upstream.fake.nextClientClose();
    const next = iterator.next();
    controller.abort();
    await assert.rejects(next, UpstreamCancelledError);
    assert.equal((await closed).clientClosed, true);
  });
});
