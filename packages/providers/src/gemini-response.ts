import type { ChatChoice, ChatCompletion, ChatUsage, ToolCall } from '@saas-llm/protocol';
import type { UpstreamHeaders } from './provider-adapter.ts';
import { UpstreamHttpError, UpstreamProtocolError, type UpstreamError } from './upstream-error.ts';
import { errorFromResponse, type RedactionContext } from './upstream-error-mapping.ts';

/*
 * Gemini `GenerateContentResponse` → OpenAI shapes: candidates to choices, `functionCall` parts to tool
 * calls with generated ids, `usageMetadata` to usage, finish reasons; safety blocks and Gemini's error
 * bodies to `UpstreamError`s. The stream translator uses the same pieces.
 */

/** Finish reasons that mean the provider's filters withheld the answer. */
const BLOCKED_REASONS = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']);
/** Finish reasons where the model botched a function call: another try may succeed. */
const MALFORMED_REASONS = new Set(['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS']);

const count = (value: unknown): number => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0);

/**
 * OpenAI usage from `usageMetadata`. Gemini's `promptTokenCount` already includes cached tokens (as
 * OpenAI's does); thinking tokens are billed as output, so they count as completion tokens and are
 * reported as `reasoning_tokens`, as OpenAI does for its reasoning models. Null without counts.
 */
export function usageFromGemini(metadata: unknown): ChatUsage | null {
  if (typeof metadata !== 'object' || metadata === null) return null;
  const record = metadata as Record<string, unknown>;
  if (typeof record.promptTokenCount !== 'number' && typeof record.candidatesTokenCount !== 'number') return null;
  const prompt = count(record.promptTokenCount) + count(record.toolUsePromptTokenCount);
  const thoughts = count(record.thoughtsTokenCount);
  const completion = count(record.candidatesTokenCount) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: count(record.cachedContentTokenCount) },
    ...(thoughts > 0 ? { completion_tokens_details: { reasoning_tokens: thoughts } } : {}),
  };
}

/** The error for a prompt or answer Gemini's safety filters blocked: the content's fault, so not retried elsewhere. */
export function safetyBlockError(reason: string, what: 'prompt' | 'answer'): UpstreamError {
  return new UpstreamHttpError('client', `The ${what} was blocked by the model provider's content filters (${reason}).`, { providerCode: reason });
}

/** Throws when the response carries a prompt block. */
export function throwIfPromptBlocked(response: Record<string, unknown>): void {
  const reason = (response.promptFeedback as { blockReason?: unknown } | undefined)?.blockReason;
  if (typeof reason === 'string' && reason.length > 0) throw safetyBlockError(reason, 'prompt');
}

/** The OpenAI finish reason, or a thrown error for a blocked or malformed answer. */
export function finishReasonOf(reason: unknown, calledTools: boolean): string {
  const name = String(reason);
  if (BLOCKED_REASONS.has(name)) throw safetyBlockError(name, 'answer');
  if (MALFORMED_REASONS.has(name)) throw new UpstreamHttpError('server', `The model produced an invalid function call (${name}).`, { providerCode: name });
  if (name === 'MAX_TOKENS') return 'length';
  return calledTools ? 'tool_calls' : 'stop';
}

/** A tool call id: Gemini's own when it sent one, else a fresh OpenAI-looking one (they must be unique per answer). */
export function toolCallIdOf(functionCall: Record<string, unknown>): string {
  return typeof functionCall.id === 'string' && functionCall.id.length > 0 ? functionCall.id : `call_${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

/** The content parts of a candidate that are answer (thought summaries are not), split into text and calls. */
export function partsOf(candidate: Record<string, unknown>): { text: string; calls: Array<Record<string, unknown>> } {
  const parts = ((candidate.content as { parts?: unknown } | undefined)?.parts ?? []) as Array<Record<string, unknown>>;
  let text = '';
  const calls: Array<Record<string, unknown>> = [];
  for (const part of Array.isArray(parts) ? parts : []) {
    if (part.thought === true) continue;
    if (typeof part.text === 'string') text += part.text;
    if (typeof part.functionCall === 'object' && part.functionCall !== null) calls.push(part.functionCall as Record<string, unknown>);
  }
  return { text, calls };
}

export function toolCallOf(functionCall: Record<string, unknown>): ToolCall {
  return { id: toolCallIdOf(functionCall), type: 'function', function: { name: String(functionCall.name), arguments: JSON.stringify(functionCall.args ?? {}) } };
}

/** `chatcmpl-<responseId>`: tenants see OpenAI-looking ids whatever the provider. */
export function completionIdOf(responseId: unknown): string {
  return typeof responseId === 'string' && responseId.length > 0 ? `chatcmpl-${responseId}` : `chatcmpl-${crypto.randomUUID()}`;
}

/** A non-streaming `generateContent` answer as a `chat.completion`. */
export function completionFromGemini(response: Record<string, unknown>, model: string, created: number): ChatCompletion {
  throwIfPromptBlocked(response);
  if (!Array.isArray(response.candidates) || response.candidates.length === 0) throw new UpstreamProtocolError('The upstream answered without candidates.');
  const choices: ChatChoice[] = (response.candidates as Array<Record<string, unknown>>).map((candidate, position) => {
    const { text, calls } = partsOf(candidate);
    const toolCalls = calls.map(toolCallOf);
    return {
      index: typeof candidate.index === 'number' ? candidate.index : position,
      message: { role: 'assistant', content: text.length > 0 || toolCalls.length === 0 ? text : null, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
      logprobs: null,
      finish_reason: finishReasonOf(candidate.finishReason ?? 'STOP', toolCalls.length > 0),
    };
  });
  const completion: ChatCompletion = {
    id: completionIdOf(response.responseId), object: 'chat.completion', created, model: typeof response.modelVersion === 'string' ? response.modelVersion : model, choices,
  };
  const usage = usageFromGemini(response.usageMetadata);
  if (usage !== null) completion.usage = usage;
  return completion;
}

/**
 * A non-2xx Gemini answer (`{"error": {code, message, status, details}}`). Beyond the shared mapping:
 * an invalid key is a 400 `API_KEY_INVALID` for Gemini, which is the operator's credential, not the
 * tenant's request; a 429 names its wait in a `RetryInfo` detail rather than a header.
 */
export function errorFromGeminiResponse(status: number, headers: UpstreamHeaders, bodyText: string, redaction: RedactionContext): UpstreamError {
  const error = errorFromResponse(status, headers, bodyText, redaction);
  let details: Array<Record<string, unknown>> = [];
  try {
    const parsed = JSON.parse(bodyText) as { error?: { details?: unknown } };
    if (Array.isArray(parsed.error?.details)) details = parsed.error.details as Array<Record<string, unknown>>;
  } catch (parseError) {
    void parseError; // not Gemini's JSON (a proxy page): the shared mapping already read what there is
  }
  const keyInvalid = details.some((detail) => detail.reason === 'API_KEY_INVALID') || /API key not valid/i.test(error.message);
  const delay = details.map((detail) => (typeof detail.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay) : null)).find(Boolean);
  const retryAfterMs = error.retryAfterMs ?? (delay ? Math.ceil(Number(delay[1]) * 1000) : null);
  if (!keyInvalid && retryAfterMs === error.retryAfterMs) return error;
  return new UpstreamHttpError(keyInvalid ? 'auth' : error.kind, error.message, { upstreamStatus: error.upstreamStatus, retryAfterMs, providerCode: error.providerCode });
}
