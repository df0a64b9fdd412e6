import {
  ANALYTICS_GROUP_BY, GROUP_STRATEGIES, PROVIDERS,
  accessGroupCreateSchema, adminAnalyticsQuerySchema, adminJobListQuerySchema, accessGroupModelsSchema, accessGroupUpdateSchema, credentialCreateSchema, credentialUpdateSchema,
  deploymentCreateSchema, deploymentUpdateSchema, modelGroupCreateSchema, modelGroupMembersSchema, modelGroupUpdateSchema,
} from '@saas-llm/protocol';
import type { ModelGroupResolveQuery } from '@saas-llm/sdk';
import { UsageError } from './cli-args.ts';
import {
  asMessage, asRecord, asTable, flag, requireSome, validated, without,
  type AdminResource, type CommandInput, type FlagSpec,
} from './admin-command.ts';

/** Commands for the model catalog (credentials, deployments, model groups, access groups) and for reading jobs and stats. */

const statusFlag = flag.text('status', 'active | inactive', { placeholder: 'status' });
const forceFlag = flag.switch('force', 'delete even while it is in use');

const resolveFlags: FlagSpec[] = [
  flag.text('team-id', 'resolve as this team would (checks its access)', { placeholder: 'id' }),
  flag.list('requires', 'capabilities the request needs: tools,json_schema,vision,embeddings', { placeholder: 'list' }),
  flag.integer('prompt-tokens', 'prompt size to check context windows against'),
  flag.integer('max-output-tokens', 'requested output tokens'),
];

/** `--requires tools,vision` → `{tools: true, vision: true}` next to the other resolve filters. */
function resolveQuery(values: Record<string, unknown>): ModelGroupResolveQuery {
  const requires = values['requires'];
  const capabilities = Array.isArray(requires) ? requires : [];
  const unknown = capabilities.filter((name) => !RESOLVE_CAPABILITIES.includes(name));
  if (unknown.length > 0) throw new UsageError(`--requires: unknown capability ${unknown.join(', ')} (known: ${RESOLVE_CAPABILITIES.join(', ')}).`);
  return { ...without(values, 'requires'), ...Object.fromEntries(capabilities.map((name) => [name, true])) } as ModelGroupResolveQuery;
}
const RESOLVE_CAPABILITIES = ['tools', 'json_schema', 'vision', 'embeddings'];

const credentialFlags: FlagSpec[] = [
  flag.text('name', 'credential name', { placeholder: 'name' }),
  flag.text('api-key', "the provider's API key (visible in shell history: prefer --api-key-env)", { placeholder: 'key' }),
  flag.text('api-key-env', 'read the API key from this environment variable', { placeholder: 'VAR' }),
  flag.text('api-base', 'base URL override', { placeholder: 'url', nullable: true }),
  flag.text('api-version', 'API version (Azure)', { placeholder: 'version', nullable: true }),
  flag.json('extra-headers', 'JSON object of headers sent upstream', { nullable: true }),
  flag.text('organization-id', 'only usable by this organization (none: every organization)', { placeholder: 'id', nullable: true }),
  flag.switch('active', 'usable by deployments (--no-active to disable)'),
];

/** Replaces `--api-key-env VAR` by the key it names, so the secret never has to be typed. */
function withApiKeyFromEnv(input: CommandInput): Record<string, unknown> {
  const variable = input.values['api_key_env'];
  if (typeof variable !== 'string') return input.values;
  if (input.values['api_key'] !== undefined) throw new UsageError('Give --api-key or --api-key-env, not both.');
  const apiKey = input.env[variable];
  if (!apiKey) throw new UsageError(`--api-key-env: the environment variable ${variable} is not set.`);
  return { ...without(input.values, 'api_key_env'), api_key: apiKey };
}

