/**
 * Command-line parsing for the `saas-llm` admin commands: flags and positionals, then typed values.
 * Failures are `UsageError`s: the user typed something wrong (exit code 2), not the server refused.
 */

/** A mistake in the command line; the message says what to fix. */
export class UsageError extends Error {
  /** The resource whose usage text helps, when known. */
  readonly resource: string | undefined;

  constructor(message: string, resource?: string) {
    super(message);
    this.name = 'UsageError';
    this.resource = resource;
  }
}

/** The command line split into positionals and flags; flag values are kept as typed, in order. */
export interface ParsedArgv {
  positionals: string[];
  /** Value flags: every occurrence, so list flags may repeat (`--access-group a --access-group b`). */
  values: Map<string, string[]>;
  /** Switches: `--json` → true, `--no-force` or `--force=false` → false. */
  switches: Map<string, boolean>;
}

/**
 * Splits `argv` into positionals and flags. `switchNames` are the flags that take no value; every other
 * `--name` takes the next token (or `--name=value`) as its value, even one starting with a single dash,
 * so `--credits -50` works. `--` ends the flags. `-h` is `--help`.
 */
export function parseArgv(argv: readonly string[], switchNames: ReadonlySet<string>): ParsedArgv {
  const parsed: ParsedArgv = { positionals: [], values: new Map(), switches: new Map() };
  for (let index = 0; index < argv.length; index += 1) {
    const token = argv[index] as string;
    if (token === '--') {
      parsed.positionals.push(...argv.slice(index + 1));
      break;
    }
    if (token === '-h') {
      parsed.switches.set('help', true);
      continue;
    }
    if (!token.startsWith('--') || token.length === 2) {
      parsed.positionals.push(token);
      continue;
    }
    const equals = token.indexOf('=');
    const name = equals === -1 ? token.slice(2) : token.slice(2, equals);
    const inlineValue = equals === -1 ? undefined : token.slice(equals + 1);
    if (switchNames.has(name)) {
      parsed.switches.set(name, inlineValue === undefined ? true : toBoolean(inlineValue, name));
      continue;
    }
    if (name.startsWith('no-') && switchNames.has(name.slice(3)) && inlineValue === undefined) {
      parsed.switches.set(name.slice(3), false);
      continue;
    }
    let value = inlineValue;
    if (value === undefined) {
      const next = argv[index + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value.`);
      value = next;
      index += 1;
    }
    const values = parsed.values.get(name) ?? [];
    values.push(value);
    parsed.values.set(name, values);
  }
  return parsed;
}

/** The kinds of value a flag or argument converts to. */
export type ValueKind = 'string' | 'number' | 'integer' | 'boolean' | 'list' | 'json' | 'members';

/**
 * Converts the raw texts of one flag to its kind. Lists take repeats and comma-separated items;
 * `nullable` flags take `none` to clear a setting (sent as JSON null).
 */
export function convertValue(texts: readonly string[], kind: ValueKind, label: string, nullable = false): unknown {
  if (kind === 'list') return texts.flatMap((text) => text.split(',')).map((item) => item.trim()).filter((item) => item.length > 0);
  if (kind === 'members') return texts.flatMap((text) => text.split(',')).filter((item) => item.trim().length > 0).map((item) => toMember(item.trim(), label));
  if (texts.length > 1) throw new UsageError(`${label} was given ${texts.length} times; give it once.`);
  const text = texts[0] as string;
  if (nullable && (text === 'none' || text === 'null')) return null;
  switch (kind) {
    case 'string': return text;
    case 'number': return toNumber(text, label);
    case 'integer': return toInteger(text, label);
    case 'boolean': return toBoolean(text, label);
    case 'json': return toJsonObject(text, label);
  }
}

/** A finite number, e.g. `100`, `-2.5`, `1e3`. */
export function toNumber(text: string, label: string): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`${label} must be a number, got '${text}'.`);
  return value;
}

/** A whole number. */
export function toInteger(text: string, label: string): number {
  const value = toNumber(text, label);
  if (!Number.isInteger(value)) throw new UsageError(`${label} must be a whole number, got '${text}'.`);
  return value;
}

/** `true`/`false` and their usual spellings. */
export function toBoolean(text: string, label: string): boolean {
  const normalized = text.trim().toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(normalized)) return true;
  if (['false', 'no', '0', 'off'].includes(normalized)) return false;
  throw new UsageError(`${label} must be true or false, got '${text}'.`);
}

/** A JSON object, e.g. `--metadata '{"tier":"gold"}'`. */
export function toJsonObject(text: string, label: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new UsageError(`${label} must be a JSON object: ${error.message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${label} must be a JSON object, e.g. '{"key":"value"}'.`);
  return value as Record<string, unknown>;
}

/** A model-group member written `alias[:priority[:weight]]`, e.g. `gpt-4o-mini:0:3`. */
export function toMember(text: string, label: string): { alias: string; priority?: number; weight?: number } {
  // Aliases may contain ':' themselves, so the numbers are read from the end.
  const parts = text.split(':');
  const numbers: number[] = [];
  while (parts.length > 1 && numbers.length < 2 && /^\d+$/.test(parts[parts.length - 1] as string)) numbers.unshift(Number(parts.pop()));
  const alias = parts.join(':');
  if (alias === '') throw new UsageError(`${label} must look like alias[:priority[:weight]], got '${text}'.`);
  const member: { alias: string; priority?: number; weight?: number } = { alias };
  if (numbers[0] !== undefined) member.priority = numbers[0];
  if (numbers[1] !== undefined) member.weight = numbers[1];
  return member;
}
