import {
  anthropicErrorBody, anthropicErrorType, anthropicEvent, anthropicUsage, messageBody, messageEvents, outputPieces, type FakeMessagePlan, type FakeToolUse,
} from './fake-anthropic-payloads.ts';
import { FakeProviderServer, maskKey, type FakeExchange, type FakeFaults, type RecordedRequest } from './fake-server-core.ts';

/** What the fake Anthropic server answers to one `POST /v1/messages`. Every field is optional. */
export interface FakeAnthropicReply extends FakeFaults {
  /** Error `type` for `status` (default from the status: 529 → `overloaded_error`, 429 → `rate_limit_error`, …). */
  errorType?: string;
  errorMessage?: string;
  /** Answer text; default "Hello from the fake Anthropic server." ('' for none). */
  content?: string;
  /**
   * Tool uses after the text. Without them, a request that forces a tool (`tool_choice: {type: "tool"}`)
   * is answered with that tool, its input parsed from `content` (how json_schema emulation is exercised).
   */
  toolUses?: FakeToolUse[];
  /** Overrides the stop reason (default `end_turn`, or `tool_use` with tool uses). */
  stopReason?: string;
  /** The `model` reported; default the request's. */
  model?: string;
  cacheReadTokens?: number;
  cacheCreationTokens?: number;
  /** Stream: end after `message_delta`, without `message_stop` (a cut-short stream). */
  omitMessageStop?: boolean;
}

export interface FakeAnthropicServerOptions {
  /** When set, requests must carry `x-api-key: <apiKey>`; others get Anthropic's 401. */
  apiKey?: string;
}

const DEFAULT_CONTENT = 'Hello from the fake Anthropic server.';

/**
 * A real HTTP server on 127.0.0.1 that speaks Anthropic's Messages API (`POST /v1/messages`, JSON and
 * the named-event SSE stream), requires `anthropic-version`, records every request, and misbehaves on
 * demand with the faults every fake shares (`FakeFaults`), its error event being Anthropic's
 * `event: error` with an `overloaded_error`.
 */
export class FakeAnthropicServer extends FakeProviderServer<FakeAnthropicReply> {
  private constructor(private readonly options: FakeAnthropicServerOptions) {
    super();
  }

  static async start(options: FakeAnthropicServerOptions = {}): Promise<FakeAnthropicServer> {
    const fake = new FakeAnthropicServer(options);
    await fake.listen();
    return fake;
  }

  /** The API base with its version (`…/v1`), what a deployment's `api_base` is set to. */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  /** The Messages requests received. */
  get messageRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path === '/v1/messages');
  }

  protected async route(exchange: FakeExchange): Promise<void> {
    const { request, record } = exchange;
    if (this.options.apiKey !== undefined && request.headers['x-api-key'] !== this.options.apiKey) {
      // Anthropic's wording; the masked key is there so that tests can check clients never show it.
      return exchange.json(401, anthropicErrorBody('authentication_error', `invalid x-api-key ${maskKey(String(request.headers['x-api-key'] ?? ''))}`));
    }
    if (request.method !== 'POST' || record.path !== '/v1/messages') {
      return exchange.json(404, anthropicErrorBody('not_found_error', `Not found: ${request.method} ${record.path}`));
    }
    if (!request.headers['anthropic-version']) return exchange.json(400, anthropicErrorBody('invalid_request_error', 'anthropic-version: header is required'));
    const body = record.body;
    if (!exchange.bodyIsJson || body === null) return exchange.json(400, anthropicErrorBody('invalid_request_error', 'There was an error parsing the body.'));
    if (typeof body.max_tokens !== 'number') return exchange.json(400, anthropicErrorBody('invalid_request_error', 'max_tokens: Field required'));

    const reply = this.nextReply();
    const baseHeaders = { 'request-id': `req_fake${this.sequence()}`, 'anthropic-organization-id': 'org-fake' };
    const errorOf = (status: number): unknown => {
      const type = reply.errorType ?? anthropicErrorType(status);
      return anthropicErrorBody(type, reply.errorMessage ?? (type === 'overloaded_error' ? 'Overloaded' : `Fake ${type}.`));
    };
    await this.play(exchange, reply, baseHeaders, errorOf, async (headers) => {
      const plan = this.planOf(body, reply);
      const shape = { id: `msg_fake${String(this.sequence()).padStart(20, '0')}`, model: reply.model ?? String(body.model) };
      if (body.stream !== true) return exchange.json(200, messageBody(shape, plan), headers);
      await this.stream(exchange, reply, headers, messageEvents(shape, plan, { omitMessageStop: reply.omitMessageStop }), {
        errorFrame: anthropicEvent(anthropicErrorBody('overloaded_error', 'Overloaded') as { type: string }),
        malformedFrame: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_del\n\n',
      });
    });
  }

  private planOf(body: Record<string, unknown>, reply: FakeAnthropicReply): FakeMessagePlan {
    let text = reply.content ?? DEFAULT_CONTENT;
    let toolUses = reply.toolUses ?? [];
    const forced = body.tool_choice as { type?: string; name?: string } | undefined;
    if (toolUses.length === 0 && forced?.type === 'tool' && typeof forced.name === 'string') {
      toolUses = [{ name: forced.name, input: parseObject(text) }];
      text = '';
    }
    const tools = toolUses.map((tool, index) => ({ id: tool.id ?? `toolu_fake${String(this.sequence()).padStart(4, '0')}${index}`, name: tool.name, input: tool.input }));
    const usage = reply.omitUsage ? null : anthropicUsage(body, outputPieces(text, tools), reply.cacheReadTokens ?? 0, reply.cacheCreationTokens ?? 0);
    return { text, toolUses: tools, stopReason: reply.stopReason ?? (tools.length > 0 ? 'tool_use' : 'end_turn'), usage };
  }
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch (error) {
    void error; // plain text scripted for a forced tool: wrap it, as a model would fill a single field
    return { value: text };
  }
}
