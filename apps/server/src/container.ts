import type { Config } from './config.ts';
import type { Database } from './storage/database.ts';
import { PgDatabase } from './storage/pg-database.ts';
import { PgliteDatabase } from './storage/pglite-database.ts';
import { migrate, migrationsCurrent } from './storage/migrator.ts';
import { join } from 'node:path';
// ==== imports: tenancy & credits ====
// ==== end imports: tenancy & credits ====
// ==== imports: catalog ====
// ==== end imports: catalog ====
// ==== imports: admin users & audit ====
// ==== end imports: admin users & audit ====

/**
 * The composition root: the only place that knows every concrete class. Creates the database, the
 * repositories, the services and the adapters, and hands them to the HTTP layer and background tasks.
 */
export interface Container {
  config: Config;
  db: Database;
  version: string;
  // ==== fields: tenancy & credits ====
  // ==== end fields: tenancy & credits ====
  // ==== fields: catalog ====
  // ==== end fields: catalog ====
  // ==== fields: admin users & audit ====
  // ==== end fields: admin users & audit ====
  readiness(): Promise<{ database: boolean; migrations: boolean }>;
  close(): Promise<void>;
}

export const VERSION = '0.1.0';

/** Opens the configured database (PGlite in the data dir, or `DATABASE_URL`). */
export async function openDatabase(config: Config): Promise<Database> {
  return config.databaseUrl ? PgDatabase.open(config.databaseUrl) : PgliteDatabase.open(join(config.dataDir, 'pgdata'));
}

/** Builds the container over an open, migrated-or-not database; runs migrations first. */
export async function buildContainer(config: Config, db: Database): Promise<Container> {
  await migrate(db);
  // ==== construction: tenancy & credits ====
  // ==== end construction: tenancy & credits ====
  // ==== construction: catalog ====
  // ==== end construction: catalog ====
  // ==== construction: admin users & audit ====
  // ==== end construction: admin users & audit ====
  return {
    config,
    db,
    version: VERSION,
    // ==== wiring: tenancy & credits ====
    // ==== end wiring: tenancy & credits ====
    // ==== wiring: catalog ====
    // ==== end wiring: catalog ====
    // ==== wiring: admin users & audit ====
    // ==== end wiring: admin users & audit ====
    readiness: async () => {
      const database = await db.query('SELECT 1').then(() => true, () => false);
      const migrations = database && (await migrationsCurrent(db).catch(() => false));
      return { database, migrations };
    },
    close: async () => {
      await db.close();
    },
  };
}
