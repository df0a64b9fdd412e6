import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from './password-hashing.ts';

test('scrypt hashes are salted, self-describing and verify only the right password', async () => {
  const first = await hashPassword('correct horse battery');
  const second = await hashPassword('correct horse battery');
  assert.match(first, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.notEqual(first, second);
  assert.equal(await verifyPassword('correct horse battery', first), true);
  assert.equal(await verifyPassword('correct horse batterY', first), false);
  assert.equal(await verifyPassword('', first), false);
});

test('malformed or hostile stored hashes never verify and never allocate unbounded memory', async () => {
  const genuine = await hashPassword('pw-1234567890');
  const [, , r, p, salt, key] = genuine.split('$');
  for (const stored of ['', 'plain', `bcrypt$x`, `scrypt$${2 ** 30}$${r}$${p}$${salt}$${key}`, `scrypt$1000$${r}$${p}$${salt}$${key}`, `scrypt$16384$8$1$$${key}`]) {
    assert.equal(await verifyPassword('pw-1234567890', stored), false, stored.slice(0, 20));
  }
});
