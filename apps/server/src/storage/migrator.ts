import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

/** apps/server/migrations from the sources; the copy beside the bundle when bundled (scripts/bundle.mjs). */
export const MIGRATIONS_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../migrations/' : './migrations/', import.meta.url));
// Arbitrary constant: every instance takes the same advisory lock, so concurrent starts apply migrations one at a time.
const MIGRATION_LOCK_ID = 803_2026;

export interface MigrationFile { version: string; sql: string }

export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir)
    .filter((name) => /^\d{4}_[\w-]+\.sql$/.test(name))
    .sort()
    .map((name) => ({ version: name.replace(/\.sql$/, ''), sql: readFileSync(dir + name, 'utf8') }));
}

/**
 * Applies pending forward-only migrations. Each runs in its own transaction holding a transaction-level
 * advisory lock, and re-reads the applied set under that lock, so two instances starting together never
 * apply one twice. Returns the versions applied by this call.
 */
export async function migrate(db: Database, migrations = readMigrations()): Promise<string[]> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())')
    .catch(async (error: unknown) => {
      // Two instances racing on CREATE TABLE IF NOT EXISTS can collide on the catalog; the table exists then.
      const exists = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_migrations'");
      if (exists.length === 0) throw error;
    });
  const applied: string[] = [];
  for (const migration of migrations) {
    const didApply = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.length > 0) return false;
      // Multi-statement scripts run through the simple protocol (no parameters).
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
      return true;
    });
    if (didApply) applied.push(migration.version);
  }
  return applied;
}

/** True when every shipped migration has been applied (readiness check). */
export async function migrationsCurrent(db: Database, migrations = readMigrations()): Promise<boolean> {
  const rows = await db.query<{ version: string }>('SELECT version FROM schema_migrations');
  const done = new Set(rows.map((row) => row.version));
  return migrations.every((migration) => done.has(migration.version));
}
