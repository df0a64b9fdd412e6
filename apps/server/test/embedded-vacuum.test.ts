import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EmbeddedVacuum } from '../src/background/embedded-vacuum.ts';
import { migrate } from '../src/storage/migrator.ts';
import { PgliteDatabase } from '../src/storage/pglite-database.ts';

// PGlite runs PostgreSQL in single-user mode: no autovacuum. The gateway vacuums it itself.

let db: PgliteDatabase;
before(async () => {
  db = await PgliteDatabase.open(null);
  await migrate(db);
});
after(async () => {
  await db.close();
});

const logs: string[] = [];
const log = { info: (_details: Record<string, unknown>, message: string) => logs.push(message), error: (_details: Record<string, unknown>, message: string) => logs.push(message) };

interface TableStats { relname: string; n_dead_tup: number; vacuumed: boolean }
const stats = async () => db.query<TableStats>(
  `SELECT relname, n_dead_tup::int, last_vacuum IS NOT NULL AS vacuumed FROM pg_stat_user_tables ORDER BY relname`);

test('nothing vacuums PGlite by itself: dead row versions stay until the gateway vacuums every table', async () => {
  // The hold pattern: rows inserted, then updated (released), leaving a dead version each.
  await db.exec('CREATE TABLE vacuum_probe (id int PRIMARY KEY, status text NOT NULL)');
  await db.query(`INSERT INTO vacuum_probe SELECT n, 'held' FROM generate_series(1, 2000) n`);
  await db.query(`UPDATE vacuum_probe SET status = 'released'`);
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // statistics are published at most once a second
  const beforeRun = (await stats()).find((table) => table.relname === 'vacuum_probe')!;
  assert.equal(beforeRun.n_dead_tup, 2000);
  assert.equal(beforeRun.vacuumed, false, 'no autovacuum ran');

  const durationMs = await new EmbeddedVacuum(db, log).runOnce();
  assert.ok(durationMs >= 0);
  const afterRun = await stats();
  assert.equal(afterRun.find((table) => table.relname === 'vacuum_probe')!.n_dead_tup, 0);
  // Every table of the schema, not just one: the holds, the calls, the jobs and the teams among them.
  for (const name of ['reservations', 'calls', 'call_attempts', 'jobs', 'teams']) {
    const table = afterRun.find((row) => row.relname === name);
    assert.ok(table?.vacuumed, `${name} vacuumed`);
  }
});

test('started, it runs on its interval; stopped, it waits for a run in progress and runs no more', async () => {
  const runs: string[] = [];
  const counting = { exec: async (sql: string) => { runs.push(sql); await db.exec(sql); } };
  const vacuum = new EmbeddedVacuum(counting, log);
  vacuum.start(50);
  while (runs.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
  await vacuum.stop();
  const count = runs.length;
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(runs.length, count);
  assert.deepEqual([...new Set(runs)], ['VACUUM']);
});