const deploymentFlags: FlagSpec[] = [
  flag.text('provider', PROVIDERS.join(' | '), { placeholder: 'provider' }),
  flag.text('model', "the provider's model id", { placeholder: 'model' }),
  flag.text('credential-id', 'credential to call it with', { placeholder: 'uuid', nullable: true }),
  flag.text('api-base', 'base URL override', { placeholder: 'url', nullable: true }),
  flag.number('input-price', 'USD per 1M prompt tokens', { field: 'input_price_per_million', placeholder: 'usd', nullable: true }),
  flag.number('output-price', 'USD per 1M completion tokens', { field: 'output_price_per_million', placeholder: 'usd', nullable: true }),
  flag.number('cached-input-price', 'USD per 1M cached prompt tokens', { field: 'cached_input_price_per_million', placeholder: 'usd', nullable: true }),
  flag.integer('context-window', 'tokens', { nullable: true }),
  flag.integer('max-output-tokens', 'tokens', { nullable: true }),
  flag.list('capabilities', 'tools,json_schema,vision,embeddings', { placeholder: 'list' }),
  statusFlag,
  flag.integer('timeout-ms', 'upstream timeout', { placeholder: 'ms' }),
  flag.json('settings', 'provider-specific settings, e.g. the mock\'s {"ttft_ms":50}'),
];

/** `--capabilities tools,vision` → `{tools: true, vision: true}`; the schema rejects unknown names. */
function deploymentBody(values: Record<string, unknown>): Record<string, unknown> {
  const capabilities = values['capabilities'];
  if (!Array.isArray(capabilities)) return values;
  return { ...values, capabilities: Object.fromEntries(capabilities.map((name) => [name, true])) };
}

const groupFlags: FlagSpec[] = [
  flag.text('display-name', 'name shown to tenants', { placeholder: 'text' }),
  flag.text('description', 'description', { placeholder: 'text' }),
  flag.text('strategy', GROUP_STRATEGIES.join(' | '), { placeholder: 'strategy' }),
  flag.integer('num-retries', 'retries of the same deployment before falling back'),
  flag.integer('retry-backoff-ms', 'backoff between those retries', { placeholder: 'ms' }),
  statusFlag,
];
const memberFlag = flag.list('member', 'alias[:priority[:weight]] (repeat, or comma-separate)', { kind: 'members', field: 'members', placeholder: 'member' });

const accessGroupMemberFlags: FlagSpec[] = [
  flag.list('model-group', 'model group granted (repeat, or comma-separate)', { field: 'model_groups', placeholder: 'name' }),
  flag.list('deployment', 'deployment alias granted (repeat, or comma-separate)', { field: 'deployments', placeholder: 'alias' }),
];

export const credentialsResource: AdminResource = {
  name: 'credentials',
  aliases: ['credential', 'creds'],
  summary: 'provider API keys (write-only secrets)',
  commands: [
    {
      action: 'list', summary: 'list credentials', args: [], flags: [],
      run: (client) => client.credentials.list(),
      render: asTable(['credential_id', 'provider', 'name', 'has_api_key', 'api_key_last4', 'organization_id', 'active']),
    },
    {
      action: 'create', summary: 'store a provider API key', args: [],
      flags: [flag.text('provider', PROVIDERS.join(' | '), { required: true, placeholder: 'provider' }), ...credentialFlags.map((spec) => (spec.name === 'name' ? { ...spec, required: true } : spec))],
      run: (client, input) => client.credentials.create(validated(credentialCreateSchema, withApiKeyFromEnv(input), input)),
      render: asRecord(),
    },
    {
      action: 'show', summary: 'show one credential', args: [{ name: 'credential_id' }], flags: [],
      run: (client, input) => client.credentials.get(input.args['credential_id'] as string),
      render: asRecord(),
    },
    {
      action: 'update', summary: 'change a credential or replace its key', args: [{ name: 'credential_id' }], flags: credentialFlags,
      run: (client, input) => {
        requireSome(input.values, credentialFlags);
        return client.credentials.update(input.args['credential_id'] as string, validated(credentialUpdateSchema, withApiKeyFromEnv(input), input));
      },
      render: asRecord(),
    },
    {
      action: 'delete', summary: 'delete a credential', args: [{ name: 'credential_id' }], flags: [],
      run: (client, input) => client.credentials.delete(input.args['credential_id'] as string),
      render: asMessage((input) => `Deleted credential '${input.args['credential_id']}'.`),
    },
    {
      action: 'activate', summary: 'let deployments use it again', args: [{ name: 'credential_id' }], flags: [],
      run: (client, input) => client.credentials.activate(input.args['credential_id'] as string),
      render: asMessage((input) => `Activated credential '${input.args['credential_id']}'.`),
    },
    {
      action: 'deactivate', summary: 'stop deployments from using it', args: [{ name: 'credential_id' }], flags: [],
      run: (client, input) => client.credentials.deactivate(input.args['credential_id'] as string),
      render: asMessage((input) => `Deactivated credential '${input.args['credential_id']}'.`),
    },
  ],
};

