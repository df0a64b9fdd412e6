import type { ChatUsage } from '@saas-llm/protocol';

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/**
 * Usage from whatever an OpenAI-format upstream sent, or null when it sent none usable. Accepts OpenAI's
 * `usage` and Groq's `x_groq.usage` (Groq reports stream usage there); fills a missing `total_tokens`.
 * Extra fields (`completion_tokens_details`, provider extras) are kept.
 */
export function readUsage(container: unknown): ChatUsage | null {
  if (typeof container !== 'object' || container === null) return null;
  const record = container as Record<string, unknown>;
  const groq = record.x_groq as Record<string, unknown> | undefined;
  const candidate = (record.usage ?? groq?.usage) as Record<string, unknown> | null | undefined;
  if (typeof candidate !== 'object' || candidate === null) return null;
  const prompt = candidate.prompt_tokens;
  const completion = candidate.completion_tokens;
  if (!isCount(prompt) || !isCount(completion)) return null;
  const total = isCount(candidate.total_tokens) ? candidate.total_tokens : prompt + completion;
  return { ...candidate, prompt_tokens: prompt, completion_tokens: completion, total_tokens: total };
}

/** Cached prompt tokens, when the upstream reported them (priced at the cached-input price). */
export function cachedPromptTokens(usage: ChatUsage): number {
  const cached = usage.prompt_tokens_details?.cached_tokens;
  return isCount(cached) ? cached : 0;
}
