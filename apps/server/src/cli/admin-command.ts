import type { z } from 'zod';
import type { SaaSLLMAdminClient } from '@saas-llm/sdk';
import { UsageError, type ValueKind } from './cli-args.ts';
import { formatList, formatRecord } from './cli-output.ts';

/**
 * The shape of one admin subcommand (`saas-llm <resource> <action>`): its arguments and flags, which
 * SDK call it makes, and how its answer is printed. The command tables are data of this shape, so
 * parsing, validation and the usage text are written once.
 */

/** A `--flag`. Its value lands in `CommandInput.values[field]`. */
export interface FlagSpec {
  /** Without the dashes, e.g. `organization-id`. */
  name: string;
  /** Key in `values` (and usually the body field); defaults to the name with `-` → `_`. */
  field?: string;
  /** Default `string`. `boolean` flags are switches: `--force`, `--no-active`. */
  kind?: ValueKind;
  required?: boolean;
  /** Accepts `none` to clear the setting (sent as null). */
  nullable?: boolean;
  /** Shown in the usage text: `--credits <n>`. */
  placeholder?: string;
  help: string;
}

/** A positional argument, e.g. `<team_id>`. */
export interface ArgSpec {
  name: string;
  /** An optional argument may also be given as the flag of the same field (`credits add t 100`). */
  optional?: boolean;
  kind?: ValueKind;
  field?: string;
}

/** What a command's `run` receives. */
export interface CommandInput {
  /** Required positional arguments by name. */
  args: Record<string, string>;
  /** Converted flags and optional arguments by field; only what was given. */
  values: Record<string, unknown>;
  /** The environment given to the CLI (e.g. for `--api-key-env`). */
  env: Record<string, string | undefined>;
  /** How the user names a field (`--credits`), for messages. */
  labelOf(field: string): string;
}

export interface AdminCommand {
  action: string;
  summary: string;
  args: ArgSpec[];
  flags: FlagSpec[];
  /** Runs when the resource is given without an action (e.g. `saas-llm dashboard`). */
  isDefault?: boolean;
  run(client: SaaSLLMAdminClient, input: CommandInput): Promise<unknown>;
  /** Human-readable output; `--json` prints the answer instead. */
  render(response: unknown, input: CommandInput): string;
}

export interface AdminResource {
  name: string;
  aliases: string[];
  summary: string;
  commands: AdminCommand[];
}

/** The field a flag or argument fills. */
export function fieldOf(spec: { name: string; field?: string }): string {
  return spec.field ?? spec.name.replace(/-/g, '_');
}

/**
 * Checks `candidate` against the protocol's schema of the request body, so a mistake is reported before
 * anything is sent, in terms of the flags the user typed.
 */
export function validated<S extends z.ZodType>(schema: S, candidate: Record<string, unknown>, input: CommandInput): z.output<S> {
  const result = schema.safeParse(candidate);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? String(issue.path[0]) : '';
    const location = issue.path.length > 1 ? ` (${issue.path.slice(1).join('.')})` : '';
    return field ? `${input.labelOf(field)}${location}: ${issue.message}` : issue.message;
  });
  throw new UsageError(problems.join('\n'));
}

/** Refuses an update that would change nothing. */
export function requireSome(values: Record<string, unknown>, flags: readonly FlagSpec[]): void {
  if (Object.keys(values).length > 0) return;
  throw new UsageError(`Nothing to change: give at least one of ${flags.map((spec) => `--${spec.name}`).join(', ')}.`);
}

/** Copies `values` without the listed fields (command options that are not body fields). */
export function without(values: Record<string, unknown>, ...fields: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([field]) => !fields.includes(field)));
}

// ---------- renderers ----------

/** Prints a list answer as a table of these columns. */
export function asTable(columns: string[]): AdminCommand['render'] {
  return (response) => formatList(response, columns);
}

/**
 * Prints one resource; `note` adds a line after it (e.g. that a key is shown once), `tables` chooses the
 * columns of nested lists.
 */
export function asRecord(options: { note?: (response: unknown) => string | undefined; tables?: Record<string, string[]> } = {}): AdminCommand['render'] {
  return (response) => {
    const extra = options.note?.(response);
    return formatRecord(response, options.tables) + (extra ? `\n${extra}\n` : '');
  };
}

/** Prints one sentence about what was done; `--json` shows the full answer. */
export function asMessage(message: (input: CommandInput, response: Record<string, unknown>) => string): AdminCommand['render'] {
  return (response, input) => `${message(input, typeof response === 'object' && response !== null ? response as Record<string, unknown> : {})}\n`;
}

/** The note after an answer that holds a secret shown only once. */
export function shownOnceNote(fields: string[]): (response: unknown) => string | undefined {
  return (response) => {
    if (typeof response !== 'object' || response === null) return undefined;
    const present = fields.find((field) => field in response);
    return present ? `Store the ${present.replace(/_/g, ' ')} now: it is not shown again.` : undefined;
  };
}

// ---------- flag helpers shared by the command tables ----------

export const flag = {
  text: (name: string, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, help, kind: 'string', ...extra }),
  number: (name: string, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, help, kind: 'number', placeholder: 'n', ...extra }),
  integer: (name: string, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, help, kind: 'integer', placeholder: 'n', ...extra }),
  switch: (name: string, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, help, kind: 'boolean', ...extra }),
  list: (name: string, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, help, kind: 'list', ...extra }),
  json: (name: string, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, help, kind: 'json', placeholder: 'json', ...extra }),
};

/** `--metadata '{"k":"v"}'`, accepted by most resources. */
export const metadataFlag = flag.json('metadata', 'free-form JSON object stored with the resource');

/** The per-team limits, each clearable with `none`. */
export const limitFlags: FlagSpec[] = [
  flag.integer('rpm-limit', 'requests per minute', { nullable: true }),
  flag.integer('tpm-limit', 'tokens per minute', { nullable: true }),
  flag.integer('max-concurrent-calls', 'calls in flight at once', { nullable: true }),
  flag.integer('max-open-jobs', 'jobs open at once', { nullable: true }),
];
