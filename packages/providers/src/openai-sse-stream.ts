import type { Dispatcher } from 'undici';
import type { CallDeadline } from './call-deadline.ts';
import { ChunkEvent } from './chunk-event.ts';
import type { StreamEvent, UpstreamHeaders, UpstreamStream, UpstreamTimeouts } from './provider-adapter.ts';
import { SseDecoder, type SseEvent } from './sse-decoder.ts';
import { UpstreamCancelledError, UpstreamConnectionError, UpstreamError, UpstreamProtocolError } from './upstream-error.ts';
import { errorFromStreamEvent, errorFromTransport, type RedactionContext } from './upstream-error-mapping.ts';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const ERROR_HEAD = /^\s*\{\s*"error"\s*:/;
/** How long we wait for the body's end after `[DONE]` before giving the socket up. */
const DRAIN_AFTER_DONE_MS = 1000;

const isWhitespace = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/**
 * A 2xx `text/event-stream` answer of an OpenAI-format upstream, as `StreamEvent`s whose bytes are the
 * upstream's own. Each event gets a cheap shape check (a JSON object), not a parse: the gateway parses
 * what it needs for metering. `[DONE]` ends the iteration; after it the rest of the body is drained in
 * the background so the keep-alive connection goes back to the pool instead of being torn down.
 */
export class OpenAISseStream implements UpstreamStream {
  readonly status: number;
  readonly headers: UpstreamHeaders;
  private iterated = false;

  constructor(
    private readonly response: Dispatcher.ResponseData,
    private readonly deadline: CallDeadline,
    private readonly timeouts: UpstreamTimeouts,
    private readonly redaction: RedactionContext,
    readonly droppedParams: readonly string[],
  ) {
    this.status = response.statusCode;
    this.headers = response.headers;
  }

  abort(reason?: Error): void {
    this.deadline.abort(reason instanceof UpstreamError ? reason : new UpstreamCancelledError({ cause: reason }));
    this.response.body.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<StreamEvent, void, undefined> {
    if (this.iterated) throw new Error('An UpstreamStream can be iterated only once');
    this.iterated = true;
    const body = this.response.body;
    const reader = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const decoder = new SseDecoder();
    let outcome: 'open' | 'done' | 'ended' = 'open';
    let last: ChunkEvent | null = null;
    try {
      reading: while (true) {
        const next = await reader.next();
        if (next.done) {
          outcome = 'ended';
          break;
        }
        this.deadline.markProgress();
        for (const sse of decoder.push(next.value)) {
          const event = this.toEvent(sse);
          if (event === 'done') {
            outcome = 'done';
            break reading;
          }
          last = event;
          yield event;
        }
      }
      if (outcome === 'ended') {
        let sawDone = false;
        for (const sse of decoder.end()) {
          const event = this.toEvent(sse);
          if (event === 'done') sawDone = true;
          else if (!sawDone) {
            last = event;
            yield event;
          }
        }
        // A body that ends without [DONE] is complete only if its last chunk finished or reported usage.
        if (!sawDone && (last === null || (last.finishReason === null && last.usage === null))) {
          throw new UpstreamConnectionError('The upstream stream ended before it was complete.');
        }
      }
    } catch (error) {
      throw this.deadline.failure ?? errorFromTransport(error, this.timeouts);
    } finally {
      if (outcome === 'done') this.drain(reader);
      else if (outcome === 'open') body.destroy();
      this.deadline.dispose();
    }
  }

  /** `'done'` for `[DONE]`; an event otherwise; throws for error events and for payloads that are not JSON objects. */
  private toEvent(sse: SseEvent): ChunkEvent | 'done' {
    const data = sse.data;
    if (data.length === 6 && data.toString('latin1') === '[DONE]') return 'done';
    if (sse.event === 'error' || ERROR_HEAD.test(data.subarray(0, 32).toString('latin1'))) {
      throw errorFromStreamEvent(sse.text, this.redaction);
    }
    let first = 0;
    let end = data.length - 1;
    while (isWhitespace(data[first])) first++;
    while (end > first && isWhitespace(data[end])) end--;
    if (data[first] !== OPEN_BRACE || data[end] !== CLOSE_BRACE) {
      throw new UpstreamProtocolError('The upstream sent a malformed stream event.');
    }
    return new ChunkEvent(data);
  }

  /** Reads the body to its end after `[DONE]`, so undici can reuse the socket; gives up after a second. */
  private drain(reader: AsyncIterator<Buffer>): void {
    const body = this.response.body;
    const giveUp = setTimeout(() => body.destroy(), DRAIN_AFTER_DONE_MS).unref();
    const readToEnd = async (): Promise<void> => {
      while (!(await reader.next()).done) {
        // Bytes after [DONE] carry nothing for us.
      }
    };
    readToEnd().then(
      () => clearTimeout(giveUp),
      (error: unknown) => {
        // The answer was already complete; a failure now only means the socket is not reused.
        clearTimeout(giveUp);
        void error;
      },
    );
  }
}
