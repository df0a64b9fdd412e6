import { SaaSLLMAdminClient, SaaSLLMError, type FetchLike, type SaaSLLMAdminClientOptions } from '@saas-llm/sdk';
import { UsageError, convertValue, parseArgv, type ParsedArgv } from './cli-args.ts';
import { formatApiError } from './cli-output.ts';
import { fieldOf, flag, type AdminCommand, type AdminResource, type CommandInput, type FlagSpec } from './admin-command.ts';
import { creditsResource, keysResource, organizationsResource, teamsResource } from './admin-tenancy-commands.ts';
import {
  accessGroupsResource, credentialsResource, jobsResource, modelGroupsResource, modelsResource, statsResources,
} from './admin-catalog-commands.ts';

/** Where the admin commands write, and the environment they read: both passed in by the entry point (and by tests). */
export interface AdminCommandIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** The fetch the SDK uses; defaults to the global one. */
  fetch?: FetchLike;
}

const DEFAULT_API_URL = 'http://localhost:8003';

/** Every resource of `saas-llm <resource> <action>`, in the order the usage text lists them. */
export const ADMIN_RESOURCES: readonly AdminResource[] = [
  organizationsResource, teamsResource, keysResource, creditsResource,
  credentialsResource, modelsResource, modelGroupsResource, accessGroupsResource,
  jobsResource, ...statsResources,
];

/** Flags every admin command takes. */
const GLOBAL_FLAGS: FlagSpec[] = [
  flag.text('url', `gateway URL (env SAAS_API_URL, default ${DEFAULT_API_URL})`, { placeholder: 'url' }),
  flag.text('admin-key', 'master key (env SAAS_LLM_MASTER_KEY)', { placeholder: 'key' }),
  flag.text('session-token', 'admin session token, instead of the master key (env SAAS_LLM_SESSION_TOKEN)', { placeholder: 'token' }),
  flag.integer('timeout', 'milliseconds to wait for the gateway (default 60000)', { placeholder: 'ms' }),
  flag.switch('json', 'print the raw JSON answer'),
  flag.switch('help', 'show the usage of a resource or command'),
];

/** The flags that take no value, across every command: a name is a switch everywhere or nowhere. */
const SWITCH_NAMES: ReadonlySet<string> = new Set(
  [...GLOBAL_FLAGS, ...ADMIN_RESOURCES.flatMap((resource) => resource.commands.flatMap((command) => command.flags))]
    .filter((spec) => spec.kind === 'boolean')
    .map((spec) => spec.name),
);

const EXAMPLES = `Examples:
  saas-llm orgs create acme --name "Acme Corp"
  saas-llm teams create acme-support --organization-id acme --credits 100 --access-group chat --budget-mode job_based
  saas-llm credits add acme-support 500 --reason "monthly top-up"
  saas-llm keys rotate acme-support <key_id> --grace-seconds 3600
  saas-llm groups members chat-fast --member gpt-4o-mini:0 --member mock-fast:1
  saas-llm teams list --organization-id acme --json`;

/** The usage text of the admin commands (`saas-llm help`). */
export const ADMIN_USAGE = buildAdminUsage();

/**
 * Runs `saas-llm <resource> <action> [args] [--flags] [--json]` against the gateway's admin API through
 * the SDK. Returns the exit code: 0 on success, 1 when the gateway refused or could not be reached (its
 * message on stderr), 2 for a mistake in the command line (with the relevant usage on stderr).
 */
