/**
 * Tokens and money summed over a set of calls (a job's, a team's, an analytics group's); money in
 * nano-dollars. Every report of usage carries these five, so they are named once.
 */
export interface CallTotals {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  providerCostNanos: number;
  clientCostNanos: number;
}
