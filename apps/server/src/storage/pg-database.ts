import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Database, Transaction } from './database.ts';

const INT8_OID = 20;
const typeParsers = {
  getTypeParser: (oid: number, format?: string) =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text'),
};

/** Beyond this many distinct SQL texts, new ones run unnamed (dynamic filters could otherwise grow every connection's cache). */
const NAMED_STATEMENT_LIMIT = 1000;

/**
 * A PostgreSQL server through a `pg` pool. Statements are named, so each connection parses and plans a
 * statement once and then only binds and executes it (the call path's CTEs are large enough for the
 * planning to matter).
 */
export class PgDatabase implements Database {
  readonly singleOwner = null;
  readonly dialect = 'postgres' as const;
  private readonly names = new Map<string, string>();
  private constructor(private readonly pool: pg.Pool) {}

  private config(sql: string, params: readonly unknown[]): pg.QueryConfig {
    // Without parameters pg uses the simple protocol, which also runs multi-statement scripts: keep that.
    if (params.length === 0) return { text: sql };
    let name = this.names.get(sql);
    if (name === undefined && this.names.size < NAMED_STATEMENT_LIMIT) {
      name = `saas_llm_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
      this.names.set(sql, name);
    }
    return name === undefined ? { text: sql, values: params as unknown[] } : { name, text: sql, values: params as unknown[] };
  }

  static async open(connectionString: string, maxConnections = 10): Promise<PgDatabase> {
    const pool = new pg.Pool({ connectionString, max: maxConnections, types: typeParsers });
    // A pool error on an idle client must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const client = await pool.connect();
    client.release();
    return new PgDatabase(pool);
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.pool.query(this.config(sql, params));
    return result.rows as Row[];
  }

  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work({
        query: async <Row>(sql: string, params: readonly unknown[] = []) => (await client.query(this.config(sql, params))).rows as Row[],
        exec: async (sql: string) => { await client.query(sql); },
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
