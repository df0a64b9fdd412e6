import {
  chatChunkBodies, chatCompletionBody, embeddingsBody, errorBody, fakeUsage, modelsBody, textPieces, type FakeToolCall,
} from './fake-openai-payloads.ts';
import { FakeProviderServer, maskKey, type FakeExchange, type FakeFaults, type RecordedRequest } from './fake-server-core.ts';

export type { RecordedRequest } from './fake-server-core.ts';

/**
 * What the fake answers to one POST (`/v1/chat/completions` or `/v1/embeddings`). Every field is
 * optional; an empty reply is a normal, successful answer. Faults combine (e.g. a delay then a 429).
 */
export interface FakeReply extends FakeFaults {
  /** The OpenAI error body's fields for `status` (defaults by status class). */
  error?: { message?: string; type?: string; code?: string | null; param?: string | null };
  /** Stream: end without `data: [DONE]`. */
  omitDone?: boolean;
  /** Answer text; default "Hello from the fake OpenAI server." */
  content?: string;
  /** Answer with this tool call instead of text. */
  toolCall?: FakeToolCall;
  /** The `model` reported; default: the request's model with a dated snapshot suffix. */
  model?: string;
  /** `prompt_tokens_details.cached_tokens` to report. */
  cachedTokens?: number;
}

export interface FakeOpenAIServerOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (or Azure's `api-key: <apiKey>`); others get OpenAI's 401. */
  apiKey?: string;
  /** Ids listed by `GET /v1/models`. */
  models?: readonly string[];
  /** Embedding size when the request names no `dimensions` (OpenAI's is 1536; small keeps tests fast). */
  embeddingDimensions?: number;
}

const DEFAULT_CONTENT = 'Hello from the fake OpenAI server.';

/**
 * A real HTTP server on 127.0.0.1 that speaks OpenAI's chat-completions wire format (JSON and SSE with
 * `data: [DONE]`), `/v1/embeddings` and `/v1/models` — also under Azure's deployment paths
 * (`/openai/deployments/{name}/…?api-version=…`, key in `api-key`) — records every request, and
 * misbehaves on demand: `script(...)` queues `FakeReply`s consumed by the next POSTs in order;
 * `setDefaultReply` sets what follows once the queue is empty.
 */
export class FakeOpenAIServer extends FakeProviderServer<FakeReply> {
  private constructor(private readonly options: FakeOpenAIServerOptions) {
    super();
  }

  /** Starts a fake on a free loopback port. */
  static async start(options: FakeOpenAIServerOptions = {}): Promise<FakeOpenAIServer> {
    const fake = new FakeOpenAIServer(options);
    await fake.listen();
    return fake;
  }

  /** The OpenAI base URL (`…/v1`), what a deployment's `api_base` is set to. */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  /** The chat-completions requests received. */
  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path.endsWith('/chat/completions'));
  }

  protected async route(exchange: FakeExchange): Promise<void> {
    const { request, record } = exchange;
    const path = record.path;
    if (this.options.apiKey !== undefined && request.headers.authorization !== `Bearer ${this.options.apiKey}` && request.headers['api-key'] !== this.options.apiKey) {
      const given = String(request.headers.authorization ?? request.headers['api-key'] ?? '').replace(/^Bearer\s+/i, '');
      // OpenAI's own wording, which echoes the masked key and a URL: clients must never show either.
      return exchange.json(401, errorBody(`Incorrect API key provided: ${maskKey(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key'));
    }
    if (request.method === 'GET' && path === '/v1/models') return exchange.json(200, modelsBody(this.options.models ?? ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small']));
    const azure = /^\/openai\/deployments\/[^/]+\/(chat\/completions|embeddings)$/.exec(path);
    const endpoint = azure ? `/v1/${azure[1]}` : path;
    if (request.method !== 'POST' || !['/v1/chat/completions', '/v1/embeddings'].includes(endpoint) || (azure && !/(^|&)api-version=/.test(record.query))) {
      return exchange.json(404, errorBody(`Invalid URL (${request.method} ${path})`, 'invalid_request_error', null));
    }
    const body = record.body;
    if (!exchange.bodyIsJson || body === null) {
      return exchange.json(400, errorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null));
    }
    const reply = this.nextReply();
    const baseHeaders = { 'x-request-id': `req_fake_${this.sequence()}`, 'openai-processing-ms': '1' };
    const errorOf = (status: number): unknown => {
      const error = reply.error ?? {};
      const fallback = status === 429 ? 'Rate limit reached for requests' : status >= 500 ? 'The server had an error while processing your request.' : 'Invalid request.';
      return errorBody(error.message ?? fallback, error.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'), error.code ?? null, error.param ?? null);
    };
    await this.play(exchange, reply, baseHeaders, errorOf, async (headers) => {
      if (endpoint === '/v1/embeddings') return exchange.json(200, embeddingsBody(body, this.options.embeddingDimensions ?? 8), headers);
      const shape = { id: `chatcmpl-fake${String(this.sequence()).padStart(8, '0')}`, created: Math.floor(Date.now() / 1000), model: reply.model ?? `${String(body.model)}-2024-08-06` };
      const content = reply.content ?? DEFAULT_CONTENT;
      const pieces = reply.toolCall ? Math.ceil(reply.toolCall.arguments.length / 8) : textPieces(content).length;
      const usage = reply.omitUsage ? null : fakeUsage(body, pieces, reply.cachedTokens ?? 0);
      if (body.stream !== true) return exchange.json(200, chatCompletionBody(shape, content, reply.toolCall ?? null, usage), headers);
      const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
      const frames = chatChunkBodies(shape, content, reply.toolCall ?? null, usage, includeUsage).map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`);
      await this.stream(exchange, reply, headers, frames, {
        errorFrame: `data: ${JSON.stringify(errorBody('The server had an error while processing your request.', 'server_error', null))}\n\n`,
        malformedFrame: `data: {"id":"${shape.id}","object":"chat.completion.chunk","choices":[{"delta":\n\n`,
        trailer: reply.omitDone ? null : 'data: [DONE]\n\n',
      });
    });
  }
}
