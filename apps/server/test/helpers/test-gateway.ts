import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createFreshPostgresDatabase } from '@saas-llm/testkit';
import { loadConfig, type Config } from '../../src/config.ts';
import { buildContainer, type Container } from '../../src/container.ts';
import { buildApp } from '../../src/http/app.ts';
import type { Database } from '../../src/storage/database.ts';
import { PgDatabase } from '../../src/storage/pg-database.ts';
import { PgliteDatabase } from '../../src/storage/pglite-database.ts';

export interface TestGateway {
  url: string;
  app: FastifyInstance;
  /** The gateway's container; its `db` waits for the call records written behind answers (see below). */
  container: Container;
  /** The database itself, without that wait (for more instances over it). */
  database: Database;
  /**
   * Call records are written behind the answers (decision 010). Tests read the database right after an
   * answer, as a client reads its balance: each instance over this database registers its barrier here,
   * and `container.db` waits for all of them before every statement.
   */
  settlers: Array<() => Promise<void> | null>;
  config: Config;
  masterKey: string;
  /** Every log line the gateway wrote (tests scan it for leaked secrets). */
  logs: string[];
  /** fetch against the gateway with the master key. */
  admin(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  /** fetch against the gateway with any headers (no credentials added). */
  request(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * Starts a real gateway on loopback over a fresh database: in-memory PGlite, or a new database on the
 * PostgreSQL server named by TEST_DATABASE_URL (and rate limits in the Redis of TEST_REDIS_URL). One per
 * test file (PGlite takes ~2 s to start).
 */
export async function startTestGateway(overrides: Partial<Config> = {}): Promise<TestGateway> {
  const masterKey = `mk-test-${randomBytes(16).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'saas-llm-test-'));
  const postgres = await createFreshPostgresDatabase();
  const config = loadConfig({ NODE_ENV: 'test' }, {
    dataDir, masterKey, encryptionKey: randomBytes(32), port: 0, logLevel: 'info', databaseUrl: postgres?.url ?? null,
    // With a Redis server (CI's PostgreSQL run), rate limits are counted there, as instances sharing it count them.
    redisUrl: process.env.TEST_REDIS_URL ?? null, ...overrides,
  });
  const db = postgres ? await PgDatabase.open(postgres.url) : await PgliteDatabase.open(null);
  const logs: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { logs.push(String(chunk)); done(); } });
  const built = await buildContainer(config, db, { logDestination: stream });
  const app = await buildApp(built);
  const settlers: TestGateway['settlers'] = [() => built.calls.settled()];
  const container: Container = { ...built, db: afterSettlements(db, settlers) };
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const request: TestGateway['request'] = async (path, init = {}) => {
    const headers: Record<string, string> = { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
    const response = await fetch(url + path, { method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'), headers, body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body) });
    const text = await response.text();
    let body: unknown = text;
    try { body = text ? JSON.parse(text) : null; } catch { /* not JSON: keep the text for the assertion */ }
    return { status: response.status, body, headers: response.headers };
  };
  return {
    url, app, container, database: db, settlers, config, masterKey, logs, request,
    admin: (path, init = {}) => request(path, { ...init, headers: { 'x-admin-key': masterKey, ...init.headers } }),
    close: async () => {
      await app.close();
      await container.close();
      await postgres?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The database, each statement of which first waits for every registered instance's queued call records. */
function afterSettlements(db: Database, settlers: TestGateway['settlers']): Database {
  const settled = async () => {
    for (const settler of settlers) await settler();
  };
  return {
    dialect: db.dialect,
    singleOwner: db.singleOwner,
    query: async (sql, params) => { await settled(); return db.query(sql, params); },
    exec: async (sql) => { await settled(); return db.exec(sql); },
    transaction: async (work) => { await settled(); return db.transaction(work); },
    close: () => db.close(),
  } as Database;
}
