import {
  generateContentBody, geminiErrorBody, geminiErrorOf, geminiFrame, geminiUsage, streamBodies, type FakeFunctionCall, type FakeGeminiPlan,
} from './fake-gemini-payloads.ts';
import { textPieces } from './fake-openai-payloads.ts';
import { FakeProviderServer, type FakeExchange, type FakeFaults, type RecordedRequest } from './fake-server-core.ts';

/** What the fake Gemini server answers to one `generateContent` / `streamGenerateContent`. Every field is optional. */
export interface FakeGeminiReply extends FakeFaults {
  /** The error's `status` name for `status` (default from the HTTP status: 503 → `UNAVAILABLE`, …) and its message. */
  errorStatus?: string;
  errorMessage?: string;
  /** `retryDelay` of a `google.rpc.RetryInfo` detail on the error (e.g. `"37s"`), as Gemini sends on 429. */
  retryDelay?: string;
  /** Answer text; default "Hello from the fake Gemini server." ('' for none). */
  content?: string;
  /** Function calls after the text (all in one streamed response, as Gemini sends parallel calls). */
  functionCalls?: FakeFunctionCall[];
  /** Overrides `finishReason` (default `STOP`), e.g. `SAFETY` or `MAX_TOKENS`. */
  finishReason?: string;
  /** Blocks the prompt: `promptFeedback.blockReason` and no candidates. */
  blockReason?: string;
  /** The `modelVersion` reported; default the model of the URL. */
  model?: string;
  cachedTokens?: number;
  thoughtsTokens?: number;
}

export interface FakeGeminiServerOptions {
  /** When set, requests must carry `x-goog-api-key: <apiKey>`; others get Gemini's 400 API_KEY_INVALID. */
  apiKey?: string;
}

const DEFAULT_CONTENT = 'Hello from the fake Gemini server.';
const PATH = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

/**
 * A real HTTP server on 127.0.0.1 that speaks the Gemini API (`POST /v1beta/models/{model}:generateContent`
 * and `:streamGenerateContent?alt=sse`, CRLF-framed SSE without a terminator), records every request, and
 * misbehaves on demand with the faults every fake shares (`FakeFaults`). It refuses an API key in the URL,
 * so a test catches any adapter that puts one there.
 */
export class FakeGeminiServer extends FakeProviderServer<FakeGeminiReply> {
  private constructor(private readonly options: FakeGeminiServerOptions) {
    super();
  }

  static async start(options: FakeGeminiServerOptions = {}): Promise<FakeGeminiServer> {
    const fake = new FakeGeminiServer(options);
    await fake.listen();
    return fake;
  }

  /** The API base with its version (`…/v1beta`), what a deployment's `api_base` is set to. */
  get baseUrl(): string {
    return `${this.url}/v1beta`;
  }

  /** The generate requests received. */
  get generateRequests(): RecordedRequest[] {
    return this.requests.filter((request) => PATH.test(request.path));
  }

  protected async route(exchange: FakeExchange): Promise<void> {
    const { request, record } = exchange;
    if (/(^|&)key=/.test(record.query)) return exchange.json(400, geminiErrorBody(400, 'This fake refuses API keys in the URL.', 'INVALID_ARGUMENT'));
    if (this.options.apiKey !== undefined && request.headers['x-goog-api-key'] !== this.options.apiKey) {
      return exchange.json(400, geminiErrorBody(400, 'API key not valid. Please pass a valid API key.', 'INVALID_ARGUMENT', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      ]));
    }
    const match = PATH.exec(record.path);
    if (request.method !== 'POST' || match === null) return exchange.json(404, geminiErrorBody(404, `Not found: ${record.path}`, 'NOT_FOUND'));
    const streaming = match[2] === 'streamGenerateContent';
    if (streaming && !/(^|&)alt=sse(&|$)/.test(record.query)) return exchange.json(400, geminiErrorBody(400, 'This fake streams only with alt=sse.', 'INVALID_ARGUMENT'));
    const body = record.body;
    if (!exchange.bodyIsJson || body === null) return exchange.json(400, geminiErrorBody(400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT'));
    if (!Array.isArray(body.contents) || body.contents.length === 0) return exchange.json(400, geminiErrorBody(400, '* GenerateContentRequest.contents: contents is not specified\n', 'INVALID_ARGUMENT'));

    const reply = this.nextReply();
    const errorOf = (status: number): unknown => {
      const known = geminiErrorOf(status);
      const details = reply.retryDelay ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: reply.retryDelay }] : undefined;
      return geminiErrorBody(status, reply.errorMessage ?? known.message, reply.errorStatus ?? known.status, details);
    };
    await this.play(exchange, reply, { 'x-goog-request-id': `fake-${this.sequence()}` }, errorOf, async (headers) => {
      const shape = { responseId: `fakeResp${String(this.sequence()).padStart(8, '0')}`, modelVersion: reply.model ?? decodeURIComponent(match[1]!) };
      const plan = this.planOf(body, reply);
      if (!streaming) return exchange.json(200, generateContentBody(shape, plan), headers);
      await this.stream(exchange, reply, headers, streamBodies(shape, plan).map(geminiFrame), {
        errorFrame: geminiFrame(geminiErrorBody(503, 'The model is overloaded. Please try again later.', 'UNAVAILABLE')),
        malformedFrame: 'data: {"candidates": [{"content": {"parts": [{"text": "Hel\r\n\r\n',
      });
    });
  }

  private planOf(body: Record<string, unknown>, reply: FakeGeminiReply): FakeGeminiPlan {
    const text = reply.content ?? DEFAULT_CONTENT;
    const functionCalls = reply.functionCalls ?? [];
    const pieces = textPieces(text).length + functionCalls.length;
    return {
      text: reply.blockReason ? '' : text,
      functionCalls,
      finishReason: reply.finishReason ?? 'STOP',
      usage: reply.omitUsage ? null : geminiUsage(body, pieces, reply.cachedTokens ?? 0, reply.thoughtsTokens ?? 0),
      blockReason: reply.blockReason ?? null,
    };
  }
}
