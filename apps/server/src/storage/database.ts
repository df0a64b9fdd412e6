import type { LocalCallAccounting } from './local-call-accounting.ts';

/**
 * What a process keeps beside a database that it alone uses (embedded PGlite: one process owns its data
 * directory), shared by everything built over that database handle.
 */
export interface SingleOwnerState {
  callAccounting?: LocalCallAccounting;
}

/**
 * One storage interface over embedded PGlite and a PostgreSQL server (`pg`).
 * Both speak the same SQL dialect and the same `$1` placeholders; int8 values come back as JS numbers
 * (every integer we store — micro-credits, nano-dollars, token counts — stays below 2^53).
 */
export interface Queryable {
  /** Runs one parameterised statement and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/** A connection inside a transaction. */
export interface Transaction extends Queryable {
  /** Runs a script of several statements without parameters. */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly dialect: 'pglite' | 'postgres';
  /** Set when this process is the database's only user (PGlite); null for a server other processes share. */
  readonly singleOwner: SingleOwnerState | null;
  /** Runs `work` inside one transaction on one connection; rolls back when it throws. */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Postgres error codes the domain reacts to. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
export const PG_CHECK_VIOLATION = '23514';

export function pgErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    return (error as { code: string }).code;
  }
  return undefined;
}
