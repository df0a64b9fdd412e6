import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { reaskMessages, responseFormatFor, validateAnswer } from './structured-output.ts';

const Resume = z.object({
  full_name: z.string(),
  email: z.string(),
  skills: z.array(z.string()).default([]),
  experience_years: z.number().int().nullable().default(null),
}).meta({ title: 'Resume Data!' });

describe('structured output helpers', () => {
  test('responseFormatFor: the input JSON Schema (defaults optional), a safe name, strict by default, no $schema', () => {
    const format = responseFormatFor(Resume, {});
    assert.equal(format.type, 'json_schema');
    if (format.type !== 'json_schema') return;
    assert.equal(format.json_schema.name, 'Resume_Data_');
    assert.equal(format.json_schema.strict, true);
    const schema = format.json_schema.schema!;
    assert.deepEqual(schema['required'], ['full_name', 'email']);
    assert.equal(schema['$schema'], undefined);
    assert.deepEqual((schema['properties'] as Record<string, { default?: unknown }>)['skills']?.default, []);
    const named = responseFormatFor(z.object({ a: z.string() }), { name: 'Answer', strict: false });
    assert.ok(named.type === 'json_schema' && named.json_schema.name === 'Answer' && named.json_schema.strict === false);
    assert.ok(responseFormatFor(z.object({ a: z.string() }), {}).type === 'json_schema');
    assert.throws(() => responseFormatFor(z.object({ at: z.date() }), {}), /cannot be expressed as JSON Schema/);
  });

  test('validateAnswer: defaults applied, ```json fences tolerated, problems named by field', () => {
    const valid = validateAnswer(Resume, '```json\n{"full_name": "Jane Doe", "email": "jane@example.com"}\n```');
    assert.deepEqual(valid, { ok: true, value: { full_name: 'Jane Doe', email: 'jane@example.com', skills: [], experience_years: null } });
    const invalid = validateAnswer(Resume, '{"full_name": "Jane Doe", "experience_years": 2.5}');
    assert.equal(invalid.ok, false);
    if (invalid.ok) return;
    assert.ok(invalid.issues.some((issue) => issue.startsWith('email:')));
    assert.ok(invalid.issues.some((issue) => issue.startsWith('experience_years:')));
    assert.match((validateAnswer(Resume, 'Sorry, I cannot help.') as { issues: string[] }).issues[0]!, /not valid JSON/);
    assert.match((validateAnswer(Resume, '') as { issues: string[] }).issues[0]!, /empty/);
  });

  test('reaskMessages: the conversation, then the rejected answer, then the problems', () => {
    const messages = reaskMessages([{ role: 'user', content: 'Parse this' }], '{"full_name": 1}', ['email: required']);
    assert.deepEqual(messages.map((message) => message.role), ['user', 'assistant', 'user']);
    assert.equal(messages[1]!.content, '{"full_name": 1}');
    assert.match(String(messages[2]!.content), /- email: required/);
  });
});
