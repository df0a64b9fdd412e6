import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  chatChunkBodies, chatCompletionBody, embeddingsBody, errorBody, fakeUsage, modelsBody, textPieces, type FakeToolCall,
} from './fake-openai-payloads.ts';

/**
 * What the fake answers to one POST (`/v1/chat/completions` or `/v1/embeddings`). Every field is
 * optional; an empty reply is a normal, successful answer. Faults combine (e.g. a delay then a 429).
 */
export interface FakeReply {
  /** Answer this non-2xx status with an OpenAI error body (`error` overrides its fields). */
  status?: number;
  error?: { message?: string; type?: string; code?: string | null; param?: string | null };
  /** A raw body for the error status instead of the OpenAI shape (e.g. an HTML page from a proxy). */
  rawErrorBody?: string;
  /** `Retry-After` header value (seconds or an HTTP date). */
  retryAfter?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Delay before the status line and headers. */
  firstByteDelayMs?: number;
  /** Destroy the socket before any response byte. */
  resetBeforeHeaders?: boolean;
  /** Stream: destroy the socket after this many data frames. */
  resetAfterChunks?: number;
  /** Stream: send a malformed (truncated JSON) event as frame number N (0-based). */
  malformedAtChunk?: number;
  /** Stream: send `data: {"error": …}` after N frames, then end the stream. */
  errorEventAfterChunks?: number;
  /** No usage: no usage chunk on streams even with `include_usage`, no `usage` field otherwise. */
  omitUsage?: boolean;
  /** Stream: end without `data: [DONE]`. */
  omitDone?: boolean;
  /** Stream: delay between data frames (the first goes out at once; `firstByteDelayMs` delays it). */
  chunkDelayMs?: number;
  /** Stream: comment lines (`: keepalive`) sent before the first frame. */
  keepaliveComments?: number;
  /** Answer text; default "Hello from the fake OpenAI server." */
  content?: string;
  /** Answer with this tool call instead of text. */
  toolCall?: FakeToolCall;
  /** The `model` reported; default: the request's model with a dated snapshot suffix. */
  model?: string;
  /** `prompt_tokens_details.cached_tokens` to report. */
  cachedTokens?: number;
}

/** One request the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or null (no body or not JSON). */
  body: Record<string, unknown> | null;
  rawBody: string;
  /** True once the client closed the connection before the answer was complete (an aborted request). */
  clientClosed: boolean;
  /** The response body bytes written so far, as text (for byte-exact pass-through assertions). */
  responseBody: string;
}

