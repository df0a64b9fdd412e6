import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import type { ChatCompletionRequest, ChatUsage } from '@saas-llm/protocol';
import { AnthropicAdapter } from './anthropic-adapter.ts';
import { GeminiAdapter } from './gemini-adapter.ts';
import { createOpenAIAdapter } from './openai-adapter.ts';
import type { DeploymentTarget, ProviderAdapter, StreamEvent } from './provider-adapter.ts';
import { UpstreamPools } from './upstream-pools.ts';

/*
 * Opt-in: the golden cases of the adapter tests against the real providers, run when their keys are in
 * the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY; models overridable with
 * OPENAI_LIVE_MODEL, ANTHROPIC_LIVE_MODEL, GEMINI_LIVE_MODEL), skipped otherwise. Real models word
 * things their own way, so these check shape and meaning, not exact text.
 */

interface LiveProvider {
  name: string;
  keyVariable: string;
  modelVariable: string;
  defaultModel: string;
  provider: DeploymentTarget['provider'];
  adapter: (pools: UpstreamPools) => ProviderAdapter;
}

const PROVIDERS: LiveProvider[] = [
  { name: 'OpenAI', keyVariable: 'OPENAI_API_KEY', modelVariable: 'OPENAI_LIVE_MODEL', defaultModel: 'gpt-4o-mini', provider: 'openai', adapter: createOpenAIAdapter },
  { name: 'Anthropic', keyVariable: 'ANTHROPIC_API_KEY', modelVariable: 'ANTHROPIC_LIVE_MODEL', defaultModel: 'claude-haiku-4-5', provider: 'anthropic', adapter: (pools) => new AnthropicAdapter(pools) },
  { name: 'Gemini', keyVariable: 'GEMINI_API_KEY', modelVariable: 'GEMINI_LIVE_MODEL', defaultModel: 'gemini-2.5-flash', provider: 'gemini', adapter: (pools) => new GeminiAdapter(pools) },
];

const WEATHER_TOOL = { type: 'function', function: { name: 'get_weather', description: 'Current weather of one city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const CAPITAL_SCHEMA = { type: 'object', properties: { city: { type: 'string' }, country: { type: 'string' }, population_millions: { type: 'number' } }, required: ['city', 'country'] };

/** A 16×16 solid red PNG, built here so the test needs no fixture file. */
function redSquarePng(): string {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
    return Buffer.concat([length, Buffer.from(type), data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(16, 0);
  header.writeUInt32BE(16, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(16 * 3, Buffer.from([255, 0, 0]))]);
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(Array(16).fill(row)))), chunk('IEND', Buffer.alloc(0))]);
  return `data:image/png;base64,${png.toString('base64')}`;
}

const GOLDEN: Record<'text' | 'tools' | 'json_schema' | 'image', Partial<ChatCompletionRequest>> = {
  text: { messages: [{ role: 'user', content: 'Reply with exactly one word: pong' }], max_tokens: 20 },
  tools: {
    messages: [{ role: 'user', content: 'What is the weather in Paris and in Rome? Call the tool once for each city, both at once.' }],
    tools: [WEATHER_TOOL] as ChatCompletionRequest['tools'], tool_choice: 'required', max_tokens: 300,
  },
  json_schema: {
    messages: [{ role: 'user', content: 'Which city is the capital of France?' }], max_tokens: 300,
    response_format: { type: 'json_schema', json_schema: { name: 'Capital', strict: true, schema: CAPITAL_SCHEMA } },
  },
  image: { messages: [{ role: 'user', content: [{ type: 'text', text: 'What colour is this image? Answer with one word.' }, { type: 'image_url', image_url: { url: redSquarePng() } }] }], max_tokens: 20 },
};

/** What a stream adds up to, read the way the gateway reads it. */
async function assemble(events: AsyncIterable<StreamEvent>) {
  let text = '';
  let usage: ChatUsage | null = null;
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  let finishReason: string | null = null;
  for await (const event of events) {
    const chunk = event.chunk;
    usage = event.usage ?? usage;
    finishReason = event.finishReason ?? finishReason;
    for (const choice of chunk.choices) {
      text += choice.delta.content ?? '';
      for (const call of choice.delta.tool_calls ?? []) {
        const known = calls.get(call.index) ?? { id: '', name: '', arguments: '' };
        calls.set(call.index, { id: call.id ?? known.id, name: call.function?.name ?? known.name, arguments: known.arguments + (call.function?.arguments ?? '') });
      }
    }
  }
  return { text, usage, finishReason, calls: [...calls.entries()].sort(([a], [b]) => a - b) };
}

for (const live of PROVIDERS) {
  const apiKey = process.env[live.keyVariable];
  describe(`live ${live.name}`, { skip: apiKey ? false : `${live.keyVariable} is not set` }, () => {
    const pools = new UpstreamPools();
    after(() => pools.destroy());
    const target = (): DeploymentTarget => ({
      provider: live.provider, model: process.env[live.modelVariable] ?? live.defaultModel, apiBase: null, apiKey: apiKey ?? null, apiVersion: null, extraHeaders: {}, timeoutMs: 60_000, settings: {},
    });
    const ask = (golden: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({ model: 'live', ...golden }) as ChatCompletionRequest;

    for (const mode of ['non-stream', 'stream'] as const) {
      const run = async (golden: Partial<ChatCompletionRequest>) => {
        const adapter = live.adapter(pools);
        if (mode === 'stream') return assemble(await adapter.stream(ask(golden), target()));
        const { completion, usage } = await adapter.complete(ask(golden), target());
        const message = completion.choices[0]!.message;
        return {
          text: message.content ?? '', usage, finishReason: completion.choices[0]!.finish_reason,
          calls: (message.tool_calls ?? []).map((call, index) => [index, { id: call.id, name: call.function.name, arguments: call.function.arguments }] as const),
        };
      };

      it(`${mode}: text, with usage`, async () => {
        const answer = await run(GOLDEN.text);
        assert.match(answer.text, /pong/i);
        assert.equal(answer.finishReason, 'stop');
        assert.ok(answer.usage && answer.usage.prompt_tokens > 0 && answer.usage.completion_tokens > 0, JSON.stringify(answer.usage));
      });

      it(`${mode}: two parallel tool calls, indices 0 and 1`, async () => {
        const answer = await run(GOLDEN.tools);
        assert.equal(answer.finishReason, 'tool_calls');
        assert.deepEqual(answer.calls.map(([index]) => index), [0, 1]);
        assert.ok(answer.calls.every(([, call]) => call.name === 'get_weather' && call.id.length > 0));
        const cities = answer.calls.map(([, call]) => (JSON.parse(call.arguments) as { city: string }).city).sort();
        assert.deepEqual(cities.map((city) => city.toLowerCase()), ['paris', 'rome']);
      });

      it(`${mode}: json_schema`, async () => {
        const answer = await run(GOLDEN.json_schema);
        const value = JSON.parse(answer.text) as { city: string; country: string };
        assert.match(value.city, /paris/i);
        assert.equal(typeof value.country, 'string');
      });

      it(`${mode}: image input`, async () => {
        assert.match((await run(GOLDEN.image)).text, /red/i);
      });
    }
  });
}
