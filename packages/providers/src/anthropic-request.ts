import { GATEWAY_CALL_FIELDS, type ChatCompletionRequest, type ChatMessage, type JsonSchemaObject } from '@saas-llm/protocol';
import { mediaFromUrl } from './media-source.ts';
import type { DeploymentTarget } from './provider-adapter.ts';
import { UpstreamError } from './upstream-error.ts';

/*
 * OpenAI chat request → Anthropic Messages request. System and developer messages become `system`;
 * tool results become `tool_result` blocks of a user turn; consecutive turns of one role are merged
 * (Anthropic wants alternation); `json_schema`/`json_object` become a forced tool whose input is the
 * answer (see `ResponseTool`). What Anthropic cannot take is dropped and named in `droppedParams`.
 */

/** The Messages API version this translation speaks. */
export const ANTHROPIC_VERSION = '2023-06-01';
export const DEFAULT_ANTHROPIC_API_BASE = 'https://api.anthropic.com/v1';
/**
 * `max_tokens` is required by Anthropic; without one from the tenant this is sent (a deployment may set
 * `settings.default_max_tokens`). The same figure the gateway reserves credits for when a deployment
 * names no `max_output_tokens`, so a call can never cost more than it held.
 */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

type Block = Record<string, unknown>;
export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

/** How a `json_schema` / `json_object` response format is emulated: a tool the model is made to call. */
export interface ResponseTool {
  name: string;
  /** The tenant's schema root is not an object (tool inputs must be): the tool takes `{value: …}`. */
  wrapped: boolean;
  /** No tenant tool competes with it: text around the call is not part of the answer. */
  exclusive: boolean;
}

export interface AnthropicRequest {
  body: Record<string, unknown>;
  droppedParams: string[];
  responseTool: ResponseTool | null;
}

/** OpenAI parameters this translation maps. */
const MAPPED = new Set([
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'tools', 'tool_choice', 'parallel_tool_calls',
  'response_format', 'user', 'stream', 'stream_options', 'n',
]);
/** Anthropic's own parameters, forwarded when a tenant sends them in the OpenAI body. */
const NATIVE = ['top_k', 'thinking'] as const;

const clientError = (message: string): UpstreamError => new UpstreamError('client', message);

/** The Messages API body for an OpenAI request. */
export function toAnthropicRequest(request: ChatCompletionRequest, target: DeploymentTarget, stream: boolean): AnthropicRequest {
  const droppedParams: string[] = [];
  const { system, messages } = convertMessages(request.messages);
  const body: Record<string, unknown> = { model: target.model, max_tokens: maxTokensOf(request, target) };
  if (system.length > 0) body.system = system;
  body.messages = messages;
  // OpenAI's range is 0–2, Anthropic's 0–1: the scales differ, but clamping keeps "hot" hot and valid.
  if (typeof request.temperature === 'number') body.temperature = Math.min(request.temperature, 1);
  if (typeof request.top_p === 'number') body.top_p = request.top_p;
  const stops = typeof request.stop === 'string' ? [request.stop] : request.stop ?? [];
  // Anthropic rejects whitespace-only stop sequences.
  const usableStops = stops.filter((stop) => stop.trim().length > 0);
  if (usableStops.length > 0) body.stop_sequences = usableStops;
  if (usableStops.length < stops.length) droppedParams.push('stop');
  if (request.user) body.metadata = { user_id: request.user };
  if (typeof request.n === 'number' && request.n > 1) throw clientError('This model returns one choice per request: "n" greater than 1 is not supported.');
  const raw = request as Record<string, unknown>;
  for (const name of NATIVE) {
    if (raw[name] !== undefined && raw[name] !== null) body[name] = raw[name];
  }
  const responseTool = applyTools(request, body, droppedParams);
  if (stream) body.stream = true;
  for (const [name, value] of Object.entries(raw)) {
    if (value === null || value === undefined || MAPPED.has(name) || (NATIVE as readonly string[]).includes(name)) continue;
    if ((GATEWAY_CALL_FIELDS as readonly string[]).includes(name)) continue;
    droppedParams.push(name);
  }
  return { body, droppedParams, responseTool };
}

function maxTokensOf(request: ChatCompletionRequest, target: DeploymentTarget): number {
  const configured = target.settings.default_max_tokens;
  return request.max_completion_tokens ?? request.max_tokens
    ?? (typeof configured === 'number' && Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_ANTHROPIC_MAX_TOKENS);
}

