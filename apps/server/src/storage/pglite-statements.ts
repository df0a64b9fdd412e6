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
    const bind = values.every((value) => value === null || typeof value === 'string')
      ? bindTextMessage(statement.name, values as ReadonlyArray<string | null>)
      : serialize.bind({ statement: statement.name, values });
    const { messages } = await this.db.execProtocol(concat([bind, serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]), { syncToFs: false });
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

/**
 * A Bind message (PostgreSQL frontend protocol) for the unnamed portal, every parameter and result in text.
 * PGlite's own serializer measures each string's UTF-8 length with a JavaScript loop over its characters;
 * a round of call records sends tens of kilobytes of JSON, and that loop was ~7 % of the database thread's
 * time in a profile of the benchmark. `Buffer.byteLength` and `Buffer.write` do the same natively.
 */
export function bindTextMessage(statement: string, values: ReadonlyArray<string | null>): Uint8Array {
  const statementBytes = Buffer.byteLength(statement);
  // length field, portal "" (its terminator), statement + terminator, 0 parameter format codes (all text),
  // the parameter count, each parameter's length, 0 result format codes (all text).
  let length = 4 + 1 + statementBytes + 1 + 2 + 2 + 4 * values.length + 2;
  const sizes = values.map((value) => (value === null ? -1 : Buffer.byteLength(value)));
  for (const size of sizes) if (size > 0) length += size;
  const message = Buffer.allocUnsafe(1 + length);
  let offset = message.writeUInt8(0x42, 0); // 'B'
  offset = message.writeInt32BE(length, offset);
  offset = message.writeUInt8(0, offset);
  offset += message.write(statement, offset, 'utf8');
  offset = message.writeUInt8(0, offset);
  offset = message.writeInt16BE(0, offset);
  offset = message.writeInt16BE(values.length, offset);
  values.forEach((value, index) => {
    offset = message.writeInt32BE(sizes[index]!, offset);
    if (value !== null) offset += message.write(value, offset, 'utf8');
  });
  message.writeInt16BE(0, offset);
  return message;
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
