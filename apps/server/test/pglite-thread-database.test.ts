import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
    assert.match(error.message, /initialising the PGlite data directory .*a-file\/pgdata failed: pglite-initdb exited \(1\): ENOTDIR/);
    return true;
  });
});

test('a stuck initdb is killed at its deadline', async () => {
  // Node's recursive mkdir spins forever under /proc (Node 22): the child never returns on its own.
  const started = performance.now();
  await assert.rejects(initialiseDataDir('/proc/saas-llm-nowhere/pgdata', 1_500), /exited \((SIGKILL|1)\)/);
  assert.ok(performance.now() - started < 10_000);
});

test('an initdb cut short leaves nothing behind, and the next start initialises the directory', async () => {
  const dataDir = join(root, 'cut');
  mkdirSync(dataDir); // an empty directory prepared for the data, as an operator may do
  // initdb takes seconds: 1 s in, the child is killed.
  await assert.rejects(initialiseDataDir(dataDir, 1_000), /still running after 1 s/);
  assert.deepEqual(readdirSync(dataDir), []);
  assert.deepEqual(readdirSync(root).filter((name) => name.startsWith('cut.')), [], 'no staging directory left');
  const db = await PgliteThreadDatabase.open(dataDir);
  try {
    assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
  } finally {
    await db.close();
  }
});

test('a directory with other files in it is not taken over', async () => {
  const dataDir = join(root, 'occupied');
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'notes.txt'), 'mine');
  await assert.rejects(PgliteThreadDatabase.open(dataDir), /initialising the PGlite data directory .*occupied failed: .*(ENOTEMPTY|EEXIST)/);
  assert.deepEqual(readdirSync(dataDir), ['notes.txt']);
  assert.deepEqual(readdirSync(root).filter((name) => name.startsWith('occupied.')), []);
});