/** Tools, `tool_choice` and the response-format tool; returns the latter's plan. */
function applyTools(request: ChatCompletionRequest, body: Record<string, unknown>, droppedParams: string[]): ResponseTool | null {
  const tools: Block[] = [];
  for (const tool of request.tools ?? []) {
    if (tool.type !== 'function') {
      droppedParams.push(`tools.${tool.type}`);
      continue;
    }
    const definition = tool.function;
    tools.push({ name: definition.name, ...(definition.description ? { description: definition.description } : {}), input_schema: objectSchema(definition.parameters) });
  }
  const tenantTools = tools.length;
  let choice = toolChoiceOf(request.tool_choice, droppedParams);
  const plan = responseToolOf(request, tools.map((tool) => tool.name as string));
  let responseTool: ResponseTool | null = null;
  if (plan !== null) {
    const exclusive = tenantTools === 0 || request.tool_choice === 'none';
    responseTool = { name: plan.name, wrapped: plan.wrapped, exclusive };
    tools.push(plan.definition);
    if (exclusive) choice = { type: 'tool', name: plan.name };
    // With the tenant's tools around, the model must call something: one of them, or the answer tool.
    else if (choice?.type !== 'tool') choice = { type: 'any' };
  }
  if (choice !== null && choice.type !== 'none' && (request.parallel_tool_calls === false || responseTool?.exclusive)) {
    choice = { ...choice, disable_parallel_tool_use: true };
  }
  if (tools.length > 0) body.tools = tools;
  if (tools.length > 0 && choice !== null) body.tool_choice = choice;
  return responseTool;
}

function toolChoiceOf(choice: ChatCompletionRequest['tool_choice'], droppedParams: string[]): Block | null {
  if (choice === undefined || choice === null) return null;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  if (choice.type === 'function' && 'function' in choice) return { type: 'tool', name: (choice.function as { name: string }).name };
  droppedParams.push('tool_choice');
  return null;
}

/** Tool inputs are objects: a schema without a type is taken as one; none at all means "no arguments". */
function objectSchema(parameters: JsonSchemaObject | null | undefined): JsonSchemaObject {
  if (!parameters) return { type: 'object', properties: {} };
  return parameters.type === undefined ? { type: 'object', ...parameters } : parameters;
}

function responseToolOf(request: ChatCompletionRequest, taken: string[]): { name: string; wrapped: boolean; definition: Block } | null {
  const format = request.response_format;
  if (!format || format.type === 'text') return null;
  const spec = format.type === 'json_schema' ? format.json_schema : { name: 'json_response', description: null, schema: { type: 'object' } };
  const schema: JsonSchemaObject = spec.schema ?? { type: 'object' };
  let name = spec.name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'json_response';
  if (taken.includes(name)) name = `${name.slice(0, 55)}_response`;
  const isObject = schema.type === 'object' || (schema.type === undefined && schema.properties !== undefined && schema.anyOf === undefined);
  let inputSchema: JsonSchemaObject = schema;
  if (!isObject) {
    // Keep $defs at the root, where the tenant's `#/$defs/…` references point.
    const { $defs, definitions, ...value } = schema;
    inputSchema = { type: 'object', properties: { value }, required: ['value'], ...($defs ? { $defs } : {}), ...(definitions ? { definitions } : {}) };
  }
  const description = [spec.description, 'Give your final answer by calling this tool: its input is the answer, and it must follow the schema exactly.'].filter(Boolean).join(' ');
  return { name, wrapped: !isObject, definition: { name, description, input_schema: inputSchema } };
}