export const modelsResource: AdminResource = {
  name: 'models',
  aliases: ['model', 'deployments', 'deployment'],
  summary: 'deployments (model aliases): one upstream model each, with its price',
  commands: [
    {
      action: 'list', summary: 'list deployments', args: [], flags: [],
      run: (client) => client.models.list(),
      render: asTable(['alias', 'provider', 'model', 'status', 'input_price_per_million', 'output_price_per_million', 'credential_id']),
    },
    {
      action: 'create', summary: 'create a deployment', args: [{ name: 'alias' }],
      flags: deploymentFlags.map((spec) => (spec.name === 'provider' || spec.name === 'model' ? { ...spec, required: true } : spec)),
      run: (client, input) => client.models.create(validated(deploymentCreateSchema, { alias: input.args['alias'], ...deploymentBody(input.values) }, input)),
      render: asRecord(),
    },
    {
      action: 'show', summary: 'show one deployment', args: [{ name: 'alias' }], flags: [],
      run: (client, input) => client.models.get(input.args['alias'] as string),
      render: asRecord(),
    },
    {
      action: 'update', summary: 'change a deployment', args: [{ name: 'alias' }], flags: deploymentFlags.filter((spec) => spec.name !== 'provider'),
      run: (client, input) => {
        requireSome(input.values, deploymentFlags);
        return client.models.update(input.args['alias'] as string, validated(deploymentUpdateSchema, deploymentBody(input.values), input));
      },
      render: asRecord(),
    },
    {
      action: 'delete', summary: 'delete a deployment', args: [{ name: 'alias' }], flags: [forceFlag],
      run: (client, input) => client.models.delete(input.args['alias'] as string, { force: input.values['force'] === true }),
      render: asMessage((input) => `Deleted deployment '${input.args['alias']}'.`),
    },
  ],
};

export const modelGroupsResource: AdminResource = {
  name: 'groups',
  aliases: ['group', 'model-groups', 'model-group'],
  summary: 'model groups: the names tenants ask for, with fallbacks',
  commands: [
    {
      action: 'list', summary: 'list model groups', args: [], flags: [],
      run: (client) => client.modelGroups.list(),
      render: asTable(['name', 'display_name', 'strategy', 'status', 'members']),
    },
    {
      action: 'create', summary: 'create a model group', args: [{ name: 'name' }], flags: [...groupFlags, memberFlag],
      run: (client, input) => client.modelGroups.create(validated(modelGroupCreateSchema, { name: input.args['name'], ...input.values }, input)),
      render: asRecord(),
    },
    {
      action: 'show', summary: 'show one model group', args: [{ name: 'name' }], flags: [],
      run: (client, input) => client.modelGroups.get(input.args['name'] as string),
      render: asRecord(),
    },
    {
      action: 'update', summary: "change a group's settings (members: 'groups members')", args: [{ name: 'name' }], flags: groupFlags,
      run: (client, input) => {
        requireSome(input.values, groupFlags);
        return client.modelGroups.update(input.args['name'] as string, validated(modelGroupUpdateSchema, input.values, input));
      },
      render: asRecord(),
    },
    {
      action: 'delete', summary: 'delete a model group', args: [{ name: 'name' }], flags: [forceFlag],
      run: (client, input) => client.modelGroups.delete(input.args['name'] as string, { force: input.values['force'] === true }),
      render: asMessage((input) => `Deleted model group '${input.args['name']}'.`),
    },
    {
      action: 'members', summary: "replace a group's members", args: [{ name: 'name' }], flags: [{ ...memberFlag, required: true }],
      run: (client, input) => client.modelGroups.setMembers(input.args['name'] as string, validated(modelGroupMembersSchema, input.values, input).members),
      render: asRecord(),
    },
    {
      action: 'resolve', summary: 'dry run: the candidates in order, and why others were skipped', args: [{ name: 'name' }],
      flags: resolveFlags,
      run: (client, input) => client.modelGroups.resolve(input.args['name'] as string, resolveQuery(input.values)),
      render: asRecord(),
    },
  ],
};

