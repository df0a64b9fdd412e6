import { GATEWAY_CALL_FIELDS, type ChatCompletionRequest, type EmbeddingsRequest } from '@saas-llm/protocol';
import type { OpenAIWireDescriptor } from './openai-compatible-descriptors.ts';
import type { DeploymentTarget } from './provider-adapter.ts';
import { UpstreamError } from './upstream-error.ts';

/** An HTTP request ready for `Pool.request`, plus what was removed from the tenant's body. */
export interface PreparedRequest {
  /** `scheme://host:port`: the key of the connection pool. */
  origin: string;
  /** Path and query below the origin. */
  path: string;
  /** Host name, for redacting error messages. */
  host: string;
  headers: Record<string, string>;
  body: string;
  droppedParams: string[];
}

/** Where requests for this target go; a missing or invalid base URL is the operator's configuration error. */
function resolveBase(target: DeploymentTarget, descriptor: OpenAIWireDescriptor): URL {
  const apiBase = target.apiBase ?? descriptor.defaultApiBase;
  if (apiBase === null) throw new UpstreamError('not_found', 'The deployment has no API base URL configured.');
  if (!URL.canParse(apiBase)) throw new UpstreamError('not_found', 'The deployment\'s API base URL is not a valid URL.');
  return new URL(apiBase);
}

function buildHeaders(target: DeploymentTarget, descriptor: OpenAIWireDescriptor, accept: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept };
  if (target.apiKey) {
    if (descriptor.auth === 'bearer') headers.authorization = `Bearer ${target.apiKey}`;
    else if (descriptor.auth === 'api-key') headers['api-key'] = target.apiKey;
  }
  for (const [name, value] of Object.entries(target.extraHeaders)) headers[name.toLowerCase()] = value;
  return headers;
}

function locate(target: DeploymentTarget, descriptor: OpenAIWireDescriptor, endpoint: 'chat' | 'embeddings'): Pick<PreparedRequest, 'origin' | 'path' | 'host'> {
  const base = resolveBase(target, descriptor);
  const suffix = descriptor.pathFor?.(endpoint, target) ?? (endpoint === 'chat' ? '/chat/completions' : '/embeddings');
  const [suffixPath, suffixQuery] = suffix.split('?', 2);
  const query = [base.search.replace(/^\?/, ''), suffixQuery ?? ''].filter(Boolean).join('&');
  return { origin: base.origin, host: base.hostname, path: `${base.pathname.replace(/\/+$/, '')}${suffixPath}${query ? `?${query}` : ''}` };
}

/**
 * The upstream body of a chat call: the tenant's OpenAI body with the deployment's model id, stream
 * settings (usage requested on every stream, since metering depends on it), and the descriptor's quirks
 * applied. Top-level `null`s are removed: they mean "not given", and some compatibles reject them.
 * Everything else is forwarded as the tenant sent it.
 */
export function prepareChatRequest(request: ChatCompletionRequest, target: DeploymentTarget, descriptor: OpenAIWireDescriptor, stream: boolean): PreparedRequest {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request)) {
    if (value !== null && value !== undefined) body[name] = value;
  }
  for (const field of GATEWAY_CALL_FIELDS) delete body[field];
  body.model = target.model;
  if (stream) {
    body.stream = true;
    if (descriptor.streamUsageOption) body.stream_options = { ...(request.stream_options ?? {}), include_usage: true };
    else delete body.stream_options;
  } else {
    // OpenAI rejects stream_options on a non-streaming request.
    delete body.stream;
    delete body.stream_options;
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
  return {
    ...locate(target, descriptor, 'chat'),
    headers: buildHeaders(target, descriptor, stream ? 'text/event-stream' : 'application/json'),
    body: JSON.stringify(body),
    droppedParams,
  };
}

/** The upstream body of an embeddings call: the tenant's body with the deployment's model id. */
export function prepareEmbeddingsRequest(request: EmbeddingsRequest, target: DeploymentTarget, descriptor: OpenAIWireDescriptor): PreparedRequest {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request)) {
    if (value !== null && value !== undefined) body[name] = value;
  }
  body.model = target.model;
  return { ...locate(target, descriptor, 'embeddings'), headers: buildHeaders(target, descriptor, 'application/json'), body: JSON.stringify(body), droppedParams: [] };
}
