import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uuidSchema } from '@saas-llm/protocol';
import { newCallId } from './call-ids.ts';

test('call ids are version-7 UUIDs, ordered as made, within a millisecond too', () => {
  const now = Date.now();
  const ids = Array.from({ length: 5_000 }, () => newCallId(now));
  for (const id of ids) { // across several refills of the random pool
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(uuidSchema.safeParse(id).success, id);
  }
  assert.equal(parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16), now);
  // 5,000 in one millisecond: more than the 4,096 a millisecond's counter holds, still strictly increasing.
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  // A clock that goes back does not reorder them either.
  const later = newCallId(now - 10);
  assert.ok(later > ids.at(-1)!);
});
