/** Messages between PgliteThreadDatabase (main thread) and pglite-thread-worker.ts. */
export interface ThreadRequest {
  id: number;
  op: 'query' | 'exec' | 'begin' | 'commit' | 'rollback' | 'close';
  /** The transaction a message belongs to (absent: outside any transaction). */
  tx?: number;
  sql?: string;
  params?: readonly unknown[];
}

/** Id 0 is the worker's "database open" signal. */
export type ThreadResponse = { id: number; rows: unknown[]; error?: undefined } | { id: number; error: SerializedError; rows?: undefined };

/** A database error as plain data: structured clone keeps an Error's message but drops `code` and the rest. */
export interface SerializedError {
  message: string;
  name?: string;
  code?: string;
  detail?: string;
  hint?: string;
  severity?: string;
  constraint?: string;
  table?: string;
  column?: string;
  schema?: string;
}

const FIELDS = ['name', 'code', 'detail', 'hint', 'severity', 'constraint', 'table', 'column', 'schema'] as const;

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { message: String(error) };
  const serialized: SerializedError = { message: error.message };
  const source = error as unknown as Record<string, unknown>;
  for (const field of FIELDS) {
    if (typeof source[field] === 'string') serialized[field] = source[field];
  }
  return serialized;
}

/** An Error carrying the same fields as the database error it stands for (callers read `code`). */
export function deserializeError(serialized: SerializedError): Error {
  const error = new Error(serialized.message) as Error & Record<string, unknown>;
  for (const field of FIELDS) {
    if (serialized[field] !== undefined && field !== 'name') error[field] = serialized[field];
  }
  return error;
}
