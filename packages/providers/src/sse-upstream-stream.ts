import type { Dispatcher } from 'undici';
import { BodyChunkReader } from './body-chunk-reader.ts';
import type { CallDeadline } from './call-deadline.ts';
import type { StreamEvent, UpstreamHeaders, UpstreamStream, UpstreamTimeouts } from './provider-adapter.ts';
import { SseDecoder, type SseEvent } from './sse-decoder.ts';
import { UpstreamCancelledError, UpstreamError } from './upstream-error.ts';
import { errorFromTransport } from './upstream-error-mapping.ts';
import { drainBody, type OpenedEventStream } from './upstream-http.ts';

/**
 * A 2xx `text/event-stream` answer being read, whatever the wire format: one iteration only, progress
 * marked on the deadline per read, transport failures and deadlines mapped to `UpstreamError`s, and the
 * body released at the end. Once the answer is finished the rest of the body is drained in the
 * background, so the keep-alive connection goes back to the pool instead of being torn down; a stream
 * left early (an error, the caller stopped) destroys it instead.
 * Subclasses say what each decoded event becomes and what is owed at the end.
 */
export abstract class SseUpstreamStream implements UpstreamStream {
  readonly status: number;
  readonly headers: UpstreamHeaders;
  protected readonly response: Dispatcher.ResponseData;
  protected readonly deadline: CallDeadline;
  protected readonly timeouts: UpstreamTimeouts;
  private iterated = false;

  protected constructor(opened: OpenedEventStream, readonly droppedParams: readonly string[]) {
    this.response = opened.response;
    this.deadline = opened.deadline;
    this.timeouts = opened.timeouts;
    this.status = opened.response.statusCode;
    this.headers = opened.response.headers;
  }

  /** The events one decoded upstream event becomes (often none); throws for error events. */
  protected abstract eventsOf(sse: SseEvent): Iterable<StreamEvent>;

  /** True once the upstream signalled the end of the answer; reading stops there. */
  protected abstract get finished(): boolean;

  /**
   * The events owed when reading stops. `heldBack` are the events the decoder still held when the body
   * ended (none when the answer finished first); throws when the answer was cut short.
   */
  protected abstract endOfStream(heldBack: readonly SseEvent[]): Iterable<StreamEvent>;

  abort(reason?: Error): void {
    this.deadline.abort(reason instanceof UpstreamError ? reason : new UpstreamCancelledError({ cause: reason }));
    this.response.body.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<StreamEvent, void, undefined> {
    if (this.iterated) throw new Error('An UpstreamStream can be iterated only once');
    this.iterated = true;
    const body = this.response.body;
    const reader = new BodyChunkReader(body);
    const decoder = new SseDecoder();
    let outcome: 'open' | 'done' | 'ended' = 'open';
    try {
      reading: while (true) {
        const next = await reader.next();
        if (next.done) {
          outcome = 'ended';
          break;
        }
        this.deadline.markProgress();
        for (const sse of decoder.push(next.value)) {
          yield* this.eventsOf(sse);
          if (this.finished) {
            outcome = 'done';
            break reading;
          }
        }
      }
      yield* this.endOfStream(outcome === 'ended' ? decoder.end() : []);
    } catch (error) {
      throw this.deadline.failure ?? errorFromTransport(error, this.timeouts);
    } finally {
      if (outcome === 'done') drainBody(body, reader);
      else if (outcome === 'open') body.destroy();
      this.deadline.dispose();
    }
  }
}
