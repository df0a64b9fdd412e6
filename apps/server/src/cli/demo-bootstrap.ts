import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Container } from '../container.ts';
import { creditsToMicro } from '../domain/money.ts';

export const DEMO_ORGANIZATION = 'demo';
export const DEMO_TEAM = 'team-alpha';
export const DEMO_GROUPS = ['chat-fast', 'chat-balanced', 'chat-quality'] as const;

/** The mock deployments behind the demo groups: visible streaming speeds, illustrative prices. */
const MOCK_DEPLOYMENTS = [
  { alias: 'mock-fast', group: 'chat-fast', ttft: 80, tps: 120, input: 0.15, output: 0.6 },
  { alias: 'mock-balanced', group: 'chat-balanced', ttft: 150, tps: 80, input: 1.0, output: 4.0 },
  { alias: 'mock-quality', group: 'chat-quality', ttft: 250, tps: 50, input: 2.5, output: 10.0 },
] as const;

/** Real OpenAI models put in front of the mock when OPENAI_API_KEY is set. */
const OPENAI_MODELS: Record<(typeof DEMO_GROUPS)[number], string> = { 'chat-fast': 'gpt-4o-mini', 'chat-balanced': 'gpt-4.1-mini', 'chat-quality': 'gpt-4.1' };

export interface DemoTenant {
  created: boolean;
  envFile: string;
  virtualKey: string | null;
}

/**
 * On an empty database, creates the demo tenant of 04-admin-api.md: organization `demo`, team `team-alpha`
 * with 1000 credits, a mock credential and deployments, the model groups `chat-fast`, `chat-balanced`,
 * `chat-quality` (real OpenAI deployments first when OPENAI_API_KEY is set, the mock as the last fallback),
 * an access group granting them, and a virtual key written to `<dataDir>/demo.env` for the examples.
 * A database that already has organizations is left alone.
 */
export async function bootstrapDemoTenant(container: Container, apiUrl: string): Promise<DemoTenant> {
  const envFile = join(container.config.dataDir, 'demo.env');
  const existing = await container.db.query<{ count: number }>('SELECT count(*)::int AS count FROM organizations');
  if ((existing[0]?.count ?? 0) > 0) return { created: false, envFile, virtualKey: null };

  await container.organizations.create({ organizationId: DEMO_ORGANIZATION, name: 'Demo organization', status: 'active', metadata: {} });
  const mock = await container.providerCredentials.create({ provider: 'mock', name: 'demo-mock' });
  for (const deployment of MOCK_DEPLOYMENTS) {
    await container.deployments.create({
      alias: deployment.alias, provider: 'mock', model: `mock-${deployment.group}`, credential_id: mock.credentialId,
      input_price_per_million: deployment.input, output_price_per_million: deployment.output, context_window: 128_000, max_output_tokens: 4096,
      capabilities: { tools: true, json_schema: true, vision: true }, settings: { ttft_ms: deployment.ttft, tokens_per_second: deployment.tps },
    });
  }
  const openaiKey = container.config.demoProviderKeys.openai;
  const openai = openaiKey ? await container.providerCredentials.create({ provider: 'openai', name: 'demo-openai', api_key: openaiKey }) : null;
  for (const deployment of MOCK_DEPLOYMENTS) {
    const members: Array<{ alias: string; priority: number }> = [{ alias: deployment.alias, priority: 10 }];
    if (openai) {
      const alias = `openai-${deployment.group}`;
      await container.deployments.create({ alias, provider: 'openai', model: OPENAI_MODELS[deployment.group], credential_id: openai.credentialId });
      members.unshift({ alias, priority: 0 });
    }
    await container.modelGroups.create({
      name: deployment.group, display_name: deployment.group.replace('chat-', 'Chat ').replace(/\b\w/g, (letter) => letter.toUpperCase()),
      description: `Demo group ${deployment.group}`, strategy: 'priority', members,
    });
  }
  await container.accessGroups.create({ name: 'demo-chat', description: 'The demo chat groups', model_groups: [...DEMO_GROUPS] });
  const { rawKey } = await container.teams.create({
    team: {
      teamId: DEMO_TEAM, organizationId: DEMO_ORGANIZATION, name: 'Team Alpha', status: 'active', costMarkupPercentage: 0, bodyLogging: 'full',
      metadata: {}, limits: { rpmLimit: null, tpmLimit: null, maxConcurrentCalls: null, maxOpenJobs: null },
      budgetMode: 'job_based', failedJobPolicy: 'free', creditsPerDollar: 10, tokensPerCredit: 10_000,
    },
    accessGroups: ['demo-chat'],
    initialCreditsMicro: creditsToMicro(1000),
    firstKey: { name: 'demo' },
  }, 'system:demo-bootstrap');
  mkdirSync(container.config.dataDir, { recursive: true });
  writeFileSync(envFile, `SAAS_API_URL=${apiUrl}\nSAAS_VIRTUAL_KEY=${rawKey}\nSAAS_TEAM_ID=${DEMO_TEAM}\n`, { mode: 0o600 });
  return { created: true, envFile, virtualKey: rawKey };
}
