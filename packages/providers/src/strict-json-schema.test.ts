import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatCompletion, JsonSchemaObject } from '@saas-llm/protocol';
import { seededRandom } from './seeded-random.ts';
import { StreamingNullStripper } from './streaming-null-stripper.ts';
import { restoreOptionalFields, toStrictSchema } from './strict-json-schema.ts';

/** What Pydantic v2 emits for `class Order(BaseModel): id: str; note: str | None = None; qty: int = 1; tags: list[str] = []; address: Address` etc. */
const PYDANTIC_ORDER: JsonSchemaObject = {
  title: 'Order',
  type: 'object',
  properties: {
    id: { title: 'Id', type: 'string', format: 'uuid' },
    note: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Note' },
    qty: { title: 'Qty', type: 'integer', default: 1, minimum: 1 },
    code: { title: 'Code', type: 'string', minLength: 3, format: 'ean13' },
    address: { $ref: '#/$defs/Address', description: 'Where to ship' },
    billing: { allOf: [{ $ref: '#/$defs/Address' }], default: null },
    kind: { enum: ['a', 'b'], type: 'string', default: 'a' },
  },
  required: ['id', 'address'],
  $defs: {
    Address: { title: 'Address', type: 'object', properties: { street: { type: 'string' }, zip: { type: 'string' } }, required: ['street'] },
  },
};

const ADDRESS_STRICT = {
  title: 'Address', type: 'object',
  properties: { street: { type: 'string' }, zip: { type: ['string', 'null'] } },
  required: ['street', 'zip'], additionalProperties: false,
};

describe('toStrictSchema (OpenAI strict dialect)', () => {
  it('makes every property required, optional ones nullable, sets additionalProperties: false, and unravels $ref siblings and single allOf', () => {
    assert.deepEqual(toStrictSchema(PYDANTIC_ORDER), {
      title: 'Order',
      type: 'object',
      properties: {
        id: { title: 'Id', type: 'string', format: 'uuid' },
        note: { anyOf: [{ type: 'string' }, { type: 'null' }], title: 'Note', description: '(default: null)' },
        qty: { title: 'Qty', type: ['integer', 'null'], minimum: 1, description: '(default: 1)' },
        code: { title: 'Code', type: ['string', 'null'], description: '(minLength: 3; format: "ean13")' },
        address: { ...ADDRESS_STRICT, description: 'Where to ship' },
        // A $ref with siblings is inlined (strict mode refuses siblings), then widened to null like any optional property.
        billing: { ...ADDRESS_STRICT, type: ['object', 'null'], description: '(default: null)' },
        kind: { enum: ['a', 'b', null], type: ['string', 'null'], description: '(default: "a")' },
      },
      required: ['id', 'note', 'qty', 'code', 'address', 'billing', 'kind'],
      additionalProperties: false,
      $defs: { Address: ADDRESS_STRICT },
    });
  });

  it('what strict mode cannot express is null (sent non-strict instead): dictionaries, any-values, non-object roots, `not`', () => {
    const object = (property: Record<string, unknown>): JsonSchemaObject => ({ type: 'object', properties: { value: property }, required: ['value'] });
    assert.equal(toStrictSchema(object({ type: 'object', additionalProperties: { type: 'number' } })), null);
    assert.equal(toStrictSchema(object({ type: 'object' })), null);
    assert.equal(toStrictSchema(object({})), null);
    assert.equal(toStrictSchema(object({ not: { type: 'string' } })), null);
    assert.equal(toStrictSchema(object({ allOf: [{ type: 'string' }, { minLength: 1 }] })), null);
    assert.equal(toStrictSchema({ type: 'array', items: { type: 'string' } }), null);
    assert.notEqual(toStrictSchema(object({ type: 'object', properties: {}, additionalProperties: false })), null);
  });

  it('oneOf becomes anyOf; a recursive $ref stays a reference', () => {
    const tree: JsonSchemaObject = {
      type: 'object', properties: { node: { $ref: '#/$defs/Node' } }, required: ['node'],
      $defs: { Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Node' } }, leaf: { oneOf: [{ type: 'string' }, { type: 'integer' }] } }, required: ['children', 'leaf'] } },
    };
    const strict = toStrictSchema(tree)!;
    assert.deepEqual((strict.$defs as Record<string, Record<string, unknown>>).Node, {
      type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Node' } }, leaf: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
      required: ['children', 'leaf'], additionalProperties: false,
    });
  });
});

const completionWith = (content: string): ChatCompletion => ({
  id: 'x', object: 'chat.completion', created: 0, model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content, tool_calls: [{ id: 'c', type: 'function', function: { name: 'ship', arguments: '{"id":"1","note":null,"qty":null}' } }] }, finish_reason: 'stop' }],
});

describe('removing the nulls strict mode caused', () => {
  const answer = '{"id":"1","note":null,"qty":null,"code":"abc","address":{"street":"Main","zip":null},"billing":null,"kind":null}';
  const restored = '{"id":"1","note":null,"code":"abc","address":{"street":"Main"}}';

  it('non-stream: synthetic nulls go (also in strict tools\' arguments); nulls the tenant\'s schema allows stay; untouched texts stay byte-identical', () => {
    const completion = completionWith(answer);
    restoreOptionalFields(completion, [{ target: { kind: 'content' }, original: PYDANTIC_ORDER }, { target: { kind: 'tool', name: 'ship' }, original: PYDANTIC_ORDER }]);
    assert.equal(completion.choices[0]!.message.content, restored);
    assert.equal(completion.choices[0]!.message.tool_calls![0]!.function.arguments, '{"id":"1","note":null}');
    const untouched = completionWith('{ "id": "1", "address": {"street": "x"} }');
    restoreOptionalFields(untouched, [{ target: { kind: 'content' }, original: PYDANTIC_ORDER }]);
    assert.equal(untouched.choices[0]!.message.content, '{ "id": "1", "address": {"street": "x"} }');
  });

  it('stream: the same result however the text is cut into fragments', () => {
    const random = seededRandom('fragments');
    const documents = [answer, '{ "id" : "x\\"}", "qty" : null , "address" : { "zip" : null, "street" : "s" } }', '{"qty":null}', '[1, 2]', 'not json {"qty": null}'];
    const expected = [restored, '{ "id" : "x\\"}",  "address" : {  "street" : "s" } }', '{}', '[1, 2]', 'not json {"qty": null}'];
    documents.forEach((document, index) => {
      for (let round = 0; round < 50; round++) {
        const stripper = new StreamingNullStripper(PYDANTIC_ORDER);
        let output = '';
        let position = 0;
        while (position < document.length) {
          const size = random.int(1, 6);
          output += stripper.push(document.slice(position, position + size));
          position += size;
        }
        output += stripper.end();
        // Whitespace around a removed member may differ from the non-stream result; the JSON may not.
        if (expected[index]!.startsWith('not json')) assert.equal(output, expected[index], `${document} (round ${round})`);
        else assert.deepEqual(JSON.parse(output), JSON.parse(expected[index]!), `${document} (round ${round}): ${output}`);
      }
    });
  });

  it('stream: text before a key is released at once; only the key waits for its value', () => {
    const stripper = new StreamingNullStripper(PYDANTIC_ORDER);
    assert.equal(stripper.push('{"id":"1'), '{"id":"1');
    assert.equal(stripper.push('","qty"'), '"');
    assert.equal(stripper.push(':n'), '');
    assert.equal(stripper.push('ull,"code":"c"}'), ',"code":"c"}');
  });
});
