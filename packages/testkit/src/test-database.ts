import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * When `TEST_DATABASE_URL` names a PostgreSQL server (CI's second pass), creates a fresh, empty database
 * on it for one test file and returns its URL plus a function that drops it. Otherwise returns null and
 * the caller uses in-memory PGlite. Each test file gets its own database, so tests never share data.
 */
export async function createFreshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> } | null> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return null;
  const name = `saas_llm_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** Which database the suite runs on, for test names. */
export const testDatabaseKind = (): 'postgres' | 'pglite' => (process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
