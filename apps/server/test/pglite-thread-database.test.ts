import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { initialiseDataDir, PgliteThreadDatabase } from '../src/storage/pglite-thread-database.ts';

// A fresh data directory is initialised by a child process (pglite-initdb), then served from the thread.
const root = mkdtempSync(join(tmpdir(), 'saas-llm-pglite-thread-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a fresh data directory is initialised, served, and keeps its data across a reopen', async () => {
  const dataDir = join(root, 'fresh');
  const first = await PgliteThreadDatabase.open(dataDir);
  try {
    assert.ok(existsSync(join(dataDir, 'PG_VERSION')), 'initdb wrote the directory');
    await first.exec('CREATE TABLE notes (id int PRIMARY KEY, body text)');
    await first.query('INSERT INTO notes VALUES ($1, $2)', [1, 'kept']);
  } finally {
    await first.close();
  }
  const again = await PgliteThreadDatabase.open(dataDir);
  try {
    assert.deepEqual(await again.query('SELECT id, body FROM notes'), [{ id: 1, body: 'kept' }]);
  } finally {
    await again.close();
  }
});

test('a data directory that cannot be created fails with the reason, not a hang', async () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a directory');
  await assert.rejects(PgliteThreadDatabase.open(join(file, 'pgdata')), (error: Error) => {
    assert.match(error.message, /initialising the PGlite data directory .*a-file\/pgdata failed \(1\): ENOTDIR/);
    return true;
  });
});

test('a stuck initdb is killed at its deadline', async () => {
  // Node's recursive mkdir spins forever under /proc (Node 22): the child never returns on its own.
  const started = performance.now();
  await assert.rejects(initialiseDataDir('/proc/saas-llm-nowhere/pgdata', 1_500), /failed \((SIGKILL|1)\)/);
  assert.ok(performance.now() - started < 10_000);
});
