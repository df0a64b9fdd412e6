import { randomBytes } from 'node:crypto';
import type { TestGateway } from './test-gateway.ts';

export interface DeploymentSpec {
  alias?: string;
  provider?: 'mock' | 'openai' | 'openai-compatible' | 'anthropic' | 'gemini' | 'azure';
  model?: string;
  api_base?: string | null;
  api_key?: string;
  priority?: number;
  weight?: number;
  input_price_per_million?: number | null;
  output_price_per_million?: number | null;
  context_window?: number | null;
  max_output_tokens?: number | null;
  settings?: Record<string, unknown>;
  capabilities?: Record<string, boolean>;
  timeout_ms?: number;
}

export interface TenantSpec {
  credits?: number;
  budgetMode?: 'job_based' | 'consumption_usd' | 'consumption_tokens';
  failedJobPolicy?: 'free' | 'consumption';
  markup?: number;
  deployments?: DeploymentSpec[];
  team?: Record<string, unknown>;
  /** Retries of the same deployment before falling back (default 1). */
  numRetries?: number;
}

export interface Tenant {
  organizationId: string;
  teamId: string;
  key: string;
  keyId: string;
  group: string;
  aliases: string[];
  /** Headers carrying this team's virtual key. */
  auth: Record<string, string>;
}

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

async function ok(response: Promise<{ status: number; body: any }>, what: string): Promise<any> {
  const result = await response;
  if (result.status !== 200) throw new Error(`${what} failed: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

/**
 * Creates a whole tenant through the admin API: organization, credentials, deployments (mock by default),
 * a model group over them in priority order, an access group granting it, and a team with a virtual key.
 */
export async function createTenant(gateway: TestGateway, spec: TenantSpec = {}): Promise<Tenant> {
  const organizationId = unique('org');
  await ok(gateway.admin('/api/organizations/create', { body: { organization_id: organizationId, name: organizationId } }), 'organization');
  const deployments = spec.deployments ?? [{}];
  const aliases: string[] = [];
  const credentials = new Map<string, string>();
  for (const [index, deployment] of deployments.entries()) {
    const provider = deployment.provider ?? 'mock';
    const credentialKey = `${provider}|${deployment.api_key ?? ''}|${deployment.api_base ?? ''}`;
    let credentialId = credentials.get(credentialKey);
    if (!credentialId) {
      const credential = await ok(gateway.admin('/api/provider-credentials/create', {
        body: { provider, name: unique(`cred-${provider}`), ...(provider === 'mock' ? {} : { api_key: deployment.api_key ?? 'sk-test-upstream-key-0000' }), ...(deployment.api_base ? { api_base: deployment.api_base } : {}) },
      }), 'credential');
      credentialId = credential.credential_id as string;
      credentials.set(credentialKey, credentialId);
    }
    const alias = deployment.alias ?? unique(`dep${index}`);
    aliases.push(alias);
    await ok(gateway.admin('/api/models/create', {
      body: {
        alias, provider, model: deployment.model ?? (provider === 'mock' ? 'mock-chat' : 'gpt-4o-mini'), credential_id: credentialId,
        ...(deployment.api_base !== undefined ? { api_base: deployment.api_base } : {}),
        input_price_per_million: deployment.input_price_per_million === undefined ? 1 : deployment.input_price_per_million,
        output_price_per_million: deployment.output_price_per_million === undefined ? 2 : deployment.output_price_per_million,
        ...(deployment.context_window !== undefined ? { context_window: deployment.context_window } : {}),
        ...(deployment.max_output_tokens !== undefined ? { max_output_tokens: deployment.max_output_tokens } : {}),
        capabilities: deployment.capabilities ?? { tools: true, json_schema: true, vision: true },
        settings: deployment.settings ?? {},
        ...(deployment.timeout_ms !== undefined ? { timeout_ms: deployment.timeout_ms } : {}),
      },
    }), 'deployment');
  }
  const group = unique('group');
  await ok(gateway.admin('/api/model-groups/create', {
    body: { name: group, display_name: group, num_retries: spec.numRetries ?? 1, retry_backoff_ms: 1,
      members: deployments.map((deployment, index) => ({ alias: aliases[index]!, priority: deployment.priority ?? index, weight: deployment.weight ?? 1 })) },
  }), 'model group');
  const accessGroup = unique('access');
  await ok(gateway.admin('/api/model-access-groups/create', { body: { name: accessGroup, model_groups: [group], deployments: aliases } }), 'access group');
  const teamId = unique('team');
  const team = await ok(gateway.admin('/api/teams/create', {
    body: {
      team_id: teamId, organization_id: organizationId, access_groups: [accessGroup], credits_allocated: spec.credits ?? 100,
      ...(spec.budgetMode ? { budget_mode: spec.budgetMode } : {}),
      ...(spec.failedJobPolicy ? { failed_job_policy: spec.failedJobPolicy } : {}),
      ...(spec.markup !== undefined ? { cost_markup_percentage: spec.markup } : {}),
      ...spec.team,
    },
  }), 'team');
  const key = team.virtual_key as { key: string; key_id: string } | string;
  const rawKey = typeof key === 'string' ? key : key.key;
  const keyId = typeof key === 'string' ? '' : key.key_id;
  return { organizationId, teamId, key: rawKey, keyId, group, aliases, auth: { authorization: `Bearer ${rawKey}` } };
}

/** Sum of the team's ledger and its balance, read straight from the database. */
export async function ledgerState(gateway: TestGateway, teamId: string) {
  const [team] = await gateway.container.db.query<{ allocated: number; used: number; reserved: number }>(
    'SELECT credits_allocated AS allocated, credits_used AS used, credits_reserved AS reserved FROM teams WHERE team_id = $1', [teamId]);
  const [ledger] = await gateway.container.db.query<{ sum: number | null }>('SELECT sum(amount)::bigint AS sum FROM credit_transactions WHERE team_id = $1', [teamId]);
  const [held] = await gateway.container.db.query<{ count: number; sum: number | null }>(
    `SELECT count(*)::int AS count, sum(amount)::bigint AS sum FROM reservations WHERE team_id = $1 AND status = 'held'`, [teamId]);
  return {
    remainingMicro: team!.allocated - team!.used,
    reservedMicro: team!.reserved,
    ledgerSumMicro: Number(ledger!.sum ?? 0),
    heldReservations: held!.count,
    heldMicro: Number(held!.sum ?? 0),
  };
}
