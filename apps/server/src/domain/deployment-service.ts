import type { DeploymentCreate, ProviderName, capabilitiesSchema, deploymentUpdateSchema } from '@saas-llm/protocol';
import type { z } from 'zod';
import { conflict, invalid, notFound } from './errors.ts';
import { pricePerMillionToNanos } from './money.ts';
import type {
  Capabilities, CatalogChangeListener, CredentialRepository, DeploymentChanges, DeploymentRecord, DeploymentRepository, NewDeployment,
} from './catalog-ports.ts';

export type DeploymentUpdate = z.infer<typeof deploymentUpdateSchema>;
type CapabilitiesInput = z.infer<typeof capabilitiesSchema>;

/** Providers that cannot be called without a key, hence without a credential. */
const PROVIDERS_NEEDING_CREDENTIAL: ReadonlySet<ProviderName> = new Set(['openai', 'anthropic', 'gemini', 'azure']);
/** Providers with no fixed endpoint: the deployment or its credential must name one. */
const PROVIDERS_NEEDING_API_BASE: ReadonlySet<ProviderName> = new Set(['azure', 'openai-compatible']);
const DEFAULT_TIMEOUT_MS = 600_000;

/**
 * Capabilities assumed when the operator does not say: what the provider's current models do. Native
 * json_schema is assumed only where the adapter can pass it through (elsewhere the gateway emulates it);
 * an OpenAI-compatible host may serve anything, so it is assumed text-only; nothing embeds unless told.
 */
export function defaultCapabilities(provider: ProviderName): Capabilities {
  const generic = provider === 'openai-compatible';
  return { tools: true, jsonSchema: !generic && provider !== 'anthropic', vision: !generic, embeddings: false };
}

function mergeCapabilities(base: Capabilities, input: CapabilitiesInput | undefined): Capabilities {
  return {
    tools: input?.tools ?? base.tools,
    jsonSchema: input?.json_schema ?? base.jsonSchema,
    vision: input?.vision ?? base.vision,
    embeddings: input?.embeddings ?? base.embeddings,
  };
}

const nanosOrNull = (usdPerMillion: number | null | undefined) => (usdPerMillion === null || usdPerMillion === undefined ? null : pricePerMillionToNanos(usdPerMillion));

/**
 * Deployments (model aliases): one concrete upstream model with its credential, prices (USD per 1M tokens
 * on the wire, nano-dollars per 1M in storage), limits and capabilities.
 */
export class DeploymentService {
  constructor(
    private readonly deployments: DeploymentRepository,
    private readonly credentials: CredentialRepository,
    private readonly changes: CatalogChangeListener,
  ) {}

  list(): Promise<DeploymentRecord[]> {
    return this.deployments.list();
  }

  async get(alias: string): Promise<DeploymentRecord> {
    const record = await this.deployments.find(alias);
    if (!record) throw notFound('Deployment', alias);
    return record;
  }

  async create(input: DeploymentCreate): Promise<DeploymentRecord> {
    const deployment: NewDeployment = {
      alias: input.alias,
      provider: input.provider,
      model: input.model,
      credentialId: input.credential_id ?? null,
      apiBase: input.api_base ?? null,
      inputPriceNanos: nanosOrNull(input.input_price_per_million),
      outputPriceNanos: nanosOrNull(input.output_price_per_million),
      cachedInputPriceNanos: nanosOrNull(input.cached_input_price_per_million),
      contextWindow: input.context_window ?? null,
      maxOutputTokens: input.max_output_tokens ?? null,
      capabilities: mergeCapabilities(defaultCapabilities(input.provider), input.capabilities),
      status: input.status ?? 'active',
      timeoutMs: input.timeout_ms ?? DEFAULT_TIMEOUT_MS,
      settings: input.settings ?? {},
    };
    await this.checkConnection(deployment);
    checkLimits(deployment);
    const created = await this.deployments.insert(deployment);
    this.changes.invalidate();
    return created;
  }

