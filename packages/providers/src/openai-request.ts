import { GATEWAY_CALL_FIELDS, type ChatCompletionRequest, type EmbeddingsRequest, type JsonSchemaObject } from '@saas-llm/protocol';
import type { OpenAIWireDescriptor } from './openai-compatible-descriptors.ts';
import type { DeploymentTarget } from './provider-adapter.ts';
import { toStrictSchema, type StrictAdaptation } from './strict-json-schema.ts';
import { UpstreamError } from './upstream-error.ts';
import { locateUpstream, type UpstreamRequest } from './upstream-http.ts';

/** An HTTP request ready for `Pool.request`, plus what was changed in the tenant's body. */
export interface PreparedRequest extends UpstreamRequest {
  droppedParams: string[];
  /** Schemas adapted to OpenAI's strict dialect; the answer's synthetic nulls are removed with them. */
  strictAdaptations: StrictAdaptation[];
}

/** Never forwarded: the gateway's own fields; without streaming also `stream` and `stream_options` (OpenAI rejects stream_options then). */
const STREAM_LEFT_OUT: ReadonlySet<string> = new Set(GATEWAY_CALL_FIELDS);
const NON_STREAM_LEFT_OUT: ReadonlySet<string> = new Set([...GATEWAY_CALL_FIELDS, 'stream', 'stream_options']);

function buildHeaders(target: DeploymentTarget, descriptor: OpenAIWireDescriptor, accept: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept };
  if (target.apiKey) {
    if (descriptor.auth === 'bearer') headers.authorization = `Bearer ${target.apiKey}`;
    else if (descriptor.auth === 'api-key') headers['api-key'] = target.apiKey;
  }
  for (const [name, value] of Object.entries(target.extraHeaders)) headers[name.toLowerCase()] = value;
  return headers;
}

/** Where requests for this target go; a missing base URL is the operator's configuration error. */
function locate(target: DeploymentTarget, descriptor: OpenAIWireDescriptor, endpoint: 'chat' | 'embeddings'): Pick<PreparedRequest, 'origin' | 'path' | 'host'> {
  const apiBase = target.apiBase ?? descriptor.defaultApiBase;
  if (apiBase === null) throw new UpstreamError('not_found', 'The deployment has no API base URL configured.');
  return locateUpstream(apiBase, descriptor.pathFor?.(endpoint, target) ?? (endpoint === 'chat' ? '/chat/completions' : '/embeddings'));
}

/**
 * Adapts `strict: true` schemas (response format and function tools) to OpenAI's strict dialect, in
 * place on the outgoing body. A schema strict mode cannot express is sent as given with `strict: false`
 * (named in `droppedParams`, which the gateway logs): the tenant's schema is never rejected.
 */
function adaptStrictSchemas(body: Record<string, unknown>, droppedParams: string[]): StrictAdaptation[] {
  const adaptations: StrictAdaptation[] = [];
  const format = body.response_format as { type?: string; json_schema?: { strict?: boolean | null; schema?: JsonSchemaObject | null } } | undefined;
  if (format?.type === 'json_schema' && format.json_schema?.strict === true && format.json_schema.schema) {
    const original = format.json_schema.schema;
    const strict = toStrictSchema(original);
    body.response_format = { ...format, json_schema: { ...format.json_schema, ...(strict ? { schema: strict } : { strict: false }) } };
    if (strict) adaptations.push({ target: { kind: 'content' }, original });
    else droppedParams.push('response_format.json_schema.strict');
  }
  if (Array.isArray(body.tools)) {
    body.tools = body.tools.map((tool: { type?: string; function?: { name: string; strict?: boolean | null; parameters?: JsonSchemaObject | null } }) => {
      if (tool.type !== 'function' || tool.function?.strict !== true || !tool.function.parameters) return tool;
      const original = tool.function.parameters;
      const strict = toStrictSchema(original);
      if (strict) adaptations.push({ target: { kind: 'tool', name: tool.function.name }, original });
      else droppedParams.push(`tools.${tool.function.name}.strict`);
      return { ...tool, function: { ...tool.function, ...(strict ? { parameters: strict } : { strict: false }) } };
    });
  }
  return adaptations;
}

/**
 * The upstream body of a chat call: the tenant's OpenAI body with the deployment's model id, stream
 * settings (usage requested on every stream, since metering depends on it), and the descriptor's quirks
 * applied, and `strict` schemas adapted to OpenAI's strict dialect. Top-level `null`s are removed: they
 * mean "not given", and some compatibles reject them. Everything else is forwarded as the tenant sent it.
 */
export function prepareChatRequest(request: ChatCompletionRequest, target: DeploymentTarget, descriptor: OpenAIWireDescriptor, stream: boolean): PreparedRequest {
  // Fields are left out while copying rather than deleted afterwards: a deleted property makes the body a
  // dictionary-mode object, slower to fill and to serialise.
  const leftOut = stream ? STREAM_LEFT_OUT : NON_STREAM_LEFT_OUT;
  const body: Record<string, unknown> = {};
  for (const name of Object.keys(request)) {
    const value = (request as Record<string, unknown>)[name];
    if (value !== null && value !== undefined && !leftOut.has(name)) body[name] = value;
  }
  body.model = target.model;
  if (stream) {
    body.stream = true;
    if (descriptor.streamUsageOption) body.stream_options = { ...(request.stream_options ?? {}), include_usage: true };
    else delete body.stream_options;
  }
  if (!descriptor.maxCompletionTokens && body.max_completion_tokens !== undefined) {
    body.max_tokens ??= body.max_completion_tokens;
    delete body.max_completion_tokens;
  }
  for (const [from, to] of Object.entries(descriptor.renameParams)) {
    if (body[from] === undefined) continue;
    body[to] ??= body[from];
    delete body[from];
  }
  const droppedParams: string[] = [];
  for (const name of Object.keys(body)) {
    const rejected = descriptor.dropParams.includes(name) || (descriptor.acceptedParams !== null && !descriptor.acceptedParams.includes(name));
    if (rejected) {
      droppedParams.push(name);
      delete body[name];
    }
  }
  descriptor.adjust?.(body);
  const strictAdaptations = adaptStrictSchemas(body, droppedParams);
  return {
    ...locate(target, descriptor, 'chat'),
    headers: buildHeaders(target, descriptor, stream ? 'text/event-stream' : 'application/json'),
    body: JSON.stringify(body),
    droppedParams,
    strictAdaptations,
  };
}

/** The upstream body of an embeddings call: the tenant's body with the deployment's model id. */
export function prepareEmbeddingsRequest(request: EmbeddingsRequest, target: DeploymentTarget, descriptor: OpenAIWireDescriptor): PreparedRequest {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request)) {
    if (value !== null && value !== undefined) body[name] = value;
  }
  body.model = target.model;
  return { ...locate(target, descriptor, 'embeddings'), headers: buildHeaders(target, descriptor, 'application/json'), body: JSON.stringify(body), droppedParams: [], strictAdaptations: [] };
}
