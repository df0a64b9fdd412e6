import { GATEWAY_CALL_FIELDS, type ChatCompletionRequest, type ChatMessage, type JsonSchemaObject } from '@saas-llm/protocol';
import { toGeminiSchema } from './gemini-schema.ts';
import { mediaFromUrl } from './media-source.ts';
import type { DeploymentTarget } from './provider-adapter.ts';
import { UpstreamError } from './upstream-error.ts';

/*
 * OpenAI chat request → Gemini `GenerateContentRequest`. System and developer messages become
 * `systemInstruction`; assistant turns are `model` turns with `functionCall` parts; tool results are
 * `functionResponse` parts of a user turn, named after the call they answer (Gemini matches by name and
 * order, not id); consecutive turns of one role are merged. `json_schema` becomes `responseSchema` in
 * Gemini's dialect. What Gemini cannot take is dropped and named in `droppedParams`.
 */

export const DEFAULT_GEMINI_API_BASE = 'https://generativelanguage.googleapis.com/v1beta';
/**
 * Gemini 3 refuses a replayed `functionCall` without the `thoughtSignature` it came with; OpenAI-format
 * history cannot carry one, so the documented placeholder for history Gemini did not produce is sent.
 */
export const THOUGHT_SIGNATURE_PLACEHOLDER = 'skip_thought_signature_validator';

type Part = Record<string, unknown>;
interface Content {
  role: 'user' | 'model';
  parts: Part[];
}

export interface GeminiRequest {
  body: Record<string, unknown>;
  droppedParams: string[];
}

const MAPPED = new Set([
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'tools', 'tool_choice', 'response_format',
  'n', 'seed', 'presence_penalty', 'frequency_penalty', 'stream', 'stream_options',
]);
const clientError = (message: string): UpstreamError => new UpstreamError('client', message);

/** The request body for an OpenAI request (the same for `generateContent` and `streamGenerateContent`). */
export function toGeminiRequest(request: ChatCompletionRequest, target: DeploymentTarget): GeminiRequest {
  const droppedParams: string[] = [];
  const { systemParts, contents } = convertMessages(request.messages, needsThoughtSignatures(target.model));
  const body: Record<string, unknown> = { contents };
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts };
  const tools = (request.tools ?? []).flatMap((tool) => {
    if (tool.type === 'function') return [functionDeclaration(tool.function)];
    droppedParams.push(`tools.${tool.type}`);
    return [];
  });
  if (tools.length > 0) body.tools = [{ functionDeclarations: tools }];
  const mode = toolChoiceOf(request.tool_choice, droppedParams);
  if (mode !== null && tools.length > 0) body.toolConfig = { functionCallingConfig: mode };
  // Gemini may always call several functions at once; "false" cannot be honoured.
  if (request.parallel_tool_calls === false) droppedParams.push('parallel_tool_calls');
  const generation = generationConfigOf(request);
  if (Object.keys(generation).length > 0) body.generationConfig = generation;
  const raw = request as Record<string, unknown>;
  if (raw.top_k !== undefined && raw.top_k !== null) body.generationConfig = { ...generation, topK: raw.top_k };
  if (raw.safety_settings !== undefined && raw.safety_settings !== null) body.safetySettings = raw.safety_settings;
  for (const [name, value] of Object.entries(raw)) {
    if (value === null || value === undefined || MAPPED.has(name) || name === 'top_k' || name === 'safety_settings' || name === 'parallel_tool_calls') continue;
    if ((GATEWAY_CALL_FIELDS as readonly string[]).includes(name)) continue;
    droppedParams.push(name);
  }
  return { body, droppedParams };
}

/** Gemini 3 and later validate thought signatures on replayed function calls. */
function needsThoughtSignatures(model: string): boolean {
  const major = /gemini-(\d+)/.exec(model)?.[1];
  return major !== undefined && Number(major) >= 3;
}

function generationConfigOf(request: ChatCompletionRequest): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (typeof request.temperature === 'number') config.temperature = request.temperature;
  if (typeof request.top_p === 'number') config.topP = request.top_p;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (typeof maxTokens === 'number') config.maxOutputTokens = maxTokens;
  const stops = typeof request.stop === 'string' ? [request.stop] : request.stop ?? [];
  if (stops.length > 0) config.stopSequences = stops;
  if (typeof request.n === 'number') config.candidateCount = request.n;
  if (typeof request.seed === 'number') config.seed = request.seed;
  if (typeof request.presence_penalty === 'number') config.presencePenalty = request.presence_penalty;
  if (typeof request.frequency_penalty === 'number') config.frequencyPenalty = request.frequency_penalty;
  const format = request.response_format;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    if (format.json_schema.schema) config.responseSchema = toGeminiSchema(format.json_schema.schema);
  }
  return config;
}

