import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { generateSchemaInstance } from './json-schema-instance.ts';
import { sampleRegex } from './regex-sample.ts';
import { seededRandom } from './seeded-random.ts';

/** A schema as Pydantic v2 emits it for nested models, enums, Optional fields, constrained fields. */
const PYDANTIC_PERSON = {
  $defs: {
    Address: {
      properties: {
        street: { title: 'Street', type: 'string' },
        city: { title: 'City', type: 'string' },
        zip: { anyOf: [{ pattern: '^\\d{5}$', type: 'string' }, { type: 'null' }], default: null, title: 'Zip' },
      },
      required: ['street', 'city'],
      title: 'Address',
      type: 'object',
    },
    Role: { enum: ['admin', 'user', 'guest'], title: 'Role', type: 'string' },
  },
  properties: {
    name: { maxLength: 50, minLength: 2, title: 'Name', type: 'string' },
    age: { exclusiveMinimum: 0, maximum: 150, title: 'Age', type: 'integer' },
    email: { format: 'email', title: 'Email', type: 'string' },
    score: { exclusiveMaximum: 1, minimum: 0, title: 'Score', type: 'number' },
    tags: { items: { type: 'string' }, maxItems: 5, minItems: 1, title: 'Tags', type: 'array' },
    address: { $ref: '#/$defs/Address' },
    role: { $ref: '#/$defs/Role', default: 'user' },
    nickname: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Nickname' },
    created: { format: 'date-time', title: 'Created', type: 'string' },
    birthday: { anyOf: [{ format: 'date', type: 'string' }, { type: 'null' }], default: null },
    homepage: { format: 'uri', maxLength: 2083, minLength: 1, type: 'string' },
    code: { pattern: '^[A-Z]{2}-[0-9]{3,4}$', type: 'string' },
    price: { multipleOf: 0.25, minimum: 10, maximum: 11, type: 'number' },
  },
  required: ['name', 'age', 'email', 'score', 'tags', 'address', 'created', 'code', 'price'],
  title: 'Person',
  type: 'object',
};

/** A recursive Pydantic model (a tree), and a discriminated union. */
const PYDANTIC_TREE = {
  $defs: {
    Node: {
      properties: {
        label: { type: 'string', minLength: 1 },
        children: { items: { $ref: '#/$defs/Node' }, type: 'array' },
        parent: { anyOf: [{ $ref: '#/$defs/Node' }, { type: 'null' }], default: null },
      },
      required: ['label', 'children'],
      type: 'object',
    },
    Cat: { properties: { kind: { const: 'cat', type: 'string' }, lives: { type: 'integer', minimum: 1, maximum: 9 } }, required: ['kind', 'lives'], type: 'object' },
    Dog: { properties: { kind: { const: 'dog', type: 'string' }, good: { type: 'boolean' } }, required: ['kind', 'good'], type: 'object' },
  },
  properties: {
    root: { $ref: '#/$defs/Node' },
    pet: { discriminator: { mapping: { cat: '#/$defs/Cat', dog: '#/$defs/Dog' }, propertyName: 'kind' }, oneOf: [{ $ref: '#/$defs/Cat' }, { $ref: '#/$defs/Dog' }] },
    matrix: { type: 'array', items: { type: 'array', items: { type: 'integer', exclusiveMaximum: 0 }, minItems: 3, maxItems: 3 }, minItems: 2 },
    pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], minItems: 2, maxItems: 2 },
    unique: { type: 'array', items: { enum: ['a', 'b', 'c'] }, uniqueItems: true, minItems: 3 },
    extras: { type: 'object', additionalProperties: { type: 'integer' }, minProperties: 2 },
  },
  required: ['root', 'pet', 'matrix', 'pair', 'unique', 'extras'],
  type: 'object',
};

/** Schemas written with zod, converted the way zod-based clients send them. */
const ZOD_SCHEMAS: Record<string, z.ZodType> = {
  invoice: z.object({
    id: z.uuid(),
    number: z.string().regex(/^INV-\d{6}$/),
    issued: z.iso.date(),
    paidAt: z.iso.datetime().nullable(),
    customer: z.object({ name: z.string().min(2).max(40), email: z.email(), website: z.url().optional() }),
    lines: z.array(z.object({ sku: z.string().length(8), quantity: z.int().positive(), unitPrice: z.number().gt(0).lte(1000) })).min(1).max(4),
    status: z.enum(['draft', 'sent', 'paid']),
    currency: z.literal('EUR'),
    discount: z.union([z.number().min(0).max(0.5), z.null()]),
    notes: z.string().max(10).optional(),
  }),
  sentiment: z.object({ label: z.enum(['positive', 'neutral', 'negative']), confidence: z.number().min(0).max(1), reasons: z.array(z.string()).max(3) }),
  scalars: z.object({ count: z.int(), ratio: z.number().gt(-1).lt(1), small: z.int().min(-5).max(-3), flag: z.boolean(), big: z.int().gte(1_000_000) }),
};

