import type { ChatCompletionRequest, EmbeddingsRequest } from '@saas-llm/protocol';
import { DEFAULT_GEMINI_API_BASE, toGeminiRequest } from './gemini-request.ts';
import { completionFromGemini, errorFromGeminiResponse, usageFromGemini } from './gemini-response.ts';
import { GeminiStreamTranslator } from './gemini-stream-translator.ts';
import type { CallOptions, CompletionResult, DeploymentTarget, EmbeddingsResult, ProviderAdapter, UpstreamStream } from './provider-adapter.ts';
import { TranslatedSseStream } from './translated-sse-stream.ts';
import type { UpstreamPools } from './upstream-pools.ts';
import { UpstreamProtocolError } from './upstream-error.ts';
import { exchangeJson, locateUpstream, openEventStream, parseJsonBody, type UpstreamRequest } from './upstream-http.ts';

/**
 * The Gemini API (Google AI) behind the OpenAI interface (translation in `gemini-request.ts`,
 * `gemini-schema.ts`, `gemini-response.ts` and `gemini-stream-translator.ts`). `api_base` is the API
 * root with its version (default `https://generativelanguage.googleapis.com/v1beta`; a bare origin gets
 * `/v1beta`). The key travels in the `x-goog-api-key` header, never in the URL, so it cannot end up in
 * an access log or an error message that quotes the URL.
 */
export class GeminiAdapter implements ProviderAdapter {
  readonly provider = 'gemini' as const;

  constructor(private readonly pools: UpstreamPools) {}

  async complete(request: ChatCompletionRequest, target: DeploymentTarget, options?: CallOptions): Promise<CompletionResult> {
    const translated = toGeminiRequest(request, target);
    const http = this.httpRequest(target, 'generateContent', translated.body, 'application/json');
    const { response, text } = await exchangeJson(this.pools, http, target, options, errorFromGeminiResponse);
    const answer = parseJsonBody(text, 'generateContent response');
    return {
      completion: completionFromGemini(answer, target.model, Math.floor(Date.now() / 1000)),
      usage: usageFromGemini(answer.usageMetadata),
      status: response.statusCode,
      headers: response.headers,
      droppedParams: translated.droppedParams,
    };
  }

  async stream(request: ChatCompletionRequest, target: DeploymentTarget, options?: CallOptions): Promise<UpstreamStream> {
    const translated = toGeminiRequest(request, target);
    const http = this.httpRequest(target, 'streamGenerateContent?alt=sse', translated.body, 'text/event-stream');
    const opened = await openEventStream(this.pools, http, target, options, errorFromGeminiResponse);
    return new TranslatedSseStream(opened, new GeminiStreamTranslator(opened.redaction, target.model), translated.droppedParams);
  }

  /**
   * OpenAI embeddings through `batchEmbedContents` (one request for every input). Gemini reports no token
   * counts here, so usage is estimated (≈ 4 characters a token) rather than reported as a free zero.
   */
  async embed(request: EmbeddingsRequest, target: DeploymentTarget, options?: CallOptions): Promise<EmbeddingsResult> {
    const inputs = typeof request.input === 'string' ? [request.input] : request.input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
    const model = `models/${modelId(target.model)}`;
    const requests = inputs.map((input) => ({ model, content: { parts: [{ text: input }] }, ...(request.dimensions ? { outputDimensionality: request.dimensions } : {}) }));
    const http = this.httpRequest(target, 'batchEmbedContents', { requests }, 'application/json');
    const { response, text } = await exchangeJson(this.pools, http, target, options, errorFromGeminiResponse);
    const answer = parseJsonBody(text, 'embeddings response');
    if (!Array.isArray(answer.embeddings)) throw new UpstreamProtocolError('The upstream answered an embeddings response without embeddings.');
    const data = (answer.embeddings as Array<{ values?: number[] }>).map((embedding, index) => {
      const vector = embedding.values ?? [];
      return { object: 'embedding' as const, index, embedding: request.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
    });
    const tokens = inputs.reduce((sum, input) => sum + Math.max(1, Math.ceil(input.length / 4)), 0);
    return { response: { object: 'list', data, model: target.model, usage: { prompt_tokens: tokens, total_tokens: tokens } }, status: response.statusCode, headers: response.headers };
  }

  private httpRequest(target: DeploymentTarget, method: string, body: Record<string, unknown>, accept: string): UpstreamRequest {
    let apiBase = target.apiBase ?? DEFAULT_GEMINI_API_BASE;
    if (URL.canParse(apiBase) && /^\/?$/.test(new URL(apiBase).pathname)) apiBase = `${apiBase.replace(/\/+$/, '')}/v1beta`;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept };
    if (target.apiKey) headers['x-goog-api-key'] = target.apiKey;
    for (const [name, value] of Object.entries(target.extraHeaders)) headers[name.toLowerCase()] = value;
    return { ...locateUpstream(apiBase, `/models/${encodeURIComponent(modelId(target.model))}:${method}`), headers, body: JSON.stringify(body) };
  }
}

/** Model ids are accepted with or without Google's `models/` prefix. */
function modelId(model: string): string {
  return model.replace(/^models\//, '');
}
