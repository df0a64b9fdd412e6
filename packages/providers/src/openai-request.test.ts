import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatCompletionRequest } from '@saas-llm/protocol';
import { descriptorFor, OPENAI_DESCRIPTOR } from './openai-compatible-descriptors.ts';
import { prepareChatRequest, prepareEmbeddingsRequest } from './openai-request.ts';
import type { DeploymentTarget } from './provider-adapter.ts';
import { UpstreamError } from './upstream-error.ts';

const target = (overrides: Partial<DeploymentTarget> = {}): DeploymentTarget => ({
  provider: 'openai-compatible', model: 'upstream-model', apiBase: 'https://api.example.test/v1', apiKey: 'sk-key', apiVersion: null,
  extraHeaders: {}, timeoutMs: null, settings: {}, ...overrides,
});

const body = (extra: Record<string, unknown> = {}): ChatCompletionRequest => ({
  model: 'chat-fast',
  messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi', name: 'alice' }],
  ...extra,
}) as ChatCompletionRequest;

const sent = (prepared: { body: string }): Record<string, unknown> => JSON.parse(prepared.body) as Record<string, unknown>;

describe('prepareChatRequest', () => {
  it('sends OpenAI the tenant\'s body untouched but for the model, gateway fields and nulls', () => {
    const prepared = prepareChatRequest(body({ purpose: 'p', validate: true, seed: 1, logit_bias: { 50256: -100 }, max_completion_tokens: 9, service_tier: 'flex', stop: null }), target({ provider: 'openai', apiBase: null }), OPENAI_DESCRIPTOR, false);
    assert.equal(prepared.origin, 'https://api.openai.com');
    assert.equal(prepared.path, '/v1/chat/completions');
    assert.equal(prepared.headers.authorization, 'Bearer sk-key');
    assert.deepEqual(sent(prepared), {
      model: 'upstream-model', messages: body().messages, seed: 1, logit_bias: { 50256: -100 }, max_completion_tokens: 9, service_tier: 'flex',
    });
    assert.deepEqual(prepared.droppedParams, []);
  });

  it('asks for usage on streams and keeps the tenant\'s other stream options', () => {
    const prepared = prepareChatRequest(body({ stream_options: { include_usage: false, include_obfuscation: false } }), target(), OPENAI_DESCRIPTOR, true);
    assert.deepEqual(sent(prepared).stream_options, { include_usage: true, include_obfuscation: false });
    assert.equal(sent(prepared).stream, true);
    assert.equal(prepared.headers.accept, 'text/event-stream');
  });

  it('applies Groq\'s quirks: drops logprobs/logit_bias and message names', () => {
    const groq = target({ apiBase: 'https://api.groq.com/openai/v1' });
    const prepared = prepareChatRequest(body({ logprobs: true, top_logprobs: 2, logit_bias: {}, temperature: 0 }), groq, descriptorFor(groq), false);
    const upstream = sent(prepared);
    assert.deepEqual(prepared.droppedParams.sort(), ['logit_bias', 'logprobs', 'top_logprobs']);
    assert.equal(upstream.temperature, 0);
    assert.ok((upstream.messages as Array<Record<string, unknown>>).every((message) => !('name' in message)));
    assert.equal(prepared.path, '/openai/v1/chat/completions');
  });

  it('maps max_completion_tokens to max_tokens for upstreams that only know the latter', () => {
    const together = target({ settings: { compat: 'together' } });
    assert.equal(sent(prepareChatRequest(body({ max_completion_tokens: 50 }), together, descriptorFor(together), false)).max_tokens, 50);
    assert.equal(sent(prepareChatRequest(body({ max_completion_tokens: 50, max_tokens: 20 }), together, descriptorFor(together), false)).max_tokens, 20);
  });

  it('forwards unknown parameters to generic OpenAI-format upstreams, and sends no key to keyless local servers', () => {
    const vllm = target({ apiBase: 'http://127.0.0.1:8000/v1/', settings: { compat: 'vllm' } });
    const prepared = prepareChatRequest(body({ guided_json: { type: 'object' }, top_k: 4 }), vllm, descriptorFor(vllm), false);
    assert.deepEqual(sent(prepared).guided_json, { type: 'object' });
    assert.equal(prepared.path, '/v1/chat/completions');
    const ollama = target({ apiBase: null, apiKey: 'ignored', settings: { compat: 'ollama' }, extraHeaders: { 'X-Trace': 't1' } });
    const local = prepareChatRequest(body(), ollama, descriptorFor(ollama), false);
    assert.equal(local.origin, 'http://127.0.0.1:11434');
    assert.equal(local.headers.authorization, undefined);
    assert.equal(local.headers['x-trace'], 't1');
  });

  it('keeps a base URL\'s query string', () => {
    const prepared = prepareChatRequest(body(), target({ apiBase: 'https://gw.example.test/openai/v1?tenant=a' }), OPENAI_DESCRIPTOR, false);
    assert.equal(prepared.path, '/openai/v1/chat/completions?tenant=a');
  });

  it('rejects a deployment without a usable base URL or with an unknown flavour as a configuration error', () => {
    const generic = target({ apiBase: null });
    assert.throws(() => prepareChatRequest(body(), generic, descriptorFor(generic), false), (error: unknown) => error instanceof UpstreamError && error.kind === 'not_found');
    assert.throws(() => prepareChatRequest(body(), target({ apiBase: 'not a url' }), OPENAI_DESCRIPTOR, false), UpstreamError);
    assert.throws(() => descriptorFor(target({ settings: { compat: 'nonesuch' } })), (error: unknown) => error instanceof UpstreamError && /nonesuch/.test(error.message));
  });

  it('prepares embeddings for the deployment\'s model', () => {
    const prepared = prepareEmbeddingsRequest({ model: 'emb', input: 'x', dimensions: null }, target(), OPENAI_DESCRIPTOR);
    assert.equal(prepared.path, '/v1/embeddings');
    assert.deepEqual(sent(prepared), { model: 'upstream-model', input: 'x' });
  });
});
