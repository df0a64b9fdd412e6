import type { ProviderName } from '@saas-llm/protocol';
import type { CredentialRepository, DeploymentRepository } from './catalog-ports.ts';
import { effectivePrice, type EffectivePrice, type ListPrice, type ListPriceSource } from './deployment-pricing.ts';

/** The price a deployment is metered at, and where that price comes from. */
export interface DeploymentPrice {
  alias: string;
  provider: ProviderName;
  model: string;
  price: EffectivePrice;
}

/** `GET /api/pricing`: the shipped table and every deployment's effective price. */
export interface PricingOverview {
  tableAsOf: string | null;
  tableNote: string;
  listPrices: readonly ListPrice[];
  deployments: DeploymentPrice[];
}

/** Merges the shipped price table with the deployments' own prices (03-domain.md, "Metering and pricing"). */
export class PricingService {
  constructor(
    private readonly deployments: DeploymentRepository,
    private readonly credentials: CredentialRepository,
    private readonly prices: ListPriceSource | null,
  ) {}

  async overview(): Promise<PricingOverview> {
    const [deployments, credentials] = await Promise.all([this.deployments.list(), this.credentials.list()]);
    const credentialBase = new Map(credentials.map((credential) => [credential.credentialId, credential.apiBase]));
    return {
      tableAsOf: this.prices?.table.asOf ?? null,
      tableNote: this.prices?.table.note ?? '',
      listPrices: this.prices?.table.models ?? [],
      deployments: deployments.map((deployment) => {
        const apiBase = deployment.apiBase ?? (deployment.credentialId ? credentialBase.get(deployment.credentialId) ?? null : null);
        return { alias: deployment.alias, provider: deployment.provider, model: deployment.model, price: effectivePrice(deployment, apiBase, this.prices) };
      }),
    };
  }
}
