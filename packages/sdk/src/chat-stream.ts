import { ERROR_STATUS, HEADERS, chatCompletionChunkSchema, type ChatUsage } from '@saas-llm/protocol';
import { ConnectionError, SaaSLLMError, errorFromResponse } from './errors.ts';
import type { CallMetadata, LlmCallChunk } from './client-types.ts';
import { readSseEvents } from './sse-decoder.ts';

/** Opens the streaming request; the signal must abort the fetch (and so close the connection). */
export type StreamOpener = (signal: AbortSignal) => Promise<Response>;

/**
 * A streaming LLM call: an async iterable of typed `chat.completion.chunk`s, read as they arrive.
 *
 * The request is sent when iteration starts. Leaving the loop early (`break`, `return`, a throw) or
 * aborting the `signal` given to `chatStream` — or calling `abort()` — closes the connection, and the
 * gateway then aborts the upstream provider call at once and records the call as `cancelled`, metered
 * with the tokens streamed so far. An error frame from the gateway is thrown as the matching
 * `SaaSLLMError` subclass. After the loop, `content`, `usage`, `callId`, `jobId` and `metadata`
 * describe the call. A stream can be iterated once.
 */
export class ChatStream implements AsyncIterable<LlmCallChunk> {
  /** The text of choice 0 received so far. */
  content = '';
  /** Token usage, from the final frame. */
  usage: ChatUsage | null = null;
  /** The gateway's facts about the call (latency, ttft, attempts, cost), from the final frame. */
  metadata: CallMetadata | null = null;
  /** Why choice 0 ended (`stop`, `length`, `tool_calls`, …), once it has. */
  finishReason: string | null = null;
  /** The call's id, known as soon as the response headers arrive. */
  callId: string | null = null;
  /** The job the call belongs to. */
  jobId: string | null = null;
  /** The gateway's `x-request-id` of the streaming response. */
  requestId: string | null = null;
  /** True once `[DONE]` arrived. */
  completed = false;

  private readonly controller = new AbortController();
  /** Unhooks our listener from the caller's signal once the stream is over, so long-lived signals do not leak. */
  private readonly detach = new AbortController();
  private iterated = false;

  constructor(private readonly open: StreamOpener, signal?: AbortSignal) {
    if (signal?.aborted) this.controller.abort(signal.reason);
    else signal?.addEventListener('abort', () => this.controller.abort(signal.reason), { once: true, signal: this.detach.signal });
  }

  /** Stops the stream: the connection closes and the gateway cancels the upstream call. */
  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  /** Reads the stream to its end and returns the whole text of choice 0 (usage etc. are then set). */
  async text(): Promise<string> {
    for await (const chunk of this) void chunk;
    return this.content;
  }

  [Symbol.asyncIterator](): AsyncIterator<LlmCallChunk> {
    if (this.iterated) throw new TypeError('A ChatStream can be iterated only once.');
    this.iterated = true;
    return this.chunks();
  }

  private async *chunks(): AsyncGenerator<LlmCallChunk, void, undefined> {
    const signal = this.controller.signal;
    try {
      const response = await this.open(signal);
      this.callId = response.headers.get(HEADERS.callId);
      this.jobId = response.headers.get(HEADERS.jobId);
      this.requestId = response.headers.get(HEADERS.requestId);
      if (!response.body) throw new SaaSLLMError('The streaming response has no body.', { status: response.status, code: 'invalid_response', requestId: this.requestId });
      let cutMidEvent = false;
      for await (const event of readSseEvents(response.body, (ending) => { cutMidEvent = ending.danglingEvent; })) {
        // After [DONE] the gateway ends the body at once; reading it to the end keeps the connection reusable.
        if (this.completed) continue;
        if (event.data === '[DONE]') {
          this.completed = true;
          continue;
        }
        const chunk = this.parseFrame(event.data, response.status);
        this.absorb(chunk);
        yield chunk;
      }
      if (this.completed) return;
      throw new ConnectionError(
        `The stream ended before [DONE]${cutMidEvent ? ' (in the middle of an event)' : ''}: the connection to the gateway was lost.`,
        { timedOut: false },
      );
    } catch (error) {
      // Our own abort surfaces from fetch as a generic AbortError: rethrow the caller's reason instead.
      if (signal.aborted && !(error instanceof SaaSLLMError)) throw signal.reason ?? error;
      // undici reports a connection reset in the middle of the body as `TypeError: terminated`.
      if (error instanceof TypeError) {
        // A reset after [DONE] lost nothing: the answer is complete.
        if (this.completed) return;
        throw new ConnectionError(`The stream from the gateway broke: ${error.message}`, { timedOut: false, cause: error });
      }
      throw error;
    } finally {
      this.detach.abort();
      // Left early or failed: closing the connection is what tells the gateway to stop the upstream.
      if (!this.completed) this.controller.abort(signal.reason ?? new StreamClosedError());
    }
  }

  private parseFrame(data: string, status: number): LlmCallChunk {
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch (error) {
      throw new SaaSLLMError(`The gateway sent a stream frame that is not JSON: ${data.slice(0, 200)}`, {
        status, code: 'invalid_response', requestId: this.requestId, body: data.slice(0, 1_000), cause: error,
      });
    }
    if (typeof frame === 'object' && frame !== null && 'error' in frame) throw errorFromStreamFrame(frame as { error: unknown }, this.requestId);
    const parsed = chatCompletionChunkSchema.safeParse(frame);
    if (!parsed.success) {
      throw new SaaSLLMError(`The gateway sent a stream frame that is not a chat.completion.chunk: ${parsed.error.message}`, {
        status, code: 'invalid_response', requestId: this.requestId, body: frame, cause: parsed.error,
      });
    }
    return parsed.data as LlmCallChunk;
  }

  private absorb(chunk: LlmCallChunk): void {
    const choice = chunk.choices.find((candidate) => candidate.index === 0);
    if (choice?.delta.content) this.content += choice.delta.content;
    if (choice?.finish_reason) this.finishReason = choice.finish_reason;
    if (chunk.usage) this.usage = chunk.usage;
    if (chunk.metadata) this.metadata = chunk.metadata;
    if (chunk.call_id) this.callId = chunk.call_id;
    if (chunk.job_id) this.jobId = chunk.job_id;
  }
}

/** The reason a stream's connection is closed when the consumer stops reading before `[DONE]`. */
export class StreamClosedError extends Error {
  constructor() {
    super('The stream was closed by the client before it finished.');
    this.name = 'AbortError';
  }
}

/**
 * An error after the first chunk arrives as a frame `{"error": {type, code, message}}` (the status line
 * already said 200): build the same typed error the status would have produced.
 */
function errorFromStreamFrame(frame: { error: unknown }, requestId: string | null): SaaSLLMError {
  const code = typeof frame.error === 'object' && frame.error !== null ? (frame.error as { code?: unknown }).code : undefined;
  const status = typeof code === 'string' && code in ERROR_STATUS ? ERROR_STATUS[code as keyof typeof ERROR_STATUS] : 502;
  return errorFromResponse({ status, body: frame, requestId, retryAfterMs: null });
}
