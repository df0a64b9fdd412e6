import type {
  AccessGroupView, CredentialView, DeploymentView, ModelGroupView, PricingView, ResolutionView, TeamModelGroupView,
} from '@saas-llm/protocol';
import type { AccessGroupRecord, DeploymentRecord, ModelGroupRecord } from '../../../domain/catalog-ports.ts';
import { nanosToUsd } from '../../../domain/money.ts';
import type { CallableModelGroup, Resolution } from '../../../domain/model-resolution.ts';
import type { PricingOverview } from '../../../domain/pricing-service.ts';
import type { CredentialSummary } from '../../../domain/provider-credential-service.ts';

// Wire prices are USD per 1M tokens; storage holds nano-dollars per 1M, so this division is exact to 1e-9.
const usdOrNull = (nanos: number | null) => (nanos === null ? null : nanosToUsd(nanos));

/** A credential without any secret: only whether it has a key, and that key's last 4 characters. */
export function credentialView(credential: CredentialSummary): CredentialView {
  return {
    credential_id: credential.credentialId,
    provider: credential.provider,
    name: credential.name,
    has_api_key: credential.hasApiKey,
    api_key_last4: credential.apiKeyLast4,
    api_base: credential.apiBase,
    api_version: credential.apiVersion,
    extra_header_names: credential.extraHeaderNames,
    secrets_readable: credential.secretsReadable,
    organization_id: credential.organizationId,
    active: credential.active,
    created_at: credential.createdAt.toISOString(),
    updated_at: credential.updatedAt.toISOString(),
  };
}

export function deploymentView(deployment: DeploymentRecord): DeploymentView {
  return {
    alias: deployment.alias,
    provider: deployment.provider,
    model: deployment.model,
    credential_id: deployment.credentialId,
    api_base: deployment.apiBase,
    input_price_per_million: usdOrNull(deployment.inputPriceNanos),
    output_price_per_million: usdOrNull(deployment.outputPriceNanos),
    cached_input_price_per_million: usdOrNull(deployment.cachedInputPriceNanos),
    context_window: deployment.contextWindow,
    max_output_tokens: deployment.maxOutputTokens,
    capabilities: {
      tools: deployment.capabilities.tools, json_schema: deployment.capabilities.jsonSchema,
      vision: deployment.capabilities.vision, embeddings: deployment.capabilities.embeddings,
    },
    status: deployment.status,
    timeout_ms: deployment.timeoutMs,
    settings: deployment.settings,
    created_at: deployment.createdAt.toISOString(),
    updated_at: deployment.updatedAt.toISOString(),
  };
}

export function modelGroupView(group: ModelGroupRecord): ModelGroupView {
  return {
    name: group.name,
    display_name: group.displayName,
    description: group.description,
    strategy: group.strategy,
    num_retries: group.numRetries,
    retry_backoff_ms: group.retryBackoffMs,
    status: group.status,
    members: group.members.map((member) => ({ alias: member.alias, priority: member.priority, weight: member.weight })),
    created_at: group.createdAt.toISOString(),
    updated_at: group.updatedAt.toISOString(),
  };
}

/** What a team sees of a model group: its name and how the operator describes it, nothing about providers. */
export function teamModelGroupView(group: CallableModelGroup): TeamModelGroupView {
  return { name: group.name, display_name: group.displayName, description: group.description };
}

export function accessGroupView(group: AccessGroupRecord): AccessGroupView {
  return {
    name: group.name,
    description: group.description,
    model_groups: group.modelGroups,
    deployments: group.deployments,
    created_at: group.createdAt.toISOString(),
    updated_at: group.updatedAt.toISOString(),
  };
}

/** The dry run, stripped of everything secret (keys, headers, endpoints). */
export function resolutionView(resolution: Resolution, teamId: string | null): ResolutionView {
  return {
    name: resolution.requestedName,
    kind: resolution.kind,
    strategy: resolution.strategy,
    team_id: teamId,
    candidates: resolution.candidates.map((candidate) => ({
      alias: candidate.alias,
      provider: candidate.target.provider,
      model: candidate.target.model,
      priority: candidate.priority,
      weight: candidate.weight,
      price_source: candidate.effectivePrice.source,
      emulate_json_schema: candidate.emulateJsonSchema,
    })),
    skipped: resolution.skipped.map((member) => ({ alias: member.alias, reason: member.reason, detail: member.detail })),
  };
}

export function pricingView(overview: PricingOverview): PricingView {
  return {
    currency: 'USD',
    unit: 'per 1M tokens',
    price_table: { as_of: overview.tableAsOf, note: overview.tableNote },
    models: overview.listPrices.map((price) => ({
      provider: price.family,
      model: price.model,
      input_price_per_million: price.inputPerMillion,
      output_price_per_million: price.outputPerMillion,
      cached_input_price_per_million: price.cachedInputPerMillion,
      as_of: price.asOf,
    })),
    deployments: overview.deployments.map(({ alias, provider, model, price }) => ({
      alias,
      provider,
      model,
      input_price_per_million: nanosToUsd(price.inputNanosPerMillion),
      output_price_per_million: nanosToUsd(price.outputNanosPerMillion),
      cached_input_price_per_million: usdOrNull(price.cachedInputNanosPerMillion),
      source: price.source,
      as_of: price.asOf,
    })),
  };
}
