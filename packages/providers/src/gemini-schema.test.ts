import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toGeminiSchema } from './gemini-schema.ts';

/** Every field Gemini's Schema documents; anything else in the output would be a 400 "Unknown name". */
const GEMINI_FIELDS = new Set([
  'type', 'format', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required', 'propertyOrdering', 'items',
  'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'minProperties', 'maxProperties', 'anyOf',
]);

function assertOnlyGeminiFields(schema: unknown, path = '$'): void {
  if (typeof schema !== 'object' || schema === null) return;
  for (const [key, value] of Object.entries(schema)) {
    assert.ok(GEMINI_FIELDS.has(key), `${path}.${key} is not a Gemini Schema field`);
    if (key === 'properties') for (const [name, property] of Object.entries(value as object)) assertOnlyGeminiFields(property, `${path}.properties.${name}`);
    if (key === 'items') assertOnlyGeminiFields(value, `${path}.items`);
    if (key === 'anyOf') (value as unknown[]).forEach((branch, index) => assertOnlyGeminiFields(branch, `${path}.anyOf[${index}]`));
  }
}

describe('toGeminiSchema', () => {
  it('converts what zod emits (JSON Schema 2020-12, additionalProperties, const, type arrays) to Gemini\'s dialect', () => {
    const zod = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 1, maxLength: 80 },
        status: { const: 'draft' },
        score: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 10 },
        when: { type: 'string', format: 'date-time' },
        email: { type: 'string', format: 'email' },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 5, uniqueItems: true },
        extra: { type: 'object', additionalProperties: { type: 'string' } },
        count: { type: 'integer', enum: [1, 2, 3] },
      },
      required: ['title', 'status', 'score', 'when', 'email', 'tags', 'extra', 'count'],
      additionalProperties: false,
    };
    const converted = toGeminiSchema(zod);
    assert.deepEqual(converted, {
      type: 'OBJECT',
      properties: {
        title: { type: 'STRING', minLength: 1, maxLength: 80 },
        status: { type: 'STRING', format: 'enum', enum: ['draft'] },
        score: { type: 'NUMBER', maximum: 10, description: '(exclusiveMinimum: 0)', nullable: true },
        when: { type: 'STRING', format: 'date-time' },
        email: { type: 'STRING', description: '(format: email)' },
        tags: { type: 'ARRAY', maxItems: 5, items: { type: 'STRING' }, description: '(uniqueItems: true)' },
        extra: { type: 'OBJECT' },
        count: { type: 'INTEGER', description: '(one of: 1, 2, 3)' },
      },
      required: ['title', 'status', 'score', 'when', 'email', 'tags', 'extra', 'count'],
      propertyOrdering: ['title', 'status', 'score', 'when', 'email', 'tags', 'extra', 'count'],
    });
    assertOnlyGeminiFields(converted);
  });

  it('inlines Pydantic $defs, turns Optional into nullable, merges allOf, keeps real unions as anyOf, and cuts recursion', () => {
    const pydantic = {
      title: 'Tree',
      type: 'object',
      properties: {
        root: { $ref: '#/$defs/Node' },
        owner: { anyOf: [{ $ref: '#/$defs/Person' }, { type: 'null' }], default: null },
        badge: { allOf: [{ $ref: '#/$defs/Person' }], description: 'Who earned it' },
        value: { anyOf: [{ type: 'string' }, { type: 'integer' }], title: 'Value' },
      },
      required: ['root', 'value'],
      $defs: {
        Person: { title: 'Person', type: 'object', properties: { name: { title: 'Name', type: 'string' } }, required: ['name'] },
        Node: { title: 'Node', type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } }, required: ['label'] },
      },
    };
    const converted = toGeminiSchema(pydantic) as { properties: Record<string, Record<string, unknown>> };
    const person = { type: 'OBJECT', properties: { name: { type: 'STRING', description: 'Name' } }, required: ['name'], propertyOrdering: ['name'], description: 'Person' };
    assert.deepEqual(converted.properties.owner, { ...person, nullable: true });
    assert.deepEqual(converted.properties.badge, { ...person, description: 'Who earned it' });
    assert.deepEqual(converted.properties.value, { anyOf: [{ type: 'STRING' }, { type: 'INTEGER' }], description: 'Value' });
    const children = (converted.properties.root!.properties as Record<string, { items: unknown }>).children!;
    assert.deepEqual(children.items, { type: 'OBJECT', nullable: true, description: '(recursive value omitted)' });
    assertOnlyGeminiFields(converted);
  });
});
