import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatCompletionRequest } from '@saas-llm/protocol';
import { toAnthropicRequest } from './anthropic-request.ts';
import type { DeploymentTarget } from './provider-adapter.ts';
import { UpstreamError } from './upstream-error.ts';

const target: DeploymentTarget = { provider: 'anthropic', model: 'claude-haiku-4-5', apiBase: null, apiKey: 'k', apiVersion: null, extraHeaders: {}, timeoutMs: null, settings: {} };
const ask = (extra: Record<string, unknown> = {}): ChatCompletionRequest => ({ model: 'g', messages: [{ role: 'user', content: 'Hi' }], ...extra }) as ChatCompletionRequest;
const TOOL = { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } };

describe('toAnthropicRequest', () => {
  it('system and developer messages become system blocks, keeping a cache_control marker', () => {
    const { body } = toAnthropicRequest(ask({ messages: [
      { role: 'system', content: [{ type: 'text', text: 'Long context', cache_control: { type: 'ephemeral' } }] },
      { role: 'developer', content: 'Be terse.' },
      { role: 'user', content: 'Hi' },
    ] }), target, false);
    assert.deepEqual(body.system, [{ type: 'text', text: 'Long context', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Be terse.' }]);
    assert.deepEqual(body.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
  });

  it('tool_choice: auto, none, required → any, named → tool; parallel_tool_calls: false → disable_parallel_tool_use; custom tools dropped', () => {
    const choiceOf = (extra: Record<string, unknown>) => toAnthropicRequest(ask({ tools: [TOOL], ...extra }), target, false).body.tool_choice;
    assert.deepEqual(choiceOf({ tool_choice: 'auto' }), { type: 'auto' });
    assert.deepEqual(choiceOf({ tool_choice: 'none' }), { type: 'none' });
    assert.deepEqual(choiceOf({ tool_choice: 'required' }), { type: 'any' });
    assert.deepEqual(choiceOf({ tool_choice: { type: 'function', function: { name: 'f' } } }), { type: 'tool', name: 'f' });
    assert.deepEqual(choiceOf({ tool_choice: 'auto', parallel_tool_calls: false }), { type: 'auto', disable_parallel_tool_use: true });
    const withCustom = toAnthropicRequest(ask({ tools: [TOOL, { type: 'custom', custom: { name: 'grammar' } }] }), target, false);
    assert.equal((withCustom.body.tools as unknown[]).length, 1);
    assert.deepEqual(withCustom.droppedParams, ['tools.custom']);
  });

  it('json_object becomes a forced tool taking any object; json_schema next to tenant tools makes the model call one of them', () => {
    const jsonObject = toAnthropicRequest(ask({ response_format: { type: 'json_object' } }), target, false);
    assert.deepEqual(jsonObject.body.tools, [{ name: 'json_response', description: 'Give your final answer by calling this tool: its input is the answer, and it must follow the schema exactly.', input_schema: { type: 'object' } }]);
    assert.deepEqual(jsonObject.responseTool, { name: 'json_response', wrapped: false, exclusive: true });
    const mixed = toAnthropicRequest(ask({ tools: [TOOL], response_format: { type: 'json_schema', json_schema: { name: 'f', schema: { type: 'object', properties: {} } } } }), target, false);
    assert.deepEqual((mixed.body.tools as Array<{ name: string }>).map((tool) => tool.name), ['f', 'f_response']);
    assert.deepEqual(mixed.body.tool_choice, { type: 'any' });
    assert.deepEqual(mixed.responseTool, { name: 'f_response', wrapped: false, exclusive: false });
  });

  it('max_tokens: the tenant\'s, else the deployment\'s default_max_tokens, else 4096', () => {
    assert.equal(toAnthropicRequest(ask({ max_tokens: 10, max_completion_tokens: 20 }), target, false).body.max_tokens, 20);
    assert.equal(toAnthropicRequest(ask(), { ...target, settings: { default_max_tokens: 16000 } }, false).body.max_tokens, 16000);
    assert.equal(toAnthropicRequest(ask(), target, true).body.max_tokens, 4096);
    assert.equal(toAnthropicRequest(ask(), target, true).body.stream, true);
  });

  it('files become document blocks; a prefilled assistant turn loses its trailing whitespace; empty assistant text is not sent', () => {
    const pdf = `data:application/pdf;base64,${Buffer.from('%PDF-1.4').toString('base64')}`;
    const { body } = toAnthropicRequest(ask({ messages: [
      { role: 'user', content: [{ type: 'file', file: { file_data: pdf, filename: 'a.pdf' } }, { type: 'file', file: { file_data: 'data:text/plain,hello%20world' } }] },
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
      { role: 'assistant', content: 'The answer is ' },
    ] }), target, false);
    assert.deepEqual(body.messages, [
      { role: 'user', content: [
        { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf.split(',')[1] } },
        { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'hello world' } },
      ] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'ok' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'The answer is' }] },
    ]);
  });

  it('refuses, as the tenant\'s error, what Anthropic cannot do: n > 1, audio input, non-object tool arguments', () => {
    const refused = (extra: Record<string, unknown>) => assert.throws(() => toAnthropicRequest(ask(extra), target, false), (error: unknown) => error instanceof UpstreamError && error.kind === 'client');
    refused({ n: 2 });
    refused({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] });
    refused({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] });
    assert.equal(toAnthropicRequest(ask({ n: 1 }), target, false).droppedParams.length, 0);
  });
});
