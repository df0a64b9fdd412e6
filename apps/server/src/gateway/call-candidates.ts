import type { DeploymentTarget } from '@saas-llm/providers';

/** Deployment prices in nano-dollars per 1M tokens (null = not set on the deployment). */
export interface DeploymentPrices {
  inputNanos: number | null;
  outputNanos: number | null;
  cachedInputNanos: number | null;
}

/** One deployment that may serve a call, with everything needed to call and price it. */
export interface CallCandidate {
  alias: string;
  target: DeploymentTarget;
  prices: DeploymentPrices;
  contextWindow: number | null;
  maxOutputTokens: number | null;
}

/** What a request needs from a deployment. */
export interface RequestNeeds {
  tools: boolean;
  jsonSchema: boolean;
  vision: boolean;
  embeddings: boolean;
  promptTokens: number;
  maxOutputTokens: number | null;
}

/** The resolved name of a call: candidates in the order to try, and the group's retry settings. */
export interface ResolvedCandidates {
  requestedName: string;
  /** The model group's name, or null when the name was a deployment alias. */
  modelGroup: string | null;
  candidates: CallCandidate[];
  numRetries: number;
  retryBackoffMs: number;
}

/**
 * Port: name → candidates for a team (404 `model_not_found`, 403 `model_not_allowed`, and candidates
 * filtered by status, cooldown, capability and context window). Served from memory in the steady state.
 */
export interface CandidateSource {
  resolve(name: string, teamId: string, needs: RequestNeeds): Promise<ResolvedCandidates>;
}
