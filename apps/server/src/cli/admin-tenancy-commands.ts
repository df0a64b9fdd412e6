import {
  BODY_LOGGING, BUDGET_MODES, FAILED_JOB_POLICIES, TEAM_STATUSES,
  autoRefillSchema, budgetModeSchema, conversionRatesSchema, creditsAddSchema, creditsAdjustSchema, creditsReplenishSchema,
  keyCreateSchema, keyRotateSchema, ledgerQuerySchema, organizationCreateSchema, organizationUsageQuerySchema, organizationUpdateSchema, teamAccessGroupsSchema,
  teamCreateSchema, teamListQuerySchema, teamUpdateSchema,
} from '@saas-llm/protocol';
import {
  asMessage, asRecord, asTable, flag, limitFlags, metadataFlag, requireSome, shownOnceNote, validated,
  type AdminResource, type FlagSpec,
} from './admin-command.ts';

/** Commands for organizations, teams, virtual keys and credits. */

const TEAM_COLUMNS = ['team_id', 'organization_id', 'name', 'status', 'budget_mode', 'credits_remaining', 'access_groups'];
const forceFlag = flag.switch('force', 'delete even when it has history (kept for accounting either way)');

const organizationFlags: FlagSpec[] = [
  flag.text('name', 'display name', { placeholder: 'name' }),
  flag.text('status', 'active | inactive', { placeholder: 'status' }),
  metadataFlag,
];

export const organizationsResource: AdminResource = {
  name: 'organizations',
  aliases: ['orgs', 'org', 'organization'],
  summary: 'groups of teams (one customer company)',
  commands: [
    {
      action: 'list', summary: 'list organizations', args: [], flags: [],
      run: (client) => client.organizations.list(),
      render: asTable(['organization_id', 'name', 'status', 'created_at']),
    },
    {
      action: 'create', summary: 'create an organization', args: [{ name: 'organization_id' }],
      flags: organizationFlags.map((spec) => (spec.name === 'name' ? { ...spec, required: true } : spec)),
      run: (client, input) => client.organizations.create(validated(organizationCreateSchema, { organization_id: input.args['organization_id'], ...input.values }, input)),
      render: asRecord(),
    },
    {
      action: 'show', summary: 'show one organization', args: [{ name: 'organization_id' }], flags: [],
      run: (client, input) => client.organizations.get(input.args['organization_id'] as string),
      render: asRecord(),
    },
    {
      action: 'update', summary: 'change name, status or metadata', args: [{ name: 'organization_id' }], flags: organizationFlags,
      run: (client, input) => {
        requireSome(input.values, organizationFlags);
        return client.organizations.update(input.args['organization_id'] as string, validated(organizationUpdateSchema, input.values, input));
      },
      render: asRecord(),
    },
    {
      action: 'delete', summary: 'delete an organization (soft delete)', args: [{ name: 'organization_id' }], flags: [forceFlag],
      run: (client, input) => client.organizations.delete(input.args['organization_id'] as string, { force: input.values['force'] === true }),
      render: asMessage((input, response) => {
        const teams = Array.isArray(response['deleted_teams']) ? response['deleted_teams'] : [];
        return `Deleted organization '${input.args['organization_id']}'${teams.length > 0 ? ` and its teams ${teams.join(', ')}` : ''}.`;
      }),
    },
    {
      action: 'teams', summary: "list an organization's teams", args: [{ name: 'organization_id' }], flags: [],
      run: (client, input) => client.organizations.teams(input.args['organization_id'] as string),
      render: asTable(TEAM_COLUMNS),
    },
    {
      action: 'usage', summary: "an organization's usage: totals, by job status and by team", args: [{ name: 'organization_id' }],
      flags: [flag.text('from', 'start (ISO date-time)', { placeholder: 'time' }), flag.text('to', 'end (ISO date-time)', { placeholder: 'time' })],
      run: (client, input) => client.organizations.usage(input.args['organization_id'] as string, validated(organizationUsageQuerySchema, input.values, input)),
      render: asRecord(),
    },
  ],
};