export async function runAdminCommand(argv: string[], io: AdminCommandIO): Promise<number> {
  let parsed: ParsedArgv;
  try {
    parsed = parseArgv(argv, SWITCH_NAMES);
  } catch (error) {
    return usageFailure(error, ADMIN_USAGE, io);
  }
  const [resourceName, actionName, ...rest] = parsed.positionals;
  const wantsHelp = parsed.switches.get('help') === true;
  if (resourceName === undefined) {
    (wantsHelp ? io.stdout : io.stderr).write(ADMIN_USAGE);
    return wantsHelp ? 0 : 2;
  }
  if (resourceName === 'help' || resourceName === 'admin-help') return printHelp(actionName, io);
  const resource = findResource(resourceName);
  if (!resource) return usageFailure(new UsageError(`Unknown command '${resourceName}'.`), ADMIN_USAGE, io);
  const command = actionName === undefined
    ? resource.commands.find((candidate) => candidate.isDefault)
    : resource.commands.find((candidate) => candidate.action === actionName);
  if (wantsHelp && (!command || actionName === undefined)) {
    io.stdout.write(resourceUsage(resource));
    return 0;
  }
  if (!command) {
    const problem = actionName === undefined ? `'${resource.name}' needs an action.` : `Unknown action '${actionName}' for '${resource.name}'.`;
    return usageFailure(new UsageError(problem), resourceUsage(resource), io);
  }
  if (wantsHelp) {
    io.stdout.write(commandUsage(resource, command));
    return 0;
  }
  try {
    const input = commandInput(resource, command, rest, parsed, io.env);
    const client = new SaaSLLMAdminClient(connectionOptions(parsed, io));
    const response = await command.run(client, input);
    if (parsed.switches.get('json') === true) {
      if (response !== undefined) io.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
    } else {
      io.stdout.write(command.render(response, input));
    }
    return 0;
  } catch (error) {
    if (error instanceof SaaSLLMError) {
      io.stderr.write(formatApiError(error, { apiUrl: apiUrlOf(parsed, io.env), hasCredentials: hasCredentials(parsed, io.env) }));
      return 1;
    }
    return usageFailure(error, commandUsage(resource, command), io);
  }
}

/** Binds positionals and flags to the command's declaration, converting values and checking what is required. */
function commandInput(resource: AdminResource, command: AdminCommand, positionals: string[], parsed: ParsedArgv, env: Record<string, string | undefined>): CommandInput {
  const known = new Map([...GLOBAL_FLAGS, ...command.flags].map((spec) => [spec.name, spec]));
  for (const name of [...parsed.values.keys(), ...parsed.switches.keys()]) {
    if (!known.has(name)) throw new UsageError(`Unknown flag --${name} for '${resource.name} ${command.action}'.`);
  }
  const values: Record<string, unknown> = {};
  for (const spec of command.flags) {
    const texts = parsed.values.get(spec.name);
    const toggled = parsed.switches.get(spec.name);
    if (texts !== undefined) values[fieldOf(spec)] = convertValue(texts, spec.kind ?? 'string', `--${spec.name}`, spec.nullable);
    else if (toggled !== undefined) values[fieldOf(spec)] = toggled;
  }
  const args: Record<string, string> = {};
  const required = command.args.filter((arg) => !arg.optional);
  if (positionals.length < required.length) {
    throw new UsageError(`Missing ${required.slice(positionals.length).map((arg) => `<${arg.name}>`).join(' ')}.`);
  }
  if (positionals.length > command.args.length) throw new UsageError(`Unexpected argument '${positionals[command.args.length]}'.`);
  command.args.forEach((arg, index) => {
    const text = positionals[index];
    if (text === undefined) return;
    if (!arg.optional) {
      args[arg.name] = text;
      return;
    }
    const field = fieldOf(arg);
    if (field in values) throw new UsageError(`Give <${arg.name}> or --${arg.name}, not both.`);
    values[field] = convertValue([text], arg.kind ?? 'string', `<${arg.name}>`);
  });
  for (const spec of command.flags) {
    if (spec.required && !(fieldOf(spec) in values)) throw new UsageError(`--${spec.name} is required.`);
  }
  const labelOf = (field: string): string => {
    const spec = command.flags.find((candidate) => fieldOf(candidate) === field);
    if (spec) return `--${spec.name}`;
    return command.args.some((arg) => arg.name === field) ? `<${field}>` : field;
  };
  return { args, values, env, labelOf };
}

function connectionOptions(parsed: ParsedArgv, io: AdminCommandIO): SaaSLLMAdminClientOptions {
  const adminKeyFlag = parsed.values.get('admin-key')?.at(-1);
  const sessionTokenFlag = parsed.values.get('session-token')?.at(-1);
  if (adminKeyFlag !== undefined && sessionTokenFlag !== undefined) throw new UsageError('Give --admin-key or --session-token, not both.');
  const timeoutTexts = parsed.values.get('timeout');
  const common = {
    apiUrl: apiUrlOf(parsed, io.env),
    ...(io.fetch ? { fetch: io.fetch } : {}),
    ...(timeoutTexts ? { timeout: convertValue(timeoutTexts, 'integer', '--timeout') as number } : {}),
  };
  // An explicit flag wins over the environment; a session token from the environment only counts when
  // no master key is around, since the master key is what automation sets.
  const adminKey = sessionTokenFlag === undefined ? adminKeyFlag ?? nonEmpty(io.env['SAAS_LLM_MASTER_KEY']) : undefined;
  if (adminKey !== undefined) return { ...common, adminKey };
  const sessionToken = sessionTokenFlag ?? nonEmpty(io.env['SAAS_LLM_SESSION_TOKEN']);
  if (sessionToken !== undefined) return { ...common, sessionToken };
  return common;
}

