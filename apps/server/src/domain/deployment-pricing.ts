import { pricePerMillionToNanos } from './money.ts';
import type { DeploymentRecord } from './catalog-ports.ts';

/** One list price from the shipped table, USD per 1M tokens. */
export interface ListPrice {
  family: string;
  model: string;
  inputPerMillion: number;
  outputPerMillion: number;
  cachedInputPerMillion: number | null;
  asOf: string;
}

/** Port: the price table that ships with the product (implemented by `PriceBook` of `@saas-llm/providers`). */
export interface ListPriceSource {
  readonly table: { asOf: string; note: string; models: readonly ListPrice[] };
  lookup(model: string, query: { provider?: string; apiBase?: string | null }): { price: ListPrice; match: 'exact' | 'normalized' } | null;
}

/** Where a deployment's price comes from, in the order of 03-domain.md. */
export type PriceSource = 'deployment' | 'price_table' | 'unpriced';

/** The price a call on a deployment is metered at: nano-dollars per 1M tokens. */
export interface EffectivePrice {
  inputNanosPerMillion: number;
  outputNanosPerMillion: number;
  /** null: cached prompt tokens are charged at the input price. */
  cachedInputNanosPerMillion: number | null;
  source: PriceSource;
  /** The table entry's date when the price comes from the table. */
  asOf: string | null;
}

/**
 * The deployment's own prices when it has an input or output price, taken as a set (a missing one counts
 * as 0, e.g. the output of an embedding model; a missing cached price means cached tokens cost the input
 * price); else the shipped table's, matched by model id and API host (a cached price set alone on the
 * deployment overrides the table's); else unpriced at 0, which the gateway records with a warning.
 */
export function effectivePrice(deployment: DeploymentRecord, apiBase: string | null, prices: ListPriceSource | null): EffectivePrice {
  if (deployment.inputPriceNanos !== null || deployment.outputPriceNanos !== null) {
    return {
      inputNanosPerMillion: deployment.inputPriceNanos ?? 0,
      outputNanosPerMillion: deployment.outputPriceNanos ?? 0,
      cachedInputNanosPerMillion: deployment.cachedInputPriceNanos,
      source: 'deployment',
      asOf: null,
    };
  }
  const listed = prices?.lookup(deployment.model, { provider: deployment.provider, apiBase });
  if (listed) {
    const { price } = listed;
    return {
      inputNanosPerMillion: pricePerMillionToNanos(price.inputPerMillion),
      outputNanosPerMillion: pricePerMillionToNanos(price.outputPerMillion),
      cachedInputNanosPerMillion: deployment.cachedInputPriceNanos
        ?? (price.cachedInputPerMillion === null ? null : pricePerMillionToNanos(price.cachedInputPerMillion)),
      source: 'price_table',
      asOf: price.asOf,
    };
  }
  return { inputNanosPerMillion: 0, outputNanosPerMillion: 0, cachedInputNanosPerMillion: null, source: 'unpriced', asOf: null };
}
