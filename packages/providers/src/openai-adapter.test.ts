import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeOpenAIServer, type FakeReply } from '@saas-llm/testkit';
import { chatRequest, collect, itMapsStatusCases, useFakeUpstream, type StatusCase } from './adapter-test-support.ts';
import { createOpenAIAdapter, createOpenAICompatibleAdapter } from './openai-adapter.ts';
import type { CallOptions, DeploymentTarget, StreamEvent } from './provider-adapter.ts';
import {
  UpstreamCancelledError, UpstreamConnectionError, UpstreamError, UpstreamProtocolError, UpstreamTimeoutError,
} from './upstream-error.ts';

const API_KEY = 'sk-test-0123456789abcdefghijklmnopqrstuvwxyzWXYZ';

describe('OpenAI adapter against the fake OpenAI server', () => {
  const upstream = useFakeUpstream(() => FakeOpenAIServer.start({ apiKey: API_KEY }), { provider: 'openai', model: 'gpt-4o-mini', apiKey: API_KEY, extraHeaders: { 'openai-organization': 'org-test' } });
  const adapter = () => createOpenAIAdapter(upstream.pools);

  it('completes: the upstream\'s completion and usage, the deployment\'s model, gateway fields removed, unknown params forwarded', async () => {
    const result = await adapter().complete(chatRequest({ temperature: 0.2, purpose: 'greeting', model_group: 'chat-fast', call_metadata: { a: 1 }, top_k: 5, stream_options: { include_usage: true }, stop: null }), upstream.target);
    assert.equal(result.status, 200);
    assert.equal(result.completion.object, 'chat.completion');
    assert.equal(result.completion.model, 'gpt-4o-mini-2024-08-06');
    assert.equal(result.completion.choices[0]!.message.content, 'Hello from the fake OpenAI server.');
    assert.deepEqual(result.usage, result.completion.usage);
    assert.ok(result.usage!.prompt_tokens > 0);
    const sent = upstream.fake.chatRequests[0]!;
    assert.equal(sent.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(sent.headers['openai-organization'], 'org-test');
    assert.deepEqual(sent.body, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }], temperature: 0.2, top_k: 5 });
  });

  it('streams the upstream\'s bytes unchanged, asks for usage, and reads it from the last chunk', async () => {
    upstream.fake.script({ content: 'One two three four.' });
    const stream = await adapter().stream(chatRequest({ stream_options: { include_obfuscation: false } }), upstream.target);
    assert.equal(stream.status, 200);
    assert.match(String(stream.headers['content-type']), /text\/event-stream/);
    const events = await collect(stream);
    const sent = upstream.fake.chatRequests[0]!;
    assert.equal(sent.body!.stream, true);
    assert.deepEqual(sent.body!.stream_options, { include_obfuscation: false, include_usage: true });
    assert.equal(Buffer.concat(events.map((event) => event.raw)).toString('utf8') + 'data: [DONE]\n\n', sent.responseBody);
    assert.equal(events.map((event) => event.text).join(''), 'One two three four.');
    assert.equal(events.at(-2)!.finishReason, 'stop');
    const usage = events.at(-1)!.usage;
    assert.equal(usage?.completion_tokens, 4);
    assert.equal(usage?.prompt_tokens_details?.cached_tokens, 0);
    assert.match(events[1]!.withModel('chat-fast').toString('utf8'), /"model":"chat-fast"/);
    assert.doesNotMatch(events[1]!.withModel('chat-fast').toString('utf8'), /gpt-4o/);
  });

  it('reuses the keep-alive connection across calls, streams included', async () => {
    const before = upstream.fake.connectionCount;
    await collect(await adapter().stream(chatRequest(), upstream.target));
    await collect(await adapter().stream(chatRequest(), upstream.target));
    await adapter().complete(chatRequest(), upstream.target);
    assert.ok(upstream.fake.connectionCount - before <= 1, `opened ${upstream.fake.connectionCount - before} connections`);
    assert.equal(upstream.pools.size, 1);
  });

  it('passes a stream without usage through (the gateway estimates), and a stream without [DONE] that finished', async () => {
    upstream.fake.script({ omitUsage: true }, { omitUsage: true, omitDone: true }, { omitUsage: true });
    for (let round = 0; round < 2; round++) {
      const events = await collect(await adapter().stream(chatRequest(), upstream.target));
      assert.ok(events.every((event) => event.usage === null));
      assert.equal(events.at(-1)!.finishReason, 'stop');
    }
    const result = await adapter().complete(chatRequest(), upstream.target);
    assert.equal(result.usage, null);
  });

  const statusCases: Array<StatusCase<FakeReply>> = [
    { name: '429 with Retry-After seconds', reply: { status: 429, retryAfter: '7' }, kind: 'rate_limited', gatewayStatus: 503, retryable: true, retryAfterMs: 7000 },
    { name: '429 insufficient_quota', reply: { status: 429, error: { code: 'insufficient_quota', type: 'insufficient_quota' } }, kind: 'quota', gatewayStatus: 503, retryable: false },
    { name: '500', reply: { status: 500 }, kind: 'server', gatewayStatus: 502, retryable: true },
    { name: '503 overloaded', reply: { status: 503, error: { message: 'The engine is currently overloaded' } }, kind: 'overloaded', gatewayStatus: 503, retryable: true },
    { name: '408', reply: { status: 408 }, kind: 'server', gatewayStatus: 502, retryable: true },
    { name: '409', reply: { status: 409 }, kind: 'server', gatewayStatus: 502, retryable: true },
    { name: '400 context too long', reply: { status: 400, error: { message: 'This model\'s maximum context length is 128000 tokens.', code: 'context_length_exceeded', param: 'messages' } }, kind: 'context_window', gatewayStatus: 400, retryable: false },
    { name: '400 invalid schema', reply: { status: 400, error: { message: 'Invalid schema for function \'f\'.', param: 'tools[0]' } }, kind: 'client', gatewayStatus: 400, retryable: false },
    { name: '404 model not found', reply: { status: 404, error: { message: 'The model does not exist', code: 'model_not_found' } }, kind: 'not_found', gatewayStatus: 502, retryable: false },
    { name: '502 HTML page from a proxy', reply: { status: 502, rawErrorBody: '<html>Bad gateway at https://edge.example.net/x</html>' }, kind: 'server', gatewayStatus: 502, retryable: true },
  ];
  itMapsStatusCases(statusCases, upstream, adapter, /https?:\/\/|127\.0\.0\.1/);

  it('reads Retry-After as an HTTP date', async () => {
    upstream.fake.script({ status: 503, retryAfter: new Date(Date.now() + 30_000).toUTCString() });
    await assert.rejects(adapter().complete(chatRequest(), upstream.target), (error: unknown) => error instanceof UpstreamError && error.retryAfterMs !== null && error.retryAfterMs > 25_000 && error.retryAfterMs <= 30_000);
  });

  it('never shows the provider key or URL in errors (OpenAI echoes a masked key and a URL on 401)', async () => {
    const wrongKey = 'sk-proj-WRONGKEY0123456789abcdefghijklmn9876';
    await assert.rejects(adapter().complete(chatRequest(), { ...upstream.target, apiKey: wrongKey }), (error: unknown) => {
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.kind, 'auth');
      assert.equal(error.gatewayStatus, 502);
      assert.match(error.message, /Incorrect API key provided/);
      for (const secret of [wrongKey, wrongKey.slice(0, 8), wrongKey.slice(-4), 'platform.openai.com', 'https://']) assert.ok(!error.message.includes(secret), `${secret} in "${error.message}"`);
      return true;
    });
  });

  it('maps a reset before headers and a refused connection to retryable connection errors', async () => {
    upstream.fake.script({ resetBeforeHeaders: true }, { resetBeforeHeaders: true });
    await assert.rejects(adapter().complete(chatRequest(), upstream.target), (error: unknown) => error instanceof UpstreamConnectionError && error.isRetryable && error.gatewayStatus === 503);
    await assert.rejects(adapter().stream(chatRequest(), upstream.target), UpstreamConnectionError);
    const closed = await FakeOpenAIServer.start();
    const closedBase = closed.baseUrl;
    await closed.close();
    await assert.rejects(adapter().complete(chatRequest(), { ...upstream.target, apiBase: closedBase }), (error: unknown) => {
      assert.ok(error instanceof UpstreamConnectionError);
      assert.doesNotMatch(error.message, /127\.0\.0\.1|http/);
      return true;
    });
  });

  it('times out: slow first byte on a stream, total on a non-stream, silence between chunks', async () => {
    upstream.fake.script({ firstByteDelayMs: 5_000 }, { firstByteDelayMs: 5_000 }, { chunkDelayMs: 5_000 });
    const fast: CallOptions = { timeouts: { firstByteMs: 50, idleMs: 50 } };
    await assert.rejects(adapter().stream(chatRequest(), upstream.target, fast), (error: unknown) => error instanceof UpstreamTimeoutError && error.phase === 'first_byte' && error.isRetryable && error.gatewayStatus === 504);
    await assert.rejects(adapter().complete(chatRequest(), { ...upstream.target, timeoutMs: 50 }), (error: unknown) => error instanceof UpstreamTimeoutError && error.phase === 'total');
    const stream = await adapter().stream(chatRequest(), upstream.target, fast);
    await assert.rejects(collect(stream), (error: unknown) => error instanceof UpstreamTimeoutError && error.phase === 'idle');
  });

  it('fails mid-stream on a reset, a malformed event and an error event, after yielding what came before', async () => {
    // A reset may also discard frames that arrived in the same read as the reset, hence "at most".
    const cases: Array<[FakeReply, (error: unknown) => boolean, (seen: number) => boolean]> = [
      [{ resetAfterChunks: 2 }, (error) => error instanceof UpstreamConnectionError && error.isRetryable, (seen) => seen <= 2],
      [{ malformedAtChunk: 2 }, (error) => error instanceof UpstreamProtocolError && error.gatewayStatus === 502, (seen) => seen === 2],
      [{ errorEventAfterChunks: 2 }, (error) => error instanceof UpstreamError && error.kind === 'server', (seen) => seen === 2],
    ];
    for (const [reply, check, seenBefore] of cases) {
      upstream.fake.script(reply);
      const seen: StreamEvent[] = [];
      await assert.rejects(async () => {
        for await (const event of await adapter().stream(chatRequest(), upstream.target)) seen.push(event);
      }, check);
      assert.ok(seenBefore(seen.length), `${JSON.stringify(reply)}: ${seen.length} events before the failure`);
    }
  });

  it('aborts the upstream request when the caller\'s signal fires — before headers and mid-stream', async () => {
    upstream.fake.script({ firstByteDelayMs: 10_000 }, { chunkDelayMs: 10_000 });
    const early = new AbortController();
    const closedEarly = upstream.fake.nextClientClose();
    const pending = adapter().complete(chatRequest(), upstream.target, { signal: early.signal });
    await new Promise((resolve) => upstream.fake.events.once('request', resolve));
    early.abort();
    await assert.rejects(pending, UpstreamCancelledError);
    assert.equal((await closedEarly).clientClosed, true);

    const late = new AbortController();
    const stream = await adapter().stream(chatRequest(), upstream.target, { signal: late.signal });
    const iterator = stream[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).done, false);
    const closedLate = upstream.fake.nextClientClose();
    const next = iterator.next();
    late.abort();
    await assert.rejects(next, UpstreamCancelledError);
    assert.equal((await closedLate).clientClosed, true);
  });

  it('embeds through the same pool', async () => {
    const result = await adapter().embed({ model: 'emb', input: ['a', 'b'], dimensions: 4 }, { ...upstream.target, model: 'text-embedding-3-small' });
    assert.equal(result.response.data.length, 2);
    assert.equal((result.response.data[0]!.embedding as number[]).length, 4);
    assert.equal(upstream.fake.requests.at(-1)!.body!.model, 'text-embedding-3-small');
  });

  it('applies an openai-compatible descriptor: Mistral renames and drops what it rejects', async () => {
    const compatible = createOpenAICompatibleAdapter(upstream.pools);
    const mistral: DeploymentTarget = { ...upstream.target, provider: 'openai-compatible', settings: { compat: 'mistral' } };
    const stream = await compatible.stream(chatRequest({ seed: 7, user: 'u1', top_k: 3, tool_choice: 'required', tools: [{ type: 'function', function: { name: 'f' } }] }), mistral);
    await collect(stream);
    const body = upstream.fake.chatRequests[0]!.body!;
    assert.equal(body.random_seed, 7);
    assert.equal(body.tool_choice, 'any');
    assert.equal(body.stream_options, undefined);
    assert.ok(!('seed' in body) && !('user' in body) && !('top_k' in body));
    assert.deepEqual([...stream.droppedParams].sort(), ['top_k', 'user']);
  });
});
