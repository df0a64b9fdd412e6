import type { ChatCompletion, ChatUsage, ToolCall } from '@saas-llm/protocol';
import type { ResponseTool } from './anthropic-request.ts';
import { UpstreamHttpError, UpstreamProtocolError, type UpstreamError } from './upstream-error.ts';
import { errorFromResponse, type RedactionContext } from './upstream-error-mapping.ts';
import type { UpstreamHeaders } from './provider-adapter.ts';

/*
 * Anthropic Messages answer → OpenAI shapes: the `message` object to a `chat.completion`, its usage,
 * stop reasons, and error events. The stream translator uses the same pieces.
 */

/** `msg_01Xyz…` → `chatcmpl-01Xyz…`: tenants see OpenAI-looking ids whatever the provider. */
export function completionIdOf(messageId: unknown): string {
  return typeof messageId === 'string' && messageId.length > 0 ? `chatcmpl-${messageId.replace(/^msg_/, '')}` : `chatcmpl-${crypto.randomUUID()}`;
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0);

/**
 * OpenAI usage from Anthropic's. Anthropic's `input_tokens` excludes cache reads and writes; OpenAI's
 * `prompt_tokens` includes cached tokens, so both are added back, and cache reads become
 * `prompt_tokens_details.cached_tokens` (priced at the cached-input price). Null without token counts.
 */
export function usageFromAnthropic(usage: unknown): ChatUsage | null {
  if (typeof usage !== 'object' || usage === null) return null;
  const record = usage as Record<string, unknown>;
  if (typeof record.input_tokens !== 'number' && typeof record.output_tokens !== 'number') return null;
  const cacheRead = count(record.cache_read_input_tokens);
  const cacheWrite = count(record.cache_creation_input_tokens);
  const prompt = count(record.input_tokens) + cacheRead + cacheWrite;
  const completion = count(record.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead, ...(cacheWrite > 0 ? { cache_creation_tokens: cacheWrite } : {}) },
  };
}

/** Anthropic's `stop_reason` as an OpenAI `finish_reason`; an emulated response tool's call is a normal stop. */
export function finishReasonOf(stopReason: unknown, calledTenantTool: boolean): string {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return calledTenantTool ? 'tool_calls' : 'stop';
    case 'refusal':
      return 'content_filter';
    default: // end_turn, stop_sequence, pause_turn
      return 'stop';
  }
}

/** The answer text of an emulated response tool's input (its `value` when the schema was wrapped). */
export function responseToolText(input: unknown, tool: ResponseTool): string {
  const answer = tool.wrapped && typeof input === 'object' && input !== null ? (input as Record<string, unknown>).value : input;
  return JSON.stringify(answer ?? null);
}

/** A non-streaming Messages answer as a `chat.completion`. */
export function completionFromMessage(message: Record<string, unknown>, responseTool: ResponseTool | null, created: number): ChatCompletion {
  if (!Array.isArray(message.content)) throw new UpstreamProtocolError('The upstream answered a message without content.');
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  let answer: string | null = null;
  for (const block of message.content as Array<Record<string, unknown>>) {
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block.type === 'tool_use' && responseTool !== null && block.name === responseTool.name) answer = responseToolText(block.input, responseTool);
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: String(block.id), type: 'function', function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) } });
    }
    // thinking, redacted_thinking and server-tool blocks have no OpenAI chat counterpart.
  }
  const text = texts.join('');
  // With the response tool used, the answer is its input; text around it is the model thinking aloud.
  const content = answer ?? (text.length > 0 || toolCalls.length === 0 ? text : null);
  const usage = usageFromAnthropic(message.usage);
  const completion: ChatCompletion = {
    id: completionIdOf(message.id),
    object: 'chat.completion',
    created,
    model: typeof message.model === 'string' ? message.model : '',
    choices: [{
      index: 0,
      message: { role: 'assistant', content, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
      logprobs: null,
      finish_reason: finishReasonOf(message.stop_reason, toolCalls.length > 0),
    }],
  };
  if (usage !== null) completion.usage = usage;
  return completion;
}

/** The HTTP status Anthropic uses for each error type (its non-streaming equivalent). */
const STATUS_OF_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400, authentication_error: 401, billing_error: 402, permission_error: 403, not_found_error: 404,
  request_too_large: 413, rate_limit_error: 429, api_error: 500, timeout_error: 504, overloaded_error: 529,
};

/**
 * A non-2xx Messages answer (`{"type":"error","error":{"type","message"}}`). The shared mapping reads
 * the status; a `billing_error` is the operator's account out of credit, which another deployment may
 * still serve.
 */
export function errorFromAnthropicResponse(status: number, headers: UpstreamHeaders, bodyText: string, redaction: RedactionContext): UpstreamError {
  const error = errorFromResponse(status, headers, bodyText, redaction);
  if (error.providerCode !== 'billing_error' || error.kind === 'quota') return error;
  return new UpstreamHttpError('quota', error.message, { upstreamStatus: error.upstreamStatus, retryAfterMs: error.retryAfterMs, providerCode: error.providerCode });
}

/**
 * An `event: error` inside a 200 stream (`{"type":"error","error":{"type":"overloaded_error",…}}`),
 * classified as its HTTP equivalent would be: an `overloaded_error` mid-stream is as retryable as a 529.
 */
export function errorFromAnthropicEvent(payload: string, redaction: RedactionContext): UpstreamError {
  let type: string | null = null;
  try {
    const parsed = JSON.parse(payload) as { error?: { type?: unknown } };
    type = typeof parsed.error?.type === 'string' ? parsed.error.type : null;
  } catch (error) {
    // An unreadable error event is still an error; its text becomes the message.
    void error;
  }
  const classified = errorFromAnthropicResponse(STATUS_OF_ERROR_TYPE[type ?? ''] ?? 500, {}, payload, redaction);
  // The HTTP status was 200; the classification is what matters for retry and fallback.
  return new UpstreamHttpError(classified.kind, classified.message, { providerCode: classified.providerCode ?? type });
}
