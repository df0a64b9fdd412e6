import type { ChatCompletion, ChatCompletionRequest, EmbeddingsRequest, EmbeddingsResponse } from '@saas-llm/protocol';
import { AZURE_DESCRIPTOR, descriptorFor, OPENAI_DESCRIPTOR, type OpenAIWireDescriptor } from './openai-compatible-descriptors.ts';
import { prepareChatRequest, prepareEmbeddingsRequest } from './openai-request.ts';
import { OpenAISseStream } from './openai-sse-stream.ts';
import type { CallOptions, CompletionResult, DeploymentTarget, EmbeddingsResult, ProviderAdapter, UpstreamStream } from './provider-adapter.ts';
import { restoreOptionalFields } from './strict-json-schema.ts';
import type { UpstreamPools } from './upstream-pools.ts';
import { UpstreamProtocolError } from './upstream-error.ts';
import { exchangeJson, openEventStream, parseJsonBody } from './upstream-http.ts';
import { readUsage } from './usage.ts';

/**
 * The adapter for every upstream that speaks OpenAI's chat-completions wire format: OpenAI itself, Azure
 * OpenAI and the `openai-compatible` family (the descriptor decides the address, auth and parameter
 * quirks). Requests go through the shared keep-alive pools; streams are passed through byte for byte.
 */
export class OpenAIWireAdapter implements ProviderAdapter {
  constructor(
    readonly provider: 'openai' | 'openai-compatible' | 'azure',
    private readonly pools: UpstreamPools,
    private readonly descriptorOf: (target: DeploymentTarget) => OpenAIWireDescriptor,
  ) {}

  async complete(request: ChatCompletionRequest, target: DeploymentTarget, options?: CallOptions): Promise<CompletionResult> {
    const prepared = prepareChatRequest(request, target, this.descriptorOf(target), false);
    const { response, text } = await exchangeJson(this.pools, prepared, target, options);
    const completion = parseJsonBody(text, 'chat completion');
    if (!Array.isArray(completion.choices)) throw new UpstreamProtocolError('The upstream answered a chat completion without choices.');
    // Strict mode forced the tenant's optional fields to be present (as null); remove those nulls again.
    if (prepared.strictAdaptations.length > 0) restoreOptionalFields(completion as ChatCompletion, prepared.strictAdaptations);
    return {
      completion: completion as ChatCompletion,
      usage: readUsage(completion),
      status: response.statusCode,
      headers: response.headers,
      droppedParams: prepared.droppedParams,
    };
  }

  async stream(request: ChatCompletionRequest, target: DeploymentTarget, options?: CallOptions): Promise<UpstreamStream> {
    const prepared = prepareChatRequest(request, target, this.descriptorOf(target), true);
    const opened = await openEventStream(this.pools, prepared, target, options);
    return new OpenAISseStream(opened, prepared.droppedParams, prepared.strictAdaptations);
  }

  async embed(request: EmbeddingsRequest, target: DeploymentTarget, options?: CallOptions): Promise<EmbeddingsResult> {
    const prepared = prepareEmbeddingsRequest(request, target, this.descriptorOf(target));
    const { response, text } = await exchangeJson(this.pools, prepared, target, options);
    const embeddings = parseJsonBody(text, 'embeddings response');
    if (!Array.isArray(embeddings.data)) throw new UpstreamProtocolError('The upstream answered an embeddings response without data.');
    return { response: embeddings as EmbeddingsResponse, status: response.statusCode, headers: response.headers };
  }
}

/** The adapter for OpenAI. */
export function createOpenAIAdapter(pools: UpstreamPools): OpenAIWireAdapter {
  return new OpenAIWireAdapter('openai', pools, () => OPENAI_DESCRIPTOR);
}

/** The adapter for `openai-compatible` deployments; `settings.compat` or the host picks the descriptor. */
export function createOpenAICompatibleAdapter(pools: UpstreamPools): OpenAIWireAdapter {
  return new OpenAIWireAdapter('openai-compatible', pools, descriptorFor);
}

/** The adapter for Azure OpenAI: deployment-based URLs with `api-version`, the key in the `api-key` header. */
export function createAzureOpenAIAdapter(pools: UpstreamPools): OpenAIWireAdapter {
  return new OpenAIWireAdapter('azure', pools, () => AZURE_DESCRIPTOR);
}
