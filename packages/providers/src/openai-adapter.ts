import type { ChatCompletion, ChatCompletionRequest, EmbeddingsRequest, EmbeddingsResponse } from '@saas-llm/protocol';
import type { Dispatcher } from 'undici';
import { CallDeadline } from './call-deadline.ts';
import { descriptorFor, OPENAI_DESCRIPTOR, type OpenAIWireDescriptor } from './openai-compatible-descriptors.ts';
import { prepareChatRequest, prepareEmbeddingsRequest, type PreparedRequest } from './openai-request.ts';
import { OpenAISseStream } from './openai-sse-stream.ts';
import {
  resolveTimeouts, type CallOptions, type CompletionResult, type DeploymentTarget, type EmbeddingsResult, type ProviderAdapter,
  type UpstreamStream, type UpstreamTimeouts,
} from './provider-adapter.ts';
import type { UpstreamPools } from './upstream-pools.ts';
import { UpstreamProtocolError } from './upstream-error.ts';
import { errorFromResponse, errorFromTransport, type RedactionContext } from './upstream-error-mapping.ts';
import { readUsage } from './usage.ts';

/** Error bodies are read up to this size: enough for any provider's message, bounded against a hostile upstream. */
const ERROR_BODY_LIMIT = 64 * 1024;

async function readErrorBody(body: Dispatcher.ResponseData['body']): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body as AsyncIterable<Buffer>) {
    parts.push(part);
    size += part.length;
    if (size >= ERROR_BODY_LIMIT) break;
  }
  return Buffer.concat(parts).toString('utf8');
}

function parseJsonBody(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UpstreamProtocolError(`The upstream answered a ${what} that is not valid JSON.`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UpstreamProtocolError(`The upstream answered a ${what} that is not a JSON object.`);
  return value as Record<string, unknown>;
}

/**
 * The adapter for every upstream that speaks OpenAI's chat-completions wire format: OpenAI itself and the
 * `openai-compatible` family (the descriptor decides the address, auth and parameter quirks). Requests go
 * through the shared keep-alive pools; streams are passed through byte for byte.
 */
export class OpenAIWireAdapter implements ProviderAdapter {
  constructor(
    readonly provider: 'openai' | 'openai-compatible',
    private readonly pools: UpstreamPools,
    private readonly descriptorOf: (target: DeploymentTarget) => OpenAIWireDescriptor,
  ) {}

  async complete(request: ChatCompletionRequest, target: DeploymentTarget, options?: CallOptions): Promise<CompletionResult> {
    const prepared = prepareChatRequest(request, target, this.descriptorOf(target), false);
    const { response, text } = await this.exchange(prepared, target, options);
    const completion = parseJsonBody(text, 'chat completion');
    if (!Array.isArray(completion.choices)) throw new UpstreamProtocolError('The upstream answered a chat completion without choices.');
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
    const timeouts = resolveTimeouts(target, options);
    const deadline = new CallDeadline(timeouts, options?.signal, { watchFirstByte: true });
    const redaction: RedactionContext = { apiKey: target.apiKey, host: prepared.host };
    try {
      const response = await this.send(prepared, deadline, timeouts);
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw errorFromResponse(response.statusCode, response.headers, await readErrorBody(response.body), redaction);
      }
      const contentType = String(response.headers['content-type'] ?? '');
      if (!contentType.includes('text/event-stream')) {
        response.body.destroy();
        throw new UpstreamProtocolError('The upstream did not answer a stream to a streaming request.');
      }
      return new OpenAISseStream(response, deadline, timeouts, redaction, prepared.droppedParams);
    } catch (error) {
      deadline.dispose();
      throw deadline.failure ?? errorFromTransport(error, timeouts);
    }
  }

  async embed(request: EmbeddingsRequest, target: DeploymentTarget, options?: CallOptions): Promise<EmbeddingsResult> {
    const prepared = prepareEmbeddingsRequest(request, target, this.descriptorOf(target));
    const { response, text } = await this.exchange(prepared, target, options);
    const embeddings = parseJsonBody(text, 'embeddings response');
    if (!Array.isArray(embeddings.data)) throw new UpstreamProtocolError('The upstream answered an embeddings response without data.');
    return { response: embeddings as EmbeddingsResponse, status: response.statusCode, headers: response.headers };
  }

  /** One non-streaming request/response, with its deadline; non-2xx answers become `UpstreamError`s. */
  private async exchange(prepared: PreparedRequest, target: DeploymentTarget, options: CallOptions | undefined): Promise<{ response: Dispatcher.ResponseData; text: string }> {
    const timeouts = resolveTimeouts(target, options);
    const deadline = new CallDeadline(timeouts, options?.signal, { watchFirstByte: false });
    try {
      const response = await this.send(prepared, deadline, timeouts);
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw errorFromResponse(response.statusCode, response.headers, await readErrorBody(response.body), { apiKey: target.apiKey, host: prepared.host });
      }
      return { response, text: await response.body.text() };
    } catch (error) {
      throw deadline.failure ?? errorFromTransport(error, timeouts);
    } finally {
      deadline.dispose();
    }
  }

  private send(prepared: PreparedRequest, deadline: CallDeadline, timeouts: UpstreamTimeouts): Promise<Dispatcher.ResponseData> {
    return this.pools.get(prepared.origin, timeouts.connectMs).request({
      method: 'POST',
      path: prepared.path,
      headers: prepared.headers,
      body: prepared.body,
      signal: deadline.signal,
    });
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
