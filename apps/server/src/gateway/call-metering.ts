import type { ChatUsage } from '@saas-llm/protocol';
import { tokenCostNanos, withMarkupNanos } from '../domain/money.ts';
import type { ResolvedCandidate } from '../domain/model-resolution.ts';

/** Token counts of a call and where they came from. */
export interface MeteredUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  totalTokens: number;
  source: 'reported' | 'estimated';
}

export interface CallCost {
  providerCostNanos: number;
  clientCostNanos: number;
  /** No deployment price and no shipped price: recorded at 0, flagged, warned about. */
  unpriced: boolean;
}

export function usageFromReport(usage: ChatUsage): MeteredUsage {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    cachedTokens: Math.min(cached, usage.prompt_tokens),
    totalTokens: usage.total_tokens || usage.prompt_tokens + usage.completion_tokens,
    source: 'reported',
  };
}

/** Per-1M-token prices a candidate is metered at (its own, else the shipped table's); null = unpriced. */
export function effectivePrices(candidate: ResolvedCandidate): { input: number; output: number; cachedInput: number } | null {
  const price = candidate.effectivePrice;
  if (price.source === 'unpriced') return null;
  return { input: price.inputNanosPerMillion, output: price.outputNanosPerMillion, cachedInput: price.cachedInputNanosPerMillion ?? price.inputNanosPerMillion };
}

/** Provider cost (cached prompt tokens at the cached price) and the tenant's price with the team markup. */
export function priceUsage(usage: MeteredUsage, prices: { input: number; output: number; cachedInput: number } | null, markupPercentage: number): CallCost {
  if (!prices) return { providerCostNanos: 0, clientCostNanos: 0, unpriced: true };
  const uncached = usage.promptTokens - usage.cachedTokens;
  const provider = tokenCostNanos(uncached, prices.input) + tokenCostNanos(usage.cachedTokens, prices.cachedInput) + tokenCostNanos(usage.completionTokens, prices.output);
  return { providerCostNanos: provider, clientCostNanos: withMarkupNanos(provider, markupPercentage), unpriced: false };
}
