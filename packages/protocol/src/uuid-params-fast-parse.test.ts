import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jobCallParamsSchema, jobIdParamsSchema } from './jobs.ts';
import { fastParseJobCallParams, fastParseJobIdParams } from './uuid-params-fast-parse.ts';

const HEX = fc.constantFrom(...'0123456789abcdefABCDEF');
/** UUID-shaped strings of every version and variant nibble and case, the nil and max UUIDs, and near misses. */
const uuidLike = fc.oneof(
  fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8] }),
  fc.tuple(fc.uuid(), HEX, HEX, fc.boolean()).map(([uuid, version, variant, upper]) => {
    const text = `${uuid.slice(0, 14)}${version}${uuid.slice(15, 19)}${variant}${uuid.slice(20)}`;
    return upper ? text.toUpperCase() : text;
  }),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', ''),
  fc.uuid().map((uuid) => `${uuid}\n`),
  fc.uuid().map((uuid) => uuid.slice(1)),
  fc.string({ maxLength: 40 }),
);
const field = fc.oneof({ weight: 4, arbitrary: uuidLike }, { weight: 1, arbitrary: fc.constantFrom(null, 1, [], {}) });
const params = fc.record({ job_id: field, call_id: field, other: fc.string() }, { requiredKeys: [] });

describe('uuid path-parameter shortcuts', () => {
  it('accept only what the schemas accept, and return what they return', () => {
    let accepted = 0;
    fc.assert(fc.property(params, fc.boolean(), (input, nullPrototype) => {
      const value = nullPrototype ? Object.assign(Object.create(null), input) : input;
      for (const [fast, schema] of [[fastParseJobIdParams, jobIdParamsSchema], [fastParseJobCallParams, jobCallParamsSchema]] as const) {
        const parsed = fast(value);
        if (parsed === undefined) continue;
        accepted += 1;
        const reference = schema.safeParse(value);
        assert.ok(reference.success, JSON.stringify(input));
        assert.equal(JSON.stringify(parsed), JSON.stringify(reference.data));
      }
    }), { numRuns: 3000 });
    assert.ok(accepted > 300, `the shortcut is reached (${accepted})`);
  });

  it('leave invalid input to the schema', () => {
    for (const input of [undefined, null, [], {}, { job_id: 'x' }, { job_id: 1 }, { job_id: '3f0e8a4c-2a53-9d8e-9b1c-2d5f7e9a1b3c' }]) {
      assert.equal(fastParseJobIdParams(input), undefined, JSON.stringify(input));
    }
  });
});