/** System blocks and alternating user/assistant turns. */
export function convertMessages(messages: readonly ChatMessage[]): { system: Block[]; messages: AnthropicMessage[] } {
  const system: Block[] = [];
  const turns: AnthropicMessage[] = [];
  const append = (role: AnthropicMessage['role'], blocks: Block[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  messages.forEach((message, position) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(message.content));
        break;
      case 'user':
        append('user', typeof message.content === 'string' ? textBlocks(message.content) : message.content.flatMap((part) => userBlock(part as Block, position)));
        break;
      case 'assistant':
        append('assistant', assistantBlocks(message, position));
        break;
      case 'tool':
        append('user', [{ type: 'tool_result', tool_use_id: toolId(message.tool_call_id), content: typeof message.content === 'string' ? message.content : textBlocks(message.content) }]);
        break;
      case 'function':
        // The legacy function role has no call id to answer; its result reaches the model as text.
        append('user', textBlocks(`Result of function ${message.name}: ${message.content ?? ''}`));
        break;
    }
  });
  for (const turn of turns) {
    // Anthropic wants a user turn's tool results before anything else in it.
    if (turn.role === 'user') turn.content = [...turn.content.filter((block) => block.type === 'tool_result'), ...turn.content.filter((block) => block.type !== 'tool_result')];
  }
  const last = turns.at(-1);
  const prefill = last?.role === 'assistant' ? last.content.at(-1) : undefined;
  // A final assistant turn is a prefill, which Anthropic refuses to end in whitespace.
  if (prefill?.type === 'text') prefill.text = String(prefill.text).trimEnd();
  return { system, messages: turns };
}

function textBlocks(content: string | ReadonlyArray<{ type: string; text?: string }>): Block[] {
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  return content.filter((part) => typeof part.text === 'string' && part.text.length > 0).map((part) => withCacheControl({ type: 'text', text: part.text }, part));
}

/** Anthropic's prompt-caching marker, when a tenant put one on an OpenAI content part (a LiteLLM convention). */
function withCacheControl(block: Block, part: object): Block {
  const marker = (part as { cache_control?: unknown }).cache_control;
  return marker === undefined ? block : { ...block, cache_control: marker };
}

function userBlock(part: Block, position: number): Block[] {
  switch (part.type) {
    case 'text':
      return typeof part.text === 'string' && part.text.length > 0 ? [withCacheControl({ type: 'text', text: part.text }, part)] : [];
    case 'image_url': {
      const media = mediaFromUrl(String((part.image_url as { url?: unknown } | undefined)?.url ?? ''));
      if (media === null) throw clientError(`messages[${position}]: the image_url is not a valid data URL.`);
      const source = media.kind === 'inline' ? { type: 'base64', media_type: media.mimeType, data: media.data } : { type: 'url', url: media.url };
      return [withCacheControl({ type: 'image', source }, part)];
    }
    case 'file': {
      const file = part.file as { file_data?: string | null; file_id?: string | null } | undefined;
      const media = file?.file_data ? mediaFromUrl(file.file_data) : null;
      if (media === null || media.kind !== 'inline') throw clientError(`messages[${position}]: files must be sent inline as file_data for this model.`);
      const source = media.mimeType === 'text/plain'
        ? { type: 'text', media_type: 'text/plain', data: Buffer.from(media.data, 'base64').toString('utf8') }
        : { type: 'base64', media_type: media.mimeType, data: media.data };
      return [withCacheControl({ type: 'document', source }, part)];
    }
    case 'input_audio':
      throw clientError(`messages[${position}]: audio input is not supported by this model.`);
    default:
      return textBlocks([part as { type: string; text?: string }]);
  }
}

function assistantBlocks(message: Extract<ChatMessage, { role: 'assistant' }>, position: number): Block[] {
  const blocks: Block[] = [];
  if (typeof message.content === 'string') blocks.push(...textBlocks(message.content));
  else if (Array.isArray(message.content)) {
    for (const part of message.content) blocks.push(...textBlocks([{ type: 'text', text: part.type === 'refusal' ? part.refusal : part.text }]));
  }
  for (const call of message.tool_calls ?? []) {
    blocks.push({ type: 'tool_use', id: toolId(call.id), name: call.function.name, input: toolInput(call.function.arguments, position) });
  }
  return blocks;
}

/** Anthropic accepts ids of `[a-zA-Z0-9_-]`; ids from other providers are mapped the same way on both sides. */
function toolId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, '_') || 'call_';
}

function toolInput(argumentsText: string, position: number): Record<string, unknown> {
  if (argumentsText.trim() === '') return {};
  let input: unknown;
  try {
    input = JSON.parse(argumentsText);
  } catch (error) {
    throw new UpstreamError('client', `messages[${position}]: tool call arguments must be a JSON object.`, { cause: error });
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw clientError(`messages[${position}]: tool call arguments must be a JSON object.`);
  return input as Record<string, unknown>;
}