export interface FakeOpenAIServerOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`; others get OpenAI's 401. */
  apiKey?: string;
  /** Ids listed by `GET /v1/models`. */
  models?: readonly string[];
  /** Embedding size when the request names no `dimensions` (OpenAI's is 1536; small keeps tests fast). */
  embeddingDimensions?: number;
}

const DEFAULT_CONTENT = 'Hello from the fake OpenAI server.';

/**
 * A real HTTP server on 127.0.0.1 that speaks OpenAI's chat-completions wire format (JSON and SSE with
 * `data: [DONE]`), `/v1/embeddings` and `/v1/models`, records every request, and misbehaves on demand:
 * `script(...)` queues `FakeReply`s consumed by the next POSTs in order; `setDefaultReply` sets what
 * follows once the queue is empty.
 */
export class FakeOpenAIServer {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Emits `request` (RecordedRequest) on arrival and `client-close` (RecordedRequest) when a client aborts. */
  readonly events = new EventEmitter();
  private readonly queue: FakeReply[] = [];
  private defaultReply: FakeReply = {};
  private readonly inFlight = new Set<AbortController>();
  private sequence = 0;
  private connections = 0;

  private constructor(private readonly server: Server, private readonly options: FakeOpenAIServerOptions) {}

  /** Starts a fake on a free loopback port. */
  static async start(options: FakeOpenAIServerOptions = {}): Promise<FakeOpenAIServer> {
    let fake: FakeOpenAIServer | null = null;
    const server = createServer((request, response) => {
      fake!.handle(request, response).catch((error: unknown) => {
        // A fault we scripted (destroyed socket, aborted delay) ends here; anything else is a bug in the fake.
        if (!response.headersSent && !response.destroyed) {
          response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(errorBody(String(error), 'server_error', null)));
        }
      });
    });
    fake = new FakeOpenAIServer(server, options);
    server.on('connection', () => fake!.connections++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return fake;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  /** The OpenAI base URL (`…/v1`), what a deployment's `api_base` is set to. */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  /** TCP connections accepted so far (keep-alive reuse keeps this low). */
  get connectionCount(): number {
    return this.connections;
  }

  /** The chat-completions requests received. */
  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path.endsWith('/chat/completions'));
  }

  /** Queues replies for the next POSTs, in order. */
  script(...replies: FakeReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** The reply used once the queue is empty. */
  setDefaultReply(reply: FakeReply): this {
    this.defaultReply = reply;
    return this;
  }

  /** Forgets recorded requests and queued replies, and restores the default reply. */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
    this.defaultReply = {};
  }

  /** Resolves with the next request whose client closes the connection early. */
  async nextClientClose(): Promise<RecordedRequest> {
    const [record] = (await once(this.events, 'client-close')) as [RecordedRequest];
    return record;
  }

  async close(): Promise<void> {
    for (const controller of this.inFlight) controller.abort();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | null = null;
    let bodyIsJson = rawBody.length === 0;
    if (rawBody.length > 0) {
      try {
        const parsed: unknown = JSON.parse(rawBody);
        bodyIsJson = true;
        body = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null;
      } catch (error) {
        void error; // recorded as bodyIsJson = false and answered with OpenAI's 400 below
      }
    }
    const path = (request.url ?? '/').split('?')[0]!;
    const record: RecordedRequest = { method: request.method ?? 'GET', path, headers: request.headers, body, rawBody, clientClosed: false, responseBody: '' };
    this.requests.push(record);
    this.events.emit('request', record);

    const controller = new AbortController();
    this.inFlight.add(controller);
    let serverReset = false;
    response.on('close', () => {
      this.inFlight.delete(controller);
      controller.abort();
      if (!response.writableFinished && !serverReset) {
        record.clientClosed = true;
        this.events.emit('client-close', record);
      }
    });
    const answerJson = (status: number, payload: unknown, headers: Record<string, string> = {}): void => sendJson(response, status, payload, headers, record);
    const reset = (): void => {
      serverReset = true;
      request.socket.destroy();
    };

    if (this.options.apiKey !== undefined && request.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      const given = String(request.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      const masked = given.length > 12 ? `${given.slice(0, 8)}${'*'.repeat(given.length - 12)}${given.slice(-4)}` : given;
      // OpenAI's own wording, which echoes the masked key and a URL: clients must never show either.
      return answerJson(401, errorBody(`Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key'));
    }
    if (request.method === 'GET' && path === '/v1/models') return answerJson(200, modelsBody(this.options.models ?? ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small']));
    if (request.method !== 'POST' || !['/v1/chat/completions', '/v1/embeddings'].includes(path)) {
      return answerJson(404, errorBody(`Invalid URL (${request.method} ${path})`, 'invalid_request_error', null));
    }
    if (!bodyIsJson || body === null) {
      return answerJson(400, errorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null));
    }

    const reply = this.queue.shift() ?? this.defaultReply;
    const signal = controller.signal;
    if (reply.firstByteDelayMs) await sleep(reply.firstByteDelayMs, undefined, { signal });
    if (reply.resetBeforeHeaders) return reset();
    const headers: Record<string, string> = { 'x-request-id': `req_fake_${++this.sequence}`, 'openai-processing-ms': '1', ...reply.headers };
    if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter;
    if (reply.status !== undefined && (reply.status < 200 || reply.status >= 300)) {
      if (reply.rawErrorBody !== undefined) {
        response.writeHead(reply.status, { ...headers, 'content-type': 'text/html' }).end(reply.rawErrorBody);
        return;
      }
      const error = reply.error ?? {};
      const fallback = reply.status === 429 ? 'Rate limit reached for requests' : reply.status >= 500 ? 'The server had an error while processing your request.' : 'Invalid request.';
      return answerJson(reply.status, errorBody(error.message ?? fallback, error.type ?? (reply.status >= 500 ? 'server_error' : 'invalid_request_error'), error.code ?? null, error.param ?? null), headers);
    }
    if (path === '/v1/embeddings') return answerJson(200, embeddingsBody(body, this.options.embeddingDimensions ?? 8), headers);

    const shape = { id: `chatcmpl-fake${String(++this.sequence).padStart(8, '0')}`, created: Math.floor(Date.now() / 1000), model: reply.model ?? `${String(body.model)}-2024-08-06` };
    const content = reply.content ?? DEFAULT_CONTENT;
    const pieces = reply.toolCall ? Math.ceil(reply.toolCall.arguments.length / 8) : textPieces(content).length;
    const usage = reply.omitUsage ? null : fakeUsage(body, pieces, reply.cachedTokens ?? 0);
    if (body.stream !== true) return answerJson(200, chatCompletionBody(shape, content, reply.toolCall ?? null, usage), headers);

    const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const frames = chatChunkBodies(shape, content, reply.toolCall ?? null, usage, includeUsage).map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`);
    response.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    response.flushHeaders();
    for (let index = 0; index < (reply.keepaliveComments ?? 0); index++) {
      record.responseBody += ': keepalive\n\n';
      response.write(': keepalive\n\n');
    }
    for (const [index, frame] of frames.entries()) {
      if (reply.resetAfterChunks !== undefined && index >= reply.resetAfterChunks) return reset();
      if (reply.errorEventAfterChunks !== undefined && index >= reply.errorEventAfterChunks) {
        response.end(`data: ${JSON.stringify(errorBody('The server had an error while processing your request.', 'server_error', null))}\n\n`);
        return;
      }
      if (reply.chunkDelayMs && index > 0) await sleep(reply.chunkDelayMs, undefined, { signal });
      const payload = index === reply.malformedAtChunk ? `data: {"id":"${shape.id}","object":"chat.completion.chunk","choices":[{"delta":\n\n` : frame;
      record.responseBody += payload;
      if (!response.write(payload)) await once(response, 'drain', { signal });
    }
    if (!reply.omitDone) record.responseBody += 'data: [DONE]\n\n';
    response.end(reply.omitDone ? undefined : 'data: [DONE]\n\n');
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, record?: RecordedRequest): void {
  const text = JSON.stringify(body);
  if (record) record.responseBody = text;
  response.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }).end(text);
}