function functionDeclaration(definition: { name: string; description?: string | null; parameters?: JsonSchemaObject | null }): Record<string, unknown> {
  const declaration: Record<string, unknown> = { name: definition.name };
  if (definition.description) declaration.description = definition.description;
  const parameters = definition.parameters;
  // Gemini refuses an OBJECT without properties; a function without arguments declares no parameters.
  const hasProperties = parameters && typeof parameters.properties === 'object' && parameters.properties !== null && Object.keys(parameters.properties).length > 0;
  if (parameters && (hasProperties || parameters.anyOf || parameters.$ref)) declaration.parameters = toGeminiSchema(parameters);
  return declaration;
}

function toolChoiceOf(choice: ChatCompletionRequest['tool_choice'], droppedParams: string[]): Record<string, unknown> | null {
  if (choice === undefined || choice === null) return null;
  if (choice === 'auto') return { mode: 'AUTO' };
  if (choice === 'none') return { mode: 'NONE' };
  if (choice === 'required') return { mode: 'ANY' };
  if (choice.type === 'function' && 'function' in choice) return { mode: 'ANY', allowedFunctionNames: [(choice.function as { name: string }).name] };
  droppedParams.push('tool_choice');
  return null;
}

function convertMessages(messages: readonly ChatMessage[], signCalls: boolean): { systemParts: Part[]; contents: Content[] } {
  const systemParts: Part[] = [];
  const contents: Content[] = [];
  // Tool results name the function they answer; OpenAI's name it by call id, so remember the calls.
  const functionNames = new Map<string, string>();
  const append = (role: Content['role'], parts: Part[]): void => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  messages.forEach((message, position) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        systemParts.push(...textParts(message.content));
        break;
      case 'user':
        append('user', typeof message.content === 'string' ? textParts(message.content) : message.content.flatMap((part) => userPart(part as Part, position)));
        break;
      case 'assistant': {
        const parts = typeof message.content === 'string' ? textParts(message.content)
          : (message.content ?? []).flatMap((part) => textParts(part.type === 'refusal' ? part.refusal : part.text));
        (message.tool_calls ?? []).forEach((call, index) => {
          functionNames.set(call.id, call.function.name);
          const part: Part = { functionCall: { name: call.function.name, args: functionArgs(call.function.arguments, position) } };
          if (signCalls && index === 0) part.thoughtSignature = THOUGHT_SIGNATURE_PLACEHOLDER;
          parts.push(part);
        });
        append('model', parts);
        break;
      }
      case 'tool': {
        const name = functionNames.get(message.tool_call_id);
        if (name === undefined) throw clientError(`messages[${position}]: no earlier assistant tool call has the id "${message.tool_call_id}".`);
        const text = typeof message.content === 'string' ? message.content : message.content.map((part) => part.text).join('');
        append('user', [{ functionResponse: { name, response: functionResponse(text) } }]);
        break;
      }
      case 'function':
        append('user', [{ functionResponse: { name: message.name, response: functionResponse(message.content ?? '') } }]);
        break;
    }
  });
  return { systemParts, contents };
}

function textParts(content: string | ReadonlyArray<{ text?: string }>): Part[] {
  if (typeof content === 'string') return content.length > 0 ? [{ text: content }] : [];
  return content.filter((part) => typeof part.text === 'string' && part.text.length > 0).map((part) => ({ text: part.text }));
}

function userPart(part: Part, position: number): Part[] {
  switch (part.type) {
    case 'image_url':
    case 'file': {
      const url = part.type === 'image_url' ? (part.image_url as { url?: string } | undefined)?.url : (part.file as { file_data?: string | null } | undefined)?.file_data;
      const media = url ? mediaFromUrl(url) : null;
      if (media === null) throw clientError(`messages[${position}]: the ${String(part.type)} must be a valid data URL or an http(s) URL.`);
      if (media.kind === 'inline') return [{ inlineData: { mimeType: media.mimeType, data: media.data } }];
      return [{ fileData: { mimeType: media.mimeType ?? 'image/jpeg', fileUri: media.url } }];
    }
    case 'input_audio': {
      const audio = part.input_audio as { data: string; format: string };
      return [{ inlineData: { mimeType: `audio/${audio.format}`, data: audio.data } }];
    }
    default:
      return textParts([part as { text?: string }]);
  }
}

function functionArgs(argumentsText: string, position: number): Record<string, unknown> {
  if (argumentsText.trim() === '') return {};
  let args: unknown;
  try {
    args = JSON.parse(argumentsText);
  } catch (error) {
    throw new UpstreamError('client', `messages[${position}]: tool call arguments must be a JSON object.`, { cause: error });
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw clientError(`messages[${position}]: tool call arguments must be a JSON object.`);
  return args as Record<string, unknown>;
}

/**
 * A tool's result as Gemini's `response` object: a JSON object result as it is, anything else under
 * `output` (the key Gemini documents for a function's output).
 */
function functionResponse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    return { output: value };
  } catch (error) {
    void error; // plain text, the usual case
    return { output: text };
  }
}