export const accessGroupsResource: AdminResource = {
  name: 'access-groups',
  aliases: ['access-group'],
  summary: 'named sets of model groups and deployments granted to teams',
  commands: [
    {
      action: 'list', summary: 'list access groups', args: [], flags: [],
      run: (client) => client.accessGroups.list(),
      render: asTable(['name', 'description', 'model_groups', 'deployments']),
    },
    {
      action: 'create', summary: 'create an access group', args: [{ name: 'name' }],
      flags: [flag.text('description', 'description', { placeholder: 'text' }), ...accessGroupMemberFlags],
      run: (client, input) => client.accessGroups.create(validated(accessGroupCreateSchema, { name: input.args['name'], ...input.values }, input)),
      render: asRecord(),
    },
    {
      action: 'show', summary: 'show one access group', args: [{ name: 'name' }], flags: [],
      run: (client, input) => client.accessGroups.get(input.args['name'] as string),
      render: asRecord(),
    },
    {
      action: 'update', summary: "change the description (grants: 'access-groups members')", args: [{ name: 'name' }],
      flags: [flag.text('description', 'description', { placeholder: 'text', required: true })],
      run: (client, input) => client.accessGroups.update(input.args['name'] as string, validated(accessGroupUpdateSchema, input.values, input)),
      render: asRecord(),
    },
    {
      action: 'delete', summary: 'delete an access group', args: [{ name: 'name' }], flags: [forceFlag],
      run: (client, input) => client.accessGroups.delete(input.args['name'] as string, { force: input.values['force'] === true }),
      render: asMessage((input) => `Deleted access group '${input.args['name']}'.`),
    },
    {
      action: 'members', summary: 'replace what the group grants', args: [{ name: 'name' }], flags: accessGroupMemberFlags,
      run: (client, input) => {
        requireSome(input.values, accessGroupMemberFlags);
        return client.accessGroups.setMembers(input.args['name'] as string, validated(accessGroupModelsSchema, input.values, input));
      },
      render: asRecord(),
    },
  ],
};

const timeFlags = [flag.text('from', 'start (ISO date-time)', { placeholder: 'time' }), flag.text('to', 'end (ISO date-time)', { placeholder: 'time' })];

export const jobsResource: AdminResource = {
  name: 'jobs',
  aliases: ['job'],
  summary: 'jobs and calls of every team, with provider cost and margin',
  commands: [
    {
      action: 'list', summary: 'list jobs, newest first',
      args: [],
      flags: [
        flag.text('team-id', 'only this team', { placeholder: 'id' }), flag.text('organization-id', 'only this organization', { placeholder: 'id' }),
        flag.text('status', 'pending | in_progress | completed | failed | cancelled | expired', { placeholder: 'status' }),
        flag.text('job-type', 'only this job type', { placeholder: 'type' }), ...timeFlags,
        flag.text('cursor', 'page to read (from the previous page)', { placeholder: 'cursor' }), flag.integer('limit', 'rows per page'),
      ],
      run: (client, input) => client.jobs.list(validated(adminJobListQuerySchema, input.values, input)),
      render: asTable(['job_id', 'team_id', 'job_type', 'status', 'total_calls', 'client_cost_usd', 'margin_usd', 'created_at']),
    },
    {
      action: 'show', summary: 'one job with every call, cost and margin', args: [{ name: 'job_id' }], flags: [],
      run: (client, input) => client.jobs.get(input.args['job_id'] as string),
      render: asRecord(),
    },
  ],
};

export const statsResources: AdminResource[] = [
  {
    name: 'analytics',
    aliases: [],
    summary: 'calls, tokens, cost, margin, error rate and latency',
    commands: [{
      action: 'show', isDefault: true, summary: 'analytics over a period', args: [],
      flags: [
        flag.text('organization-id', 'only this organization', { placeholder: 'id' }), flag.text('team-id', 'only this team', { placeholder: 'id' }), ...timeFlags,
        flag.text('group-by', ANALYTICS_GROUP_BY.join(' | '), { placeholder: 'dimension' }),
      ],
      run: (client, input) => client.analytics(validated(adminAnalyticsQuerySchema, input.values, input)),
      render: asRecord(),
    }],
  },
  {
    name: 'dashboard',
    aliases: ['stats'],
    summary: 'headline counters',
    commands: [{ action: 'show', isDefault: true, summary: 'headline counters', args: [], flags: [], run: (client) => client.dashboard(), render: asRecord() }],
  },
  {
    name: 'pricing',
    aliases: ['prices'],
    summary: 'the price table merged with deployment prices',
    commands: [{ action: 'show', isDefault: true, summary: 'the price table', args: [], flags: [], run: (client) => client.pricing(), render: asRecord() }],
  },
];
