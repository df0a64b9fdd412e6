import { test } from 'node:test';
import assert from 'node:assert/strict';
import { protocol } from '@electric-sql/pglite';
import { bindTextMessage } from './pglite-statements.ts';

test("the text Bind message is byte for byte PGlite's own, with multi-byte text and nulls", () => {
  const values = ['{"content":"héllo — 世界 🙂"}', null, '42', '', 'x'.repeat(70_000)];
  const ours = Buffer.from(bindTextMessage('saas_llm_7', values));
  const theirs = Buffer.from(protocol.serialize.bind({ statement: 'saas_llm_7', values }));
  // PGlite writes one format code per parameter (all 0 = text); ours writes none, which the protocol
  // defines as all text. Everything else must be identical: compare with that difference removed.
  const codes = 2 * values.length;
  const portalAndName = 1 + Buffer.byteLength('saas_llm_7') + 1; // the unnamed portal's terminator, the name and its terminator
  const expected = Buffer.concat([theirs.subarray(0, 1 + 4 + portalAndName), Buffer.from([0, 0]), theirs.subarray(1 + 4 + portalAndName + 2 + codes)]);
  expected.writeInt32BE(theirs.readInt32BE(1) - codes, 1);
  assert.equal(theirs.readInt16BE(1 + 4 + portalAndName), values.length, 'PGlite: one format code per parameter');
  assert.deepEqual(ours, expected);
});