const teamSettingFlags: FlagSpec[] = [
  flag.text('name', 'display name', { placeholder: 'name' }),
  flag.text('status', TEAM_STATUSES.join(' | '), { placeholder: 'status' }),
  flag.text('failed-job-policy', FAILED_JOB_POLICIES.join(' | '), { placeholder: 'policy' }),
  flag.number('markup', 'price markup over provider cost, in %', { field: 'cost_markup_percentage', placeholder: 'percent' }),
  flag.text('body-logging', BODY_LOGGING.join(' | '), { placeholder: 'mode' }),
  ...limitFlags,
  metadataFlag,
];

const teamCreateFlags: FlagSpec[] = [
  flag.text('organization-id', 'the organization the team belongs to', { required: true, placeholder: 'id' }),
  flag.list('access-group', 'access group granted (repeat, or comma-separate)', { field: 'access_groups', placeholder: 'name' }),
  flag.number('credits', 'opening credits', { field: 'credits_allocated' }),
  flag.text('budget-mode', BUDGET_MODES.join(' | '), { placeholder: 'mode' }),
  flag.number('credits-per-dollar', 'credits per USD of client cost (consumption_usd)'),
  flag.integer('tokens-per-credit', 'tokens per credit (consumption_tokens)'),
  flag.text('key-name', 'name of the first virtual key', { placeholder: 'name' }),
  ...teamSettingFlags,
];

export const teamsResource: AdminResource = {
  name: 'teams',
  aliases: ['team'],
  summary: "tenants: credit accounts, limits, access groups",
  commands: [
    {
      action: 'list', summary: 'list teams',
      args: [], flags: [flag.text('organization-id', 'only this organization', { placeholder: 'id' }), flag.text('status', TEAM_STATUSES.join(' | '), { placeholder: 'status' })],
      run: (client, input) => client.teams.list(validated(teamListQuerySchema, input.values, input)),
      render: asTable(TEAM_COLUMNS),
    },
    {
      action: 'create', summary: 'create a team and its first virtual key', args: [{ name: 'team_id' }], flags: teamCreateFlags,
      run: (client, input) => client.teams.create(validated(teamCreateSchema, { team_id: input.args['team_id'], ...input.values }, input)),
      render: asRecord({ note: shownOnceNote(['virtual_key']) }),
    },
    {
      action: 'show', summary: 'show one team with its credit account', args: [{ name: 'team_id' }], flags: [],
      run: (client, input) => client.teams.get(input.args['team_id'] as string),
      render: asRecord(),
    },
    {
      action: 'update', summary: "change a team's settings and limits (budget mode: 'credits budget-mode')",
      args: [{ name: 'team_id' }], flags: teamSettingFlags,
      run: (client, input) => {
        requireSome(input.values, teamSettingFlags);
        return client.teams.update(input.args['team_id'] as string, validated(teamUpdateSchema, input.values, input));
      },
      render: asRecord(),
    },
    {
      action: 'delete', summary: 'delete a team (soft delete)', args: [{ name: 'team_id' }], flags: [forceFlag],
      run: (client, input) => client.teams.delete(input.args['team_id'] as string, { force: input.values['force'] === true }),
      render: asMessage((input) => `Deleted team '${input.args['team_id']}'.`),
    },
    {
      action: 'suspend', summary: "suspend a team (its keys get 403 team_suspended)", args: [{ name: 'team_id' }], flags: [],
      run: (client, input) => client.teams.suspend(input.args['team_id'] as string),
      render: asMessage((input, response) => `Suspended team '${input.args['team_id']}' (status: ${String(response['status'])}).`),
    },
    {
      action: 'pause', summary: "pause a team (its keys get 403 team_paused)", args: [{ name: 'team_id' }], flags: [],
      run: (client, input) => client.teams.pause(input.args['team_id'] as string),
      render: asMessage((input, response) => `Paused team '${input.args['team_id']}' (status: ${String(response['status'])}).`),
    },
    {
      action: 'resume', summary: 'make a suspended or paused team active again', args: [{ name: 'team_id' }], flags: [],
      run: (client, input) => client.teams.resume(input.args['team_id'] as string),
      render: asMessage((input, response) => `Resumed team '${input.args['team_id']}' (status: ${String(response['status'])}).`),
    },
    {
      action: 'access-groups', summary: "replace a team's access groups", args: [{ name: 'team_id' }],
      flags: [flag.list('access-group', 'access group granted (repeat, or comma-separate)', { field: 'access_groups', required: true, placeholder: 'name' })],
      run: (client, input) => {
        const body = validated(teamAccessGroupsSchema, input.values, input);
        return client.teams.setAccessGroups(input.args['team_id'] as string, body.access_groups);
      },
      render: asRecord(),
    },
  ],
};

