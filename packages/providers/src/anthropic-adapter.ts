import type { ChatCompletionRequest } from '@saas-llm/protocol';
import { ANTHROPIC_VERSION, DEFAULT_ANTHROPIC_API_BASE, toAnthropicRequest } from './anthropic-request.ts';
import { completionFromMessage, errorFromAnthropicResponse, usageFromAnthropic } from './anthropic-response.ts';
import { AnthropicStreamTranslator } from './anthropic-stream-translator.ts';
import type { CallOptions, CompletionResult, DeploymentTarget, ProviderAdapter, UpstreamStream } from './provider-adapter.ts';
import { TranslatedSseStream } from './translated-sse-stream.ts';
import type { UpstreamPools } from './upstream-pools.ts';
import { exchangeJson, locateUpstream, openEventStream, parseJsonBody, type UpstreamRequest } from './upstream-http.ts';

/**
 * Anthropic's Messages API behind the OpenAI interface (translation in `anthropic-request.ts`,
 * `anthropic-response.ts` and `anthropic-stream-translator.ts`). `api_base` is the API root with its
 * version (default `https://api.anthropic.com/v1`; a bare origin gets `/v1`). The key travels in
 * `x-api-key`; a credential's extra headers (e.g. `anthropic-beta`) are added to every request.
 * No embeddings: Anthropic has none.
 */
export class AnthropicAdapter implements ProviderAdapter {
  readonly provider = 'anthropic' as const;

  constructor(private readonly pools: UpstreamPools) {}

  async complete(request: ChatCompletionRequest, target: DeploymentTarget, options?: CallOptions): Promise<CompletionResult> {
    const translated = toAnthropicRequest(request, target, false);
    const http = this.httpRequest(target, translated.body, 'application/json');
    const { response, text } = await exchangeJson(this.pools, http, target, options, errorFromAnthropicResponse);
    const message = parseJsonBody(text, 'message');
    const completion = completionFromMessage(message, translated.responseTool, Math.floor(Date.now() / 1000));
    return {
      completion,
      usage: usageFromAnthropic(message.usage),
      status: response.statusCode,
      headers: response.headers,
      droppedParams: translated.droppedParams,
    };
  }

  async stream(request: ChatCompletionRequest, target: DeploymentTarget, options?: CallOptions): Promise<UpstreamStream> {
    const translated = toAnthropicRequest(request, target, true);
    const http = this.httpRequest(target, translated.body, 'text/event-stream');
    const opened = await openEventStream(this.pools, http, target, options, errorFromAnthropicResponse);
    const translator = new AnthropicStreamTranslator(translated.responseTool, opened.redaction, target.model);
    return new TranslatedSseStream(opened, translator, translated.droppedParams);
  }

  private httpRequest(target: DeploymentTarget, body: Record<string, unknown>, accept: string): UpstreamRequest {
    let apiBase = target.apiBase ?? DEFAULT_ANTHROPIC_API_BASE;
    // Anthropic's SDKs take the bare origin as base URL; accept that spelling too.
    if (URL.canParse(apiBase) && /^\/?$/.test(new URL(apiBase).pathname)) apiBase = `${apiBase.replace(/\/+$/, '')}/v1`;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept, 'anthropic-version': ANTHROPIC_VERSION };
    if (target.apiKey) headers['x-api-key'] = target.apiKey;
    for (const [name, value] of Object.entries(target.extraHeaders)) headers[name.toLowerCase()] = value;
    return { ...locateUpstream(apiBase, '/messages'), headers, body: JSON.stringify(body) };
  }
}
