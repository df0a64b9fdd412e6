import { argumentPieces, textPieces } from './fake-openai-payloads.ts';

/*
 * Bodies shaped exactly like Anthropic's documented Messages API answers (the `message` object, the
 * stream's named events, usage with cache counts, the error body), for the fake Anthropic server.
 */

/** A `tool_use` block the fake answers with. */
export interface FakeToolUse {
  /** Default `toolu_fake…`. */
  id?: string;
  name: string;
  input: Record<string, unknown>;
}

export interface FakeAnthropicUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  service_tier: 'standard';
}

export interface MessageShape {
  id: string;
  model: string;
}

/** What one answer holds: text, then tool uses, and why it stopped. */
export interface FakeMessagePlan {
  text: string;
  toolUses: Required<FakeToolUse>[];
  stopReason: string;
  usage: FakeAnthropicUsage | null;
}

/** Anthropic-like usage: input ≈ request JSON length / 4 (minus cache reads and writes), output = pieces streamed. */
export function anthropicUsage(requestBody: Record<string, unknown>, outputTokens: number, cacheRead = 0, cacheWrite = 0): FakeAnthropicUsage {
  const prompt = Math.max(1, Math.ceil(JSON.stringify([requestBody.system ?? '', requestBody.messages ?? '']).length / 4));
  return { input_tokens: Math.max(1, prompt - cacheRead - cacheWrite), cache_creation_input_tokens: cacheWrite, cache_read_input_tokens: cacheRead, output_tokens: outputTokens, service_tier: 'standard' };
}

/** The number of output pieces the fake streams for a plan (its `output_tokens`). */
export function outputPieces(text: string, toolUses: readonly FakeToolUse[]): number {
  return textPieces(text).length + toolUses.reduce((sum, tool) => sum + argumentPieces(JSON.stringify(tool.input)).length, 0);
}

function blocksOf(plan: FakeMessagePlan): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  if (plan.text.length > 0) blocks.push({ type: 'text', text: plan.text });
  for (const tool of plan.toolUses) blocks.push({ type: 'tool_use', id: tool.id, name: tool.name, input: tool.input });
  return blocks;
}

/** The non-streaming answer (`type: "message"`). */
export function messageBody(shape: MessageShape, plan: FakeMessagePlan): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: shape.id, type: 'message', role: 'assistant', model: shape.model, content: blocksOf(plan), stop_reason: plan.stopReason, stop_sequence: null,
  };
  if (plan.usage !== null) body.usage = plan.usage;
  return body;
}

/** One named SSE event, as Anthropic frames it (`event:` line, then `data:`). */
export function anthropicEvent(payload: { type: string } & Record<string, unknown>): string {
  return `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/**
 * The stream of a plan, in Anthropic's documented order: `message_start` (input usage), per block
 * `content_block_start` / `content_block_delta`s / `content_block_stop` (a `ping` after the first
 * start), `message_delta` (stop reason, cumulative output usage), `message_stop`.
 */
export function messageEvents(shape: MessageShape, plan: FakeMessagePlan, options: { omitMessageStop?: boolean } = {}): string[] {
  const events: string[] = [];
  const startUsage = plan.usage === null ? undefined : { ...plan.usage, output_tokens: 1 };
  events.push(anthropicEvent({
    type: 'message_start',
    message: { id: shape.id, type: 'message', role: 'assistant', model: shape.model, content: [], stop_reason: null, stop_sequence: null, ...(startUsage ? { usage: startUsage } : {}) },
  }));
  let index = 0;
  if (plan.text.length > 0) {
    events.push(anthropicEvent({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
    events.push(anthropicEvent({ type: 'ping' }));
    for (const piece of textPieces(plan.text)) events.push(anthropicEvent({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }));
    events.push(anthropicEvent({ type: 'content_block_stop', index }));
    index++;
  }
  for (const tool of plan.toolUses) {
    events.push(anthropicEvent({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: tool.id, name: tool.name, input: {} } }));
    // Anthropic opens every tool input with an empty fragment.
    events.push(anthropicEvent({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } }));
    for (const piece of argumentPieces(JSON.stringify(tool.input))) events.push(anthropicEvent({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } }));
    events.push(anthropicEvent({ type: 'content_block_stop', index }));
    index++;
  }
  const delta: Record<string, unknown> = { type: 'message_delta', delta: { stop_reason: plan.stopReason, stop_sequence: null } };
  if (plan.usage !== null) delta.usage = { output_tokens: plan.usage.output_tokens };
  events.push(anthropicEvent(delta as { type: string }));
  if (!options.omitMessageStop) events.push(anthropicEvent({ type: 'message_stop' }));
  return events;
}

/** Anthropic's error body. */
export function anthropicErrorBody(type: string, message: string): Record<string, unknown> {
  return { type: 'error', error: { type, message }, request_id: 'req_fake0000000000000000' };
}

/** Anthropic's error type for an HTTP status. */
export function anthropicErrorType(status: number): string {
  if (status === 529) return 'overloaded_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}