function instanceOf(schema: unknown, seed: string): unknown {
  return generateSchemaInstance(schema, seededRandom(seed));
}

describe('generateSchemaInstance', () => {
  it('produces instances valid against Pydantic-style schemas ($defs, $ref, anyOf null, bounds, formats, patterns)', () => {
    const validator = z.fromJSONSchema(PYDANTIC_PERSON as never);
    // The validator itself must reject what the schema forbids, or this test proves nothing.
    const valid = instanceOf(PYDANTIC_PERSON, 'control') as Record<string, unknown>;
    assert.equal(validator.safeParse(valid).success, true);
    assert.equal(validator.safeParse({ ...valid, age: 0 }).success, false);
    assert.equal(validator.safeParse({ ...valid, code: 'A-1' }).success, false);
    assert.equal(validator.safeParse({ ...valid, address: { street: 'x' } }).success, false);
    for (let seed = 0; seed < 25; seed++) {
      const instance = instanceOf(PYDANTIC_PERSON, `person-${seed}`) as Record<string, unknown>;
      const result = validator.safeParse(instance);
      assert.ok(result.success, `seed ${seed}: ${JSON.stringify(result.error?.issues)} for ${JSON.stringify(instance)}`);
      assert.ok(typeof instance.age === 'number' && instance.age > 0 && instance.age <= 150 && Number.isInteger(instance.age));
      assert.ok(typeof instance.score === 'number' && instance.score >= 0 && instance.score < 1);
      assert.match(String(instance.code), /^[A-Z]{2}-[0-9]{3,4}$/);
      assert.ok([10, 10.25, 10.5, 10.75, 11].includes(instance.price as number));
      assert.ok(['admin', 'user', 'guest'].includes(instance.role as string));
      const zip = (instance.address as Record<string, unknown>).zip;
      assert.match(String(zip), /^\d{5}$/);
    }
  });

  it('ends recursive schemas, and handles discriminated unions, tuples, uniqueItems and minProperties', () => {
    const validator = z.fromJSONSchema(PYDANTIC_TREE as never);
    for (let seed = 0; seed < 25; seed++) {
      const instance = instanceOf(PYDANTIC_TREE, `tree-${seed}`) as Record<string, unknown>;
      const result = validator.safeParse(instance);
      assert.ok(result.success, `seed ${seed}: ${JSON.stringify(result.error?.issues)} for ${JSON.stringify(instance)}`);
      assert.equal(new Set(instance.unique as string[]).size, 3);
      assert.ok(Object.keys(instance.extras as object).length >= 2);
    }
  });

  for (const [name, schema] of Object.entries(ZOD_SCHEMAS)) {
    it(`produces instances the original zod schema accepts: ${name}`, () => {
      const jsonSchema = z.toJSONSchema(schema);
      for (let seed = 0; seed < 25; seed++) {
        const instance = instanceOf(jsonSchema, `${name}-${seed}`);
        const result = schema.safeParse(instance);
        assert.ok(result.success, `seed ${seed}: ${JSON.stringify(result.error?.issues)} for ${JSON.stringify(instance)}`);
      }
    });
  }

  it('is deterministic for a seed and varies across seeds', () => {
    const schema = z.toJSONSchema(ZOD_SCHEMAS.sentiment!);
    assert.deepEqual(instanceOf(schema, 'same'), instanceOf(schema, 'same'));
    const distinct = new Set(Array.from({ length: 20 }, (_, index) => JSON.stringify(instanceOf(schema, `seed-${index}`))));
    assert.ok(distinct.size > 1);
  });

  it('honours draft-4 boolean exclusivity, type lists, OpenAPI nullable, and picks non-null enum values', () => {
    assert.equal(instanceOf({ type: 'integer', minimum: 3, maximum: 4, exclusiveMinimum: true }, 's'), 4);
    assert.equal(typeof instanceOf({ type: ['null', 'string'] }, 's'), 'string');
    assert.equal(typeof instanceOf({ type: 'number', nullable: true }, 's'), 'number');
    assert.equal(instanceOf({ enum: [null, 'only'] }, 's'), 'only');
    assert.deepEqual(instanceOf({ allOf: [{ properties: { a: { const: 1 } }, required: ['a'] }, { properties: { b: { const: 2 } }, required: ['b'] }] }, 's'), { a: 1, b: 2 });
  });
});

describe('sampleRegex', () => {
  it('samples simple patterns and declines what it cannot handle', () => {
    for (const pattern of ['^\\d{5}$', '^[A-Z]{2}-[0-9]{3,4}$', '^(foo|bar)+_x?$', '^[a-z0-9._%+-]+@[a-z]+\\.[a-z]{2,}$', '^\\+?[1-9]\\d{6,14}$']) {
      const sample = sampleRegex(pattern);
      assert.ok(sample !== null && new RegExp(pattern, 'u').test(sample), `${pattern} → ${sample}`);
    }
    assert.equal(sampleRegex('^(?=.*\\d)[a-z]+$'), null);
    assert.equal(sampleRegex('^[^a]+$'), null);
  });
});