function apiUrlOf(parsed: ParsedArgv, env: Record<string, string | undefined>): string {
  return parsed.values.get('url')?.at(-1) ?? nonEmpty(env['SAAS_API_URL']) ?? DEFAULT_API_URL;
}

function hasCredentials(parsed: ParsedArgv, env: Record<string, string | undefined>): boolean {
  return parsed.values.has('admin-key') || parsed.values.has('session-token') || !!nonEmpty(env['SAAS_LLM_MASTER_KEY']) || !!nonEmpty(env['SAAS_LLM_SESSION_TOKEN']);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function findResource(name: string): AdminResource | undefined {
  return ADMIN_RESOURCES.find((resource) => resource.name === name || resource.aliases.includes(name));
}

function printHelp(topic: string | undefined, io: AdminCommandIO): number {
  if (topic === undefined) {
    io.stdout.write(ADMIN_USAGE);
    return 0;
  }
  const resource = findResource(topic);
  if (!resource) return usageFailure(new UsageError(`Unknown command '${topic}'.`), ADMIN_USAGE, io);
  io.stdout.write(resourceUsage(resource));
  return 0;
}

/** Reports a command-line mistake with the usage that helps; anything else is a bug and propagates. */
function usageFailure(error: unknown, usage: string, io: AdminCommandIO): number {
  if (!(error instanceof UsageError)) throw error;
  io.stderr.write(`${error.message}\n\n${usage}`);
  return 2;
}

// ---------- usage text ----------

function commandLine(resource: AdminResource, command: AdminCommand): string {
  const parts = [`saas-llm ${resource.name}`];
  if (!command.isDefault) parts.push(command.action);
  for (const arg of command.args) parts.push(arg.optional ? `[<${arg.name}>]` : `<${arg.name}>`);
  for (const spec of command.flags.filter((candidate) => candidate.required)) parts.push(flagSyntax(spec));
  if (command.flags.some((candidate) => !candidate.required)) parts.push('[flags]');
  return parts.join(' ');
}

function flagSyntax(spec: FlagSpec): string {
  return spec.kind === 'boolean' ? `--${spec.name}` : `--${spec.name} <${spec.placeholder ?? 'value'}>`;
}

function flagLines(flags: readonly FlagSpec[]): string {
  const rows = flags.map((spec) => [flagSyntax(spec), spec.help + (spec.required ? ' (required)' : '') + (spec.nullable ? "; 'none' clears it" : '')] as const);
  const width = Math.max(...rows.map(([syntax]) => syntax.length));
  return rows.map(([syntax, help]) => `      ${syntax.padEnd(width)}  ${help}\n`).join('');
}

function commandUsage(resource: AdminResource, command: AdminCommand): string {
  let text = `  ${commandLine(resource, command)}\n      ${command.summary}\n`;
  if (command.flags.length > 0) text += flagLines(command.flags);
  return text;
}

function resourceUsage(resource: AdminResource): string {
  const aliases = resource.aliases.length > 0 ? ` (also: ${resource.aliases.join(', ')})` : '';
  return `saas-llm ${resource.name}${aliases} — ${resource.summary}\n\n`
    + resource.commands.map((command) => commandUsage(resource, command)).join('\n')
    + `\nEvery command also takes:\n${flagLines(GLOBAL_FLAGS)}`;
}

function buildAdminUsage(): string {
  const sections = ADMIN_RESOURCES.map((resource) => {
    const aliases = resource.aliases.length > 0 ? ` (${resource.aliases.join(', ')})` : '';
    const lines = resource.commands.map((command) => `    ${commandLine(resource, command).replace(/^saas-llm /, '')}\n        ${command.summary}\n`);
    return `  ${resource.name}${aliases} — ${resource.summary}\n${lines.join('')}`;
  });
  return `saas-llm admin commands — manage the gateway through its admin API

Usage: saas-llm <resource> <action> [arguments] [--flags] [--json]

Connection and output (every command):
${flagLines(GLOBAL_FLAGS)}
Commands:
${sections.join('\n')}
Run 'saas-llm help <resource>' (or add --help) for the flags of each command.

${EXAMPLES}
`;
}
