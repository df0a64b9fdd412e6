import { ConnectionError, type SaaSLLMError } from '@saas-llm/sdk';

/**
 * Human-readable output of the admin commands: tables for lists, aligned `field  value` lines for one
 * resource, and one-paragraph error reports. `--json` bypasses all of this.
 */

const MAX_CELL = 60;

/**
 * A table of `rows` with the `columns` that at least one row has (so a guessed column the server does
 * not send is left out rather than shown empty); every field of the first row when none match.
 */
export function formatTable(rows: readonly unknown[], columns: readonly string[]): string {
  const records = rows.map((row) => (isRecord(row) ? row : { value: row }));
  if (records.length === 0) return '(none)\n';
  let shown = columns.filter((column) => records.some((record) => column in record));
  if (shown.length === 0) shown = Object.keys(records[0] as Record<string, unknown>);
  const cells = records.map((record) => shown.map((column) => truncate(formatCell(record[column]))));
  const widths = shown.map((column, index) => Math.max(column.length, ...cells.map((row) => (row[index] as string).length)));
  const line = (values: readonly string[]): string => values.map((value, index) => value.padEnd(widths[index] as number)).join('  ').trimEnd();
  return [line(shown.map((column) => column.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/**
 * A list answer as a table. Some list routes answer a bare array, others wrap it with context
 * (`{team_id, keys: […]}`, `{jobs: […], next_cursor}`); the rows are the array either way.
 */
export function formatList(response: unknown, columns: readonly string[]): string {
  const table = formatTable(rowsOf(response), columns);
  const nextCursor = isRecord(response) ? response['next_cursor'] : undefined;
  return typeof nextCursor === 'string' && nextCursor !== '' ? `${table}More: --cursor ${nextCursor}\n` : table;
}

/**
 * One resource as aligned `field  value` lines. Nested objects are flattened into dotted fields
 * (`costs.total_calls`) so the lines stay greppable; lists of objects (a job's calls, a group's
 * members, analytics groups) follow as titled tables, with `tableColumns[field]` when given, else their
 * scalar fields.
 */
export function formatRecord(value: unknown, tableColumns: Readonly<Record<string, readonly string[]>> = {}): string {
  if (value === undefined || value === null) return 'Done.\n';
  if (Array.isArray(value)) return formatTable(value, []);
  if (!isRecord(value)) return `${String(value)}\n`;
  const tables = Object.entries(value).filter((entry): entry is [string, unknown[]] => isTableOfRecords(entry[1]));
  const tableFields = new Set(tables.map(([field]) => field));
  const entries = flatten(Object.fromEntries(Object.entries(value).filter(([field]) => !tableFields.has(field))), '');
  const width = Math.max(0, ...entries.map(([field]) => field.length));
  let text = entries.map(([field, cell]) => `${field.padEnd(width)}  ${cell}`.trimEnd()).join('\n') + (entries.length > 0 ? '\n' : '');
  for (const [field, rows] of tables) {
    const columns = tableColumns[field] ?? scalarFields(rows[0] as Record<string, unknown>);
    const table = formatTable(rows, columns).trimEnd().split('\n').map((line) => `  ${line}`).join('\n');
    text += `\n${field.toUpperCase()} (${rows.length})\n${table}\n`;
  }
  return text === '' ? 'Done.\n' : text;
}

/**
 * The report of a failed command for stderr: the server's message first (it is written for people),
 * then what identifies the failure (code, status, field, request id), then a hint when one helps.
 */
export function formatApiError(error: SaaSLLMError, context: { apiUrl: string; hasCredentials: boolean }): string {
  const details: string[] = [];
  if (!(error instanceof ConnectionError)) {
    details.push(`code ${error.code}`);
    if (error.status !== undefined) details.push(`HTTP ${error.status}`);
    if (error.param) details.push(`field ${error.param}`);
    if (error.requestId) details.push(`request id ${error.requestId}`);
  }
  let report = `Error: ${error.message}${details.length > 0 ? ` (${details.join(', ')})` : ''}\n`;
  if (error instanceof ConnectionError) {
    report += `Is the gateway running at ${context.apiUrl}? Set it with --url or SAAS_API_URL.\n`;
  } else if (error.status === 401 && !context.hasCredentials) {
    report += 'No admin credentials were sent: pass --admin-key or set SAAS_LLM_MASTER_KEY.\n';
  }
  return report;
}

function isTableOfRecords(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.length > 0 && value.every(isRecord);
}

/** Columns a table can show on one line: the fields that are not objects or lists. */
function scalarFields(row: Record<string, unknown>): string[] {
  return Object.keys(row).filter((field) => !isRecord(row[field]) && !Array.isArray(row[field]));
}

function rowsOf(response: unknown): unknown[] {
  if (Array.isArray(response)) return response;
  if (!isRecord(response)) return [];
  return (Object.values(response).find((value) => Array.isArray(value)) as unknown[] | undefined) ?? [];
}

function flatten(record: Record<string, unknown>, prefix: string): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(record)) {
    const field = prefix + key;
    if (isRecord(value) && Object.keys(value).length > 0 && prefix.split('.').length < 3) entries.push(...flatten(value, `${field}.`));
    else entries.push([field, formatCell(value)]);
  }
  return entries;
}

/** One value on one line: lists joined, objects in a list named by their first text field. */
function formatCell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '-';
    return value.map((item) => (isRecord(item) ? memberLabel(item) : formatCell(item))).join(', ');
  }
  return JSON.stringify(value);
}

/** `{alias: "gpt", priority: 0}` → `gpt(0)`; other objects → their first text field, else JSON. */
function memberLabel(item: Record<string, unknown>): string {
  const name = Object.values(item).find((field): field is string => typeof field === 'string');
  if (name === undefined) return JSON.stringify(item);
  return typeof item['priority'] === 'number' ? `${name}(${item['priority']})` : name;
}

function truncate(text: string): string {
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