const keyLimitFlags: FlagSpec[] = [
  flag.integer('rpm-limit', "the key's own requests per minute", { nullable: true }),
  flag.integer('tpm-limit', "the key's own tokens per minute", { nullable: true }),
];

export const keysResource: AdminResource = {
  name: 'keys',
  aliases: ['key'],
  summary: "a team's virtual keys (the full key is shown once)",
  commands: [
    {
      action: 'list', summary: "list a team's keys (prefixes only)", args: [{ name: 'team_id' }], flags: [],
      run: (client, input) => client.keys.list(input.args['team_id'] as string),
      render: asTable(['key_id', 'name', 'prefix', 'created_at', 'expires_at', 'revoked_at', 'last_used_at']),
    },
    {
      action: 'create', summary: 'create a key', args: [{ name: 'team_id' }],
      flags: [
        flag.text('name', 'key name', { placeholder: 'name' }),
        flag.text('expires-at', 'expiry (ISO date-time with offset)', { placeholder: 'time', nullable: true }),
        ...keyLimitFlags,
        flag.list('allowed-model-group', 'restrict the key to these model groups', { field: 'allowed_model_groups', placeholder: 'name' }),
      ],
      run: (client, input) => client.keys.create(input.args['team_id'] as string, validated(keyCreateSchema, input.values, input)),
      render: asRecord({ note: shownOnceNote(['key']) }),
    },
    {
      action: 'rotate', summary: 'replace a key by a new one; the old one is revoked after the grace period',
      args: [{ name: 'team_id' }, { name: 'key_id' }],
      flags: [flag.integer('grace-seconds', 'how long the old key keeps working', { placeholder: 'seconds' }), flag.text('name', 'name of the new key', { placeholder: 'name' })],
      run: (client, input) => client.keys.rotate(input.args['team_id'] as string, input.args['key_id'] as string, validated(keyRotateSchema, input.values, input)),
      render: asRecord({ note: shownOnceNote(['key']) }),
    },
    {
      action: 'revoke', summary: 'revoke a key at once', args: [{ name: 'team_id' }, { name: 'key_id' }], flags: [],
      run: (client, input) => client.keys.revoke(input.args['team_id'] as string, input.args['key_id'] as string),
      render: asMessage((input, response) => `Revoked key '${input.args['key_id']}' (${String(response['prefix'])}…) of team '${input.args['team_id']}'.`),
    },
  ],
};

/** A top-up or adjustment in one line: the ledger row written and the balance after it. */
const asCreditChange = asMessage((input, response) => {
  const transaction = (response['transaction'] ?? {}) as Record<string, unknown>;
  const balance = (response['balance'] ?? {}) as Record<string, unknown>;
  const amount = Number(transaction['amount']);
  return `Team '${input.args['team_id']}': ${String(transaction['type'])} of ${amount > 0 ? '+' : ''}${amount} credits (transaction ${String(transaction['transaction_id'])}). `
    + `Now ${String(balance['credits_remaining'])} remaining, ${String(balance['credits_available'])} available.`;
});

const creditsAmount = { name: 'credits', optional: true, kind: 'number' as const };
const reasonFlag = flag.text('reason', 'why (kept in the ledger)', { placeholder: 'text' });
const autoRefillFlags = [
  flag.switch('enabled', 'turn auto-refill on (--no-enabled: off)'),
  flag.number('refill-amount', 'credits per period', { nullable: true }),
  flag.text('refill-period', 'daily | weekly | monthly', { placeholder: 'period', nullable: true }),
];
const rateFlags = [flag.number('credits-per-dollar', 'credits per USD of client cost'), flag.integer('tokens-per-credit', 'tokens per credit')];

