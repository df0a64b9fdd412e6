import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The faults every fake provider server can play, in any combination (e.g. a delay then a 429). An
 * empty reply is a normal, successful answer.
 */
export interface FakeFaults {
  /** Answer this non-2xx status with the provider's error body. */
  status?: number;
  /** A raw body for the error status instead of the provider's shape (e.g. an HTML page from a proxy). */
  rawErrorBody?: string;
  /** `Retry-After` header value (seconds or an HTTP date). */
  retryAfter?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Delay before the status line and headers. */
  firstByteDelayMs?: number;
  /** Destroy the socket before any response byte. */
  resetBeforeHeaders?: boolean;
  /** Stream: destroy the socket after this many frames. */
  resetAfterChunks?: number;
  /** Stream: send a malformed (truncated JSON) event as frame number N (0-based). */
  malformedAtChunk?: number;
  /** Stream: send the provider's error event after N frames, then end the stream. */
  errorEventAfterChunks?: number;
  /** Report no usage at all. */
  omitUsage?: boolean;
  /** Stream: delay between frames (the first goes out at once; `firstByteDelayMs` delays it). */
  chunkDelayMs?: number;
  /** Stream: comment lines (`: keepalive`) sent before the first frame. */
  keepaliveComments?: number;
}

/** One request a fake received. */
export interface RecordedRequest {
  method: string;
  /** The path without the query. */
  path: string;
  /** The query string without `?` ('' when none). */
  query: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or null (no body or not JSON). */
  body: Record<string, unknown> | null;
  rawBody: string;
  /** True once the client closed the connection before the answer was complete (an aborted request). */
  clientClosed: boolean;
  /** The response body bytes written so far, as text (for byte-exact assertions). */
  responseBody: string;
}

/** One request being answered, with the means to answer it. */
export interface FakeExchange {
  request: IncomingMessage;
  response: ServerResponse;
  record: RecordedRequest;
  /** Whether the body was empty or valid JSON. */
  bodyIsJson: boolean;
  /** Aborted when the client goes away or the fake closes. */
  signal: AbortSignal;
  json(status: number, payload: unknown, headers?: Record<string, string>): void;
  /** Destroys the socket (a fault, not a client abort). */
  reset(): void;
}

/** How a provider spells the frames a streaming fault needs. */
export interface StreamFraming {
  /** The provider's error event (sent by `errorEventAfterChunks`). */
  errorFrame: string;
  /** A truncated event (sent by `malformedAtChunk`). */
  malformedFrame: string;
  /** Written after the last frame unless a fault ended the stream first (OpenAI's `[DONE]`). */
  trailer?: string | null;
}

/**
 * What the fakes share: a real HTTP server on 127.0.0.1 that records every request, plays scripted
 * replies in order (`script(...)`, then `setDefaultReply`), and misbehaves on demand. Each subclass
 * speaks one provider's wire format in `route`.
 */
export abstract class FakeProviderServer<Reply extends FakeFaults> {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Emits `request` (RecordedRequest) on arrival and `client-close` (RecordedRequest) when a client aborts. */
  readonly events = new EventEmitter();
  private readonly queue: Reply[] = [];
  private defaultReply: Reply = {} as Reply;
  private readonly inFlight = new Set<AbortController>();
  private connections = 0;
  /** Open connections that have not carried a request yet. */
  private readonly unusedSockets = new Set<Socket>();
  private sequenceNumber = 0;
  private readonly server: Server;