  async update(alias: string, input: DeploymentUpdate): Promise<DeploymentRecord> {
    const current = await this.get(alias);
    const changes: DeploymentChanges = {};
    if (input.provider !== undefined) changes.provider = input.provider;
    if (input.model !== undefined) changes.model = input.model;
    if (input.credential_id !== undefined) changes.credentialId = input.credential_id;
    if (input.api_base !== undefined) changes.apiBase = input.api_base;
    if (input.input_price_per_million !== undefined) changes.inputPriceNanos = nanosOrNull(input.input_price_per_million);
    if (input.output_price_per_million !== undefined) changes.outputPriceNanos = nanosOrNull(input.output_price_per_million);
    if (input.cached_input_price_per_million !== undefined) changes.cachedInputPriceNanos = nanosOrNull(input.cached_input_price_per_million);
    if (input.context_window !== undefined) changes.contextWindow = input.context_window;
    if (input.max_output_tokens !== undefined) changes.maxOutputTokens = input.max_output_tokens;
    if (input.capabilities !== undefined) changes.capabilities = mergeCapabilities(current.capabilities, input.capabilities);
    if (input.status !== undefined) changes.status = input.status;
    if (input.timeout_ms !== undefined) changes.timeoutMs = input.timeout_ms;
    if (input.settings !== undefined) changes.settings = input.settings;
    const merged = { ...current, ...changes };
    if (changes.provider !== undefined || changes.credentialId !== undefined || changes.apiBase !== undefined) await this.checkConnection(merged);
    checkLimits(merged);
    const updated = await this.deployments.update(alias, changes);
    if (!updated) throw notFound('Deployment', alias);
    this.changes.invalidate();
    return updated;
  }

  async delete(alias: string, force: boolean): Promise<void> {
    const outcome = await this.deployments.delete(alias, force);
    if (outcome.kind === 'not_found') throw notFound('Deployment', alias);
    if (outcome.kind === 'in_use') {
      const users = [
        ...outcome.usedBy.modelGroups.map((name) => `model group '${name}'`),
        ...outcome.usedBy.accessGroups.map((name) => `access group '${name}'`),
      ];
      throw conflict(`Deployment '${alias}' is used by ${users.join(', ')}; remove it there first, or delete with ?force=true to remove those memberships too.`);
    }
    this.changes.invalidate();
  }

  /** The credential must exist and belong to the same provider; real providers need one; some need an endpoint. */
  private async checkConnection(deployment: Pick<DeploymentRecord, 'provider' | 'credentialId' | 'apiBase'>): Promise<void> {
    const credential = deployment.credentialId ? await this.credentials.find(deployment.credentialId) : null;
    if (deployment.credentialId && !credential) throw invalid('credential_id', `provider credential '${deployment.credentialId}' does not exist`);
    if (credential && credential.provider !== deployment.provider) {
      throw invalid('credential_id', `provider credential '${credential.name}' is for provider '${credential.provider}', not '${deployment.provider}'`);
    }
    if (!credential && PROVIDERS_NEEDING_CREDENTIAL.has(deployment.provider)) throw invalid('credential_id', `is required for provider '${deployment.provider}'`);
    if (PROVIDERS_NEEDING_API_BASE.has(deployment.provider) && !deployment.apiBase && !credential?.apiBase) {
      throw invalid('api_base', `is required for provider '${deployment.provider}' (on the deployment or on its credential)`);
    }
  }
}

function checkLimits(deployment: Pick<DeploymentRecord, 'contextWindow' | 'maxOutputTokens'>): void {
  if (deployment.contextWindow !== null && deployment.maxOutputTokens !== null && deployment.maxOutputTokens > deployment.contextWindow) {
    throw invalid('max_output_tokens', `(${deployment.maxOutputTokens}) cannot exceed context_window (${deployment.contextWindow})`);
  }
}