export const creditsResource: AdminResource = {
  name: 'credits',
  aliases: ['credit'],
  summary: "a team's credit account and ledger",
  commands: [
    {
      action: 'balance', summary: 'allocated, used, remaining and reserved credits', args: [{ name: 'team_id' }], flags: [],
      run: (client, input) => client.credits.balance(input.args['team_id'] as string),
      render: asRecord(),
    },
    {
      action: 'add', summary: 'add credits', args: [{ name: 'team_id' }, creditsAmount],
      flags: [flag.number('credits', 'how many (or give it after the team id)'), reasonFlag],
      run: (client, input) => client.credits.add(input.args['team_id'] as string, validated(creditsAddSchema, input.values, input)),
      render: asCreditChange,
    },
    {
      action: 'replenish', summary: 'add credits that were paid for', args: [{ name: 'team_id' }, creditsAmount],
      flags: [
        flag.number('credits', 'how many (or give it after the team id)'),
        flag.text('payment-type', 'subscription | one_time', { required: true, placeholder: 'type' }),
        flag.number('payment-amount-usd', 'what was paid, in USD', { placeholder: 'usd' }),
        reasonFlag,
      ],
      run: (client, input) => client.credits.replenish(input.args['team_id'] as string, validated(creditsReplenishSchema, input.values, input)),
      render: asCreditChange,
    },
    {
      action: 'adjust', summary: 'correct a balance by a signed amount', args: [{ name: 'team_id' }, creditsAmount],
      flags: [flag.number('credits', 'signed amount, e.g. -5 (or give it after the team id)'), { ...reasonFlag, required: true }],
      run: (client, input) => client.credits.adjust(input.args['team_id'] as string, validated(creditsAdjustSchema, input.values, input)),
      render: asCreditChange,
    },
    {
      action: 'transactions', summary: "the team's ledger, newest first", args: [{ name: 'team_id' }],
      flags: [flag.integer('limit', 'rows per page (1–500)'), flag.text('cursor', 'page to read (from the previous page)', { placeholder: 'cursor' }), flag.text('type', 'allocation | deduction | refund | adjustment | auto_refill', { placeholder: 'type' })],
      run: (client, input) => client.credits.transactions(input.args['team_id'] as string, validated(ledgerQuerySchema, input.values, input)),
      render: asTable(['created_at', 'type', 'amount', 'balance_after', 'reason', 'job_id', 'actor']),
    },
    {
      action: 'budget-mode', summary: 'set how jobs are charged', args: [{ name: 'team_id' }],
      flags: [flag.text('budget-mode', BUDGET_MODES.join(' | '), { required: true, placeholder: 'mode' }), flag.text('failed-job-policy', FAILED_JOB_POLICIES.join(' | '), { placeholder: 'policy' })],
      run: (client, input) => client.credits.setBudgetMode(input.args['team_id'] as string, validated(budgetModeSchema, input.values, input)),
      render: asRecord(),
    },
    {
      action: 'rates', summary: 'show credits_per_dollar and tokens_per_credit', args: [{ name: 'team_id' }], flags: [],
      run: (client, input) => client.credits.getConversionRates(input.args['team_id'] as string),
      render: asRecord(),
    },
    {
      action: 'set-rates', summary: 'change the conversion rates', args: [{ name: 'team_id' }],
      flags: rateFlags,
      run: (client, input) => {
        requireSome(input.values, rateFlags);
        return client.credits.setConversionRates(input.args['team_id'] as string, validated(conversionRatesSchema, input.values, input));
      },
      render: asRecord(),
    },
    {
      action: 'auto-refill', summary: 'configure the periodic top-up', args: [{ name: 'team_id' }],
      flags: autoRefillFlags,
      run: (client, input) => {
        requireSome(input.values, autoRefillFlags);
        return client.credits.configureAutoRefill(input.args['team_id'] as string, validated(autoRefillSchema, input.values, input));
      },
      render: asRecord(),
    },
  ],
};
