import { parse, protocol, type PGlite } from '@electric-sql/pglite';

/**
 * Named prepared statements for PGlite. `PGlite.query` parses and plans every statement afresh and talks
 * to the WASM backend six times per query (parse, describe, bind, describe, execute, sync). Measured on
 * the benchmark machine: a settlement's CTE went from 3.5 ms to 0.95 ms of single-threaded CPU by
 * preparing it once and sending bind + execute + sync in one exchange — and PGlite runs on the gateway's
 * own event loop, so that CPU is the gateway's throughput.
 *
 * Values are serialised exactly as `PGlite.query` does (by the parameter types the server inferred, with
 * the instance's serializers) and rows parsed with its parsers, so callers see the same results.
 */
export class PgliteStatements {
  private readonly prepared = new Map<string, { name: string; parameterTypes: number[] }>();

  /** Beyond this many distinct SQL texts, new ones run unprepared (dynamic filters could otherwise grow the cache forever). */
  constructor(private readonly db: PGlite, private readonly limit = 1000) {}

  /** Whether this PGlite build exposes what the fast path needs; otherwise callers use `PGlite.query`. */
  static supported(db: PGlite): boolean {
    const internals = db as unknown as Partial<Record<'_runExclusiveQuery' | '_runExclusiveTransaction' | 'execProtocol', unknown>>;
    return typeof internals._runExclusiveQuery === 'function' && typeof internals._runExclusiveTransaction === 'function'
      && typeof internals.execProtocol === 'function' && typeof protocol?.serialize?.bind === 'function';
  }

  /** Outside a transaction: waits for any open transaction, as `PGlite.query` does. */
  query<Row>(sql: string, params: readonly unknown[]): Promise<Row[]> {
    const db = this.db as unknown as Exclusive;
    return db._runExclusiveTransaction(() => db._runExclusiveQuery(async () => {
      const rows = await this.run<Row>(sql, params);
      await this.db.syncToFs();
      return rows;
    }));
  }

  /** Inside a transaction (which already holds the transaction lock; PGlite syncs at its end). */
  queryInTransaction<Row>(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return (this.db as unknown as Exclusive)._runExclusiveQuery(() => this.run<Row>(sql, params));
  }

  /** Whether `sql` would be prepared (or already is). */
  accepts(sql: string): boolean {
    return this.prepared.has(sql) || this.prepared.size < this.limit;
  }

  private async run<Row>(sql: string, params: readonly unknown[]): Promise<Row[]> {
    const statement = this.prepared.get(sql) ?? await this.prepare(sql);
    const values = params.map((value, index) => {
      if (value === null || value === undefined) return null;
      const serializer = this.db.serializers[statement.parameterTypes[index] ?? 0];
      return serializer ? serializer(value) : String(value);
    });
    const { serialize } = protocol;
    const { messages } = await this.db.execProtocol(concat([
      serialize.bind({ statement: statement.name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync(),
    ]), { syncToFs: false });
    return (parse.parseResults(messages, this.db.parsers)[0]?.rows ?? []) as Row[];
  }

  private async prepare(sql: string): Promise<{ name: string; parameterTypes: number[] }> {
    const name = `saas_llm_${this.prepared.size + 1}`;
    const { serialize } = protocol;
    const { messages } = await this.db.execProtocol(concat([serialize.parse({ name, text: sql, types: [] }), serialize.describe({ type: 'S', name }), serialize.sync()]), { syncToFs: false });
    const statement = { name, parameterTypes: parse.parseDescribeStatementResults(messages) };
    this.prepared.set(sql, statement);
    return statement;
  }
}

interface Exclusive {
  _runExclusiveQuery<T>(work: () => Promise<T>): Promise<T>;
  _runExclusiveTransaction<T>(work: () => Promise<T>): Promise<T>;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const message = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.length;
  }
  return message;
}