  protected constructor() {
    this.server = createServer((request, response) => {
      this.unusedSockets.delete(request.socket);
      this.handle(request, response).catch((error: unknown) => {
        // A fault we scripted (destroyed socket, aborted delay) ends here; anything else is a bug in the fake.
        if (!response.headersSent && !response.destroyed) response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.connections++;
      this.unusedSockets.add(socket);
      socket.once('close', () => this.unusedSockets.delete(socket));
    });
  }

  /** Listens on a free loopback port. */
  protected async listen(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  /** TCP connections accepted so far (keep-alive reuse keeps this low). */
  get connectionCount(): number {
    return this.connections;
  }

  /**
   * Connections open now that never carried a request: a client that connects without need (undici 7
   * reconnected after every aborted stream and left the new socket idle, with no keep-alive timer).
   */
  get unusedConnectionCount(): number {
    return this.unusedSockets.size;
  }

  /** Queues replies for the next requests, in order. */
  script(...replies: Reply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** The reply used once the queue is empty. */
  setDefaultReply(reply: Reply): this {
    this.defaultReply = reply;
    return this;
  }

  /** Forgets recorded requests and queued replies, and restores the default reply. */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
    this.defaultReply = {} as Reply;
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

  /** Answers one request in the provider's wire format (auth, routing, then `nextReply` and `play`). */
  protected abstract route(exchange: FakeExchange): Promise<void>;

  /** The next scripted reply (or the default one). */
  protected nextReply(): Reply {
    return this.queue.shift() ?? this.defaultReply;
  }

  /** A number unique within this fake, for ids. */
  protected sequence(): number {
    return ++this.sequenceNumber;
  }

  /**
   * Plays the reply's faults up to the headers: the first-byte delay, a reset, an error status (with
   * `errorBody`); calls `succeed` with the headers to send otherwise.
   */
  protected async play(exchange: FakeExchange, reply: Reply, baseHeaders: Record<string, string>, errorBody: (status: number) => unknown, succeed: (headers: Record<string, string>) => Promise<void> | void): Promise<void> {
    if (reply.firstByteDelayMs) await sleep(reply.firstByteDelayMs, undefined, { signal: exchange.signal });
    if (reply.resetBeforeHeaders) return exchange.reset();
    const headers: Record<string, string> = { ...baseHeaders, ...reply.headers };
    if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter;
    if (reply.status !== undefined && (reply.status < 200 || reply.status >= 300)) {
      if (reply.rawErrorBody !== undefined) {
        exchange.response.writeHead(reply.status, { ...headers, 'content-type': 'text/html' }).end(reply.rawErrorBody);
        return;
      }
      return exchange.json(reply.status, errorBody(reply.status), headers);
    }
    await succeed(headers);
  }

  /** Writes an SSE answer frame by frame, playing the reply's streaming faults. Frames are complete (`…\n\n`). */
  protected async stream(exchange: FakeExchange, reply: Reply, headers: Record<string, string>, frames: readonly string[], framing: StreamFraming): Promise<void> {
    const { response, record, signal } = exchange;
    response.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    response.flushHeaders();
    const write = async (text: string): Promise<void> => {
      record.responseBody += text;
      if (!response.write(text)) await once(response, 'drain', { signal });
    };
    for (let index = 0; index < (reply.keepaliveComments ?? 0); index++) await write(': keepalive\n\n');
    for (const [index, frame] of frames.entries()) {
      if (reply.resetAfterChunks !== undefined && index >= reply.resetAfterChunks) return exchange.reset();
      if (reply.errorEventAfterChunks !== undefined && index >= reply.errorEventAfterChunks) {
        record.responseBody += framing.errorFrame;
        response.end(framing.errorFrame);
        return;
      }
      if (reply.chunkDelayMs && index > 0) await sleep(reply.chunkDelayMs, undefined, { signal });
      await write(index === reply.malformedAtChunk ? framing.malformedFrame : frame);
    }
    if (framing.trailer) record.responseBody += framing.trailer;
    response.end(framing.trailer ?? undefined);
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
        void error; // recorded as bodyIsJson = false; each fake answers its provider's 400
      }
    }
    const [path, query] = (request.url ?? '/').split('?', 2) as [string, string | undefined];
    const record: RecordedRequest = { method: request.method ?? 'GET', path, query: query ?? '', headers: request.headers, body, rawBody, clientClosed: false, responseBody: '' };
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
    await this.route({
      request, response, record, bodyIsJson, signal: controller.signal,
      json: (status, payload, headers = {}) => {
        const text = JSON.stringify(payload);
        record.responseBody = text;
        response.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }).end(text);
      },
      reset: () => {
        serverReset = true;
        request.socket.destroy();
      },
    });
  }
}

/** A key as providers echo it in auth errors: the first 8 and last 4 characters around stars. */
export function maskKey(given: string): string {
  return given.length > 12 ? `${given.slice(0, 8)}${'*'.repeat(given.length - 12)}${given.slice(-4)}` : given;
}
