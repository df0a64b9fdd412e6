import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parsePartialJson } from './partial-json.ts';

/** True when `partial` could grow into `full`: every key it has exists in `full` with a value it could grow into. */
function isPrefixValue(partial: unknown, full: unknown): boolean {
  if (typeof partial === 'string') return typeof full === 'string' && full.startsWith(partial);
  if (Array.isArray(partial)) {
    if (!Array.isArray(full) || partial.length > full.length) return false;
    // Every element but the last is complete; the last may still be growing.
    return partial.every((item, index) => (index < partial.length - 1 ? deepEqual(item, full[index]) : isPrefixValue(item, full[index])));
  }
  if (typeof partial === 'object' && partial !== null) {
    if (typeof full !== 'object' || full === null || Array.isArray(full)) return false;
    return Object.entries(partial).every(([key, value]) => key in full && isPrefixValue(value, (full as Record<string, unknown>)[key]));
  }
  return deepEqual(partial, full);
}

function deepEqual(left: unknown, right: unknown): boolean {
  try {
    assert.deepStrictEqual(left, right);
    return true;
  } catch (error) {
    if (error instanceof assert.AssertionError) return false;
    throw error;
  }
}

describe('parsePartialJson', () => {
  test('a streaming object grows field by field; unfinished numbers and literals are left out', () => {
    const steps: Array<[string, unknown]> = [
      ['', undefined],
      ['Here you go: ', undefined],
      ['{', {}],
      ['{"na', {}],
      ['{"name": "Sarah Jo', { name: 'Sarah Jo' }],
      ['{"name": "Sarah Johnson", "age": 4', { name: 'Sarah Johnson' }],
      ['{"name": "Sarah Johnson", "age": 42,', { name: 'Sarah Johnson', age: 42 }],
      ['{"name": "Sarah Johnson", "age": 42, "tags": ["a", "b', { name: 'Sarah Johnson', age: 42, tags: ['a', 'b'] }],
      ['{"name": "Sarah Johnson", "age": 42, "tags": ["a", "b"], "ok": tr', { name: 'Sarah Johnson', age: 42, tags: ['a', 'b'] }],
      ['{"name": "Sarah Johnson", "age": 42, "tags": ["a", "b"], "ok": true}', { name: 'Sarah Johnson', age: 42, tags: ['a', 'b'], ok: true }],
    ];
    for (const [text, expected] of steps) assert.deepEqual(parsePartialJson(text)?.value, expected, text);
    assert.equal(parsePartialJson(steps.at(-1)![0])?.complete, true);
    assert.equal(parsePartialJson(steps.at(-2)![0])?.complete, false);
  });

  test('escapes, including one cut in the middle, and a ```json fence around the object', () => {
    assert.deepEqual(parsePartialJson('{"quote": "say \\"hi\\" \\u00e9')?.value, { quote: 'say "hi" é' });
    assert.deepEqual(parsePartialJson('{"quote": "line\\')?.value, { quote: 'line' });
    assert.deepEqual(parsePartialJson('{"quote": "line\\u00')?.value, { quote: 'line' });
    const fenced = parsePartialJson('```json\n{"a": [1, {"b": null}]}\n```');
    assert.deepEqual(fenced, { value: { a: [1, { b: null }] }, complete: true });
  });

  test('a "__proto__" key is an own property, as with JSON.parse (never the prototype)', () => {
    const parsed = parsePartialJson('{"__proto__": [], "a": 1}')!.value as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.deepEqual(parsed, JSON.parse('{"__proto__": [], "a": 1}'));
  });

  test('a syntax error keeps what was read before it', () => {
    assert.deepEqual(parsePartialJson('{"a": 1 "b": 2}')?.value, { a: 1 });
    assert.deepEqual(parsePartialJson('{"a": [1, 2,, 3]}')?.value, { a: [1, 2] });
  });

  test('property: every prefix of a JSON object parses, never throws, and only ever shows a prefix of the final value', () => {
    const jsonObject = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 });
    fc.assert(fc.property(jsonObject, fc.boolean(), (object, pretty) => {
      // JSON.parse ∘ stringify normalises -0 and the like, which JSON cannot carry either.
      const full = JSON.parse(JSON.stringify(object)) as unknown;
      const text = pretty ? JSON.stringify(full, null, 2) : JSON.stringify(full);
      for (let end = 1; end <= text.length; end += 1) {
        const partial = parsePartialJson(text.slice(0, end));
        assert.ok(partial !== undefined, `prefix ${end} of ${text}`);
        assert.ok(isPrefixValue(partial.value, full), `prefix ${JSON.stringify(text.slice(0, end))} gave ${JSON.stringify(partial.value)}`);
      }
      assert.deepEqual(parsePartialJson(text), { value: full, complete: true });
    }), { numRuns: 200 });
  });
});
