import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SecretBox, SecretUnreadableError } from './secret-box.ts';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  test('round-trips, with a fresh IV every time', () => {
    const first = box.seal('sk-secret-ünïcode', 'credential:1:api_key');
    const second = box.seal('sk-secret-ünïcode', 'credential:1:api_key');
    assert.notEqual(first, second);
    assert.match(first, /^v1:[\w-]{16}:[\w-]{22}:[\w-]+$/);
    assert.equal(box.open(first, 'credential:1:api_key'), 'sk-secret-ünïcode');
    assert.equal(box.open(box.seal('', 'c'), 'c'), '');
  });

  test('refuses another context, another key, altered text and unknown formats', () => {
    const sealed = box.seal('sk-secret', 'credential:1:api_key');
    assert.throws(() => box.open(sealed, 'credential:2:api_key'), SecretUnreadableError);
    assert.throws(() => new SecretBox(randomBytes(32)).open(sealed, 'credential:1:api_key'), SecretUnreadableError);
    const parts = sealed.split(':');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    assert.throws(() => box.open([parts[0], parts[1], parts[2], body.toString('base64url')].join(':'), 'credential:1:api_key'), SecretUnreadableError);
    assert.throws(() => box.open(`v2:${parts.slice(1).join(':')}`, 'credential:1:api_key'), /unknown format/);
    assert.throws(() => box.open('plaintext-key', 'credential:1:api_key'), SecretUnreadableError);
  });

  test('needs a 32-byte key', () => {
    assert.throws(() => new SecretBox(randomBytes(16)), /32-byte/);
  });
});
