import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { llmCallRequestSchema } from './chat.ts';
import { fastParseLlmCall } from './llm-call-fast-parse.ts';

/** Values near every bound the schema checks, and of every JSON type. */
const anyValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, 1, 2, 2.5, -2, -2.5, 0.5, 1.5, 20, 21, 128, 129, -1, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1e300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom('', 'a', 'low', 'x'.repeat(32), 'x'.repeat(33), 'x'.repeat(200), 'x'.repeat(201), 'x'.repeat(256), 'x'.repeat(257)),
  fc.string({ maxLength: 8 }),
  fc.constantFrom([], ['a'], [1], {}, { type: 'text' }, { a: 1 }),
);
const roles = fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'function', 'other', '');
const message = fc.oneof(
  fc.record({ role: roles, content: fc.oneof(fc.string({ maxLength: 8 }), anyValue) }),
  fc.record({ role: roles, content: fc.string({ maxLength: 8 }), name: fc.oneof(fc.constant(null), fc.string({ maxLength: 4 }), anyValue) }, { requiredKeys: ['role'] }),
  fc.record({ content: fc.string({ maxLength: 4 }), role: roles }),
  fc.dictionary(fc.constantFrom('role', 'content', 'name', 'tool_calls', 'refusal', 'extra'), anyValue),
  anyValue,
);
const KEYS = [
  'model', 'model_group', 'temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'frequency_penalty', 'presence_penalty', 'stop',
  'parallel_tool_calls', 'seed', 'n', 'user', 'logprobs', 'top_logprobs', 'reasoning_effort', 'stream', 'purpose', 'validate', 'tools',
  'response_format', 'call_metadata', 'stream_options', 'logit_bias', 'service_tier', 'store', 'metadata', 'extra_field',
];
/** Per key: values the schema accepts (bounds included) and values just outside them. */
const EDGES: Record<string, unknown[]> = {
  temperature: [0, -0, 2, 1.3, null, -0.001, 2.001], top_p: [0, 1, 0.5, null, 1.01, -0.01], max_tokens: [1, 16, 2 ** 53 - 1, null, 0, 2 ** 53, 1.5],
  max_completion_tokens: [1, 500, null, 0, -1], frequency_penalty: [-2, 2, 0.1, null, -2.01, 2.01], presence_penalty: [-2, 2, -0.1, null, 2.5],
  stop: ['\n', '', null, ['a'], 1], parallel_tool_calls: [true, false, null, 'true'], seed: [0, -5, 42, -(2 ** 53 - 1), null, 0.5, -(2 ** 53)],
  n: [1, 128, null, 0, 129], user: ['u-1', '', null, 1], logprobs: [true, false, null, 0], top_logprobs: [0, 20, null, -1, 21],
  reasoning_effort: ['low', 'x'.repeat(32), null, '', 'x'.repeat(33)], stream: [true, false, null, 'yes'],
  purpose: ['', 'x'.repeat(200), null, 'x'.repeat(201)], model: ['m', 'x'.repeat(256), '', 'x'.repeat(257), null],
  model_group: ['g', 'x'.repeat(256), '', 'x'.repeat(257), null],
  service_tier: ['auto'], store: [false], metadata: [{ run: '1' }], extra_field: [[1, 2]],
};
const fieldValue = (key: string) => (EDGES[key] ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...EDGES[key]) }, { weight: 1, arbitrary: anyValue }) : anyValue);
const goodMessage = fc.record({ role: fc.constantFrom('system', 'developer', 'user', 'assistant'), content: fc.string({ maxLength: 8 }), name: fc.oneof(fc.constant(null), fc.string({ maxLength: 4 })) }, { requiredKeys: ['role', 'content'] });
const fields = fc.shuffledSubarray(KEYS, { maxLength: 5 }).chain((keys) => fc.tuple(...keys.map((key) => fieldValue(key))).map((values) => Object.fromEntries(keys.map((key, index) => [key, values[index]]))));
const body = fc.tuple(
  fields,
  fc.option(fc.constantFrom('bench-instant', 'gpt-4o-mini'), { nil: undefined }),
  fc.option(fc.constantFrom('group-a'), { nil: undefined }),
  fc.oneof({ weight: 3, arbitrary: fc.array(goodMessage, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.array(message, { maxLength: 4 }) }, { weight: 1, arbitrary: anyValue }),
  fc.boolean(),
).map(([fieldsOfBody, model, group, messages, messagesFirst]) => {
  const base: Record<string, unknown> = messagesFirst ? { messages, ...fieldsOfBody } : { ...fieldsOfBody, messages };
  if (model !== undefined) base.model = model;
  if (group !== undefined) base.model_group = group;
  return base;
});

describe('fastParseLlmCall', () => {
  it('accepts only what llmCallRequestSchema accepts, and returns exactly what it returns (key order included)', () => {
    let accepted = 0;
    fc.assert(fc.property(body, (input) => {
      const snapshot = JSON.stringify(input);
      const fast = fastParseLlmCall(input);
      assert.equal(JSON.stringify(input), snapshot, 'the input is not changed');
      if (fast === undefined) return;
      accepted += 1;
      const parsed = llmCallRequestSchema.safeParse(input);
      assert.ok(parsed.success, `zod rejects ${snapshot}`);
      assert.deepEqual(fast, parsed.data);
      assert.equal(JSON.stringify(fast), JSON.stringify(parsed.data));
    }), { numRuns: 5000 });
    assert.ok(accepted > 100, `the generator reaches the fast path (${accepted} accepted)`);
  });

  it('takes the bodies the job API and /v1 mostly see', () => {
    const bodies = [
      { model_group: 'bench-instant', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 16 },
      { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi', name: 'ada' }], temperature: 0.2, stream: true, user: 'u-1' },
      { model: 'm', messages: [{ content: 'x', role: 'assistant', name: null }], purpose: 'summary', seed: 7, store: false, service_tier: 'auto' },
    ];
    for (const input of bodies) {
      const fast = fastParseLlmCall(input);
      assert.ok(fast !== undefined, JSON.stringify(input));
      assert.equal(JSON.stringify(fast), JSON.stringify(llmCallRequestSchema.parse(input)));
    }
  });

  it('leaves everything it does not fully check to the schema (and so its error messages)', () => {
    const undecided = [
      undefined, null, [], 'text',
      { messages: [{ role: 'user', content: 'x' }] },
      { model: null, model_group: 'g', messages: [{ role: 'user', content: 'x' }] },
      { model: 'm', messages: [] },
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] },
      { model: 'm', messages: [{ role: 'tool', content: 'x', tool_call_id: 'c' }] },
      { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [] },
      { model: 'm', messages: [{ role: 'user', content: 'x' }], validate: true },
      { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 },
      { model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 3 },
      { model: 'm', messages: [{ role: 'user', content: 'x' }], stop: ['a'] },
      JSON.parse('{"model":"m","messages":[{"role":"user","content":"x"}],"__proto__":{"x":1}}'),
      Object.assign(Object.create(null), { model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    ];
    for (const input of undecided) assert.equal(fastParseLlmCall(input), undefined, JSON.stringify(input));
  });
});
