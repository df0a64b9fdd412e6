/**
 * Exact money units. Credits are stored as integer micro-credits; USD as integer nano-dollars;
 * prices as integer nano-dollars per 1M tokens. Conversions to wire numbers happen only at the edges.
 */
export const MICRO_PER_CREDIT = 1_000_000;
export const NANOS_PER_USD = 1_000_000_000;

export const creditsToMicro = (credits: number): number => Math.round(credits * MICRO_PER_CREDIT);
export const microToCredits = (micro: number): number => micro / MICRO_PER_CREDIT;
export const usdToNanos = (usd: number): number => Math.round(usd * NANOS_PER_USD);
export const nanosToUsd = (nanos: number): number => nanos / NANOS_PER_USD;
/** USD per 1M tokens → nano-dollars per 1M tokens. */
export const pricePerMillionToNanos = (usdPerMillion: number): number => Math.round(usdPerMillion * NANOS_PER_USD);

/** Cost in nano-dollars of `tokens` at `priceNanosPerMillion`, rounded half up, computed with BigInt. */
export function tokenCostNanos(tokens: number, priceNanosPerMillion: number): number {
  const product = BigInt(tokens) * BigInt(priceNanosPerMillion);
  return Number((product + 500_000n) / 1_000_000n);
}

/** Applies a markup percentage (up to 4 decimals) to a nano-dollar amount, exactly. */
export function withMarkupNanos(nanos: number, markupPercentage: number): number {
  const basisPoints = BigInt(Math.round(markupPercentage * 10_000)); // 1% = 10_000 units
  const total = BigInt(nanos) * (1_000_000n + basisPoints);
  return Number((total + 500_000n) / 1_000_000n);
}
