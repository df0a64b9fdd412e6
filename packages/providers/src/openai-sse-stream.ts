import type { Dispatcher } from 'undici';
import type { CallDeadline } from './call-deadline.ts';
import { ChunkEvent } from './chunk-event.ts';
import type { StreamEvent, UpstreamHeaders, UpstreamStream, UpstreamTimeouts } from './provider-adapter.ts';
import { SseDecoder, type SseEvent } from './sse-decoder.ts';
import type { StrictAdaptation } from './strict-json-schema.ts';
import { StreamingNullStripper } from './streaming-null-stripper.ts';
import { UpstreamCancelledError, UpstreamConnectionError, UpstreamError, UpstreamProtocolError } from './upstream-error.ts';
import { errorFromStreamEvent, errorFromTransport, type RedactionContext } from './upstream-error-mapping.ts';
import { drainBody } from './upstream-http.ts';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const ERROR_HEAD = /^\s*\{\s*"error"\s*:/;

const isWhitespace = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/**
 * A 2xx `text/event-stream` answer of an OpenAI-format upstream, as `StreamEvent`s whose bytes are the
 * upstream's own. Each event gets a cheap shape check (a JSON object), not a parse: the gateway parses
 * what it needs for metering. `[DONE]` ends the iteration; after it the rest of the body is drained in
 * the background so the keep-alive connection goes back to the pool instead of being torn down.
 * The one exception to byte pass-through: when the response schema was adapted to OpenAI's strict
 * dialect, content deltas are rewritten to drop the nulls the adaptation caused (see `strict-json-schema.ts`).
 */
export class OpenAISseStream implements UpstreamStream {
  readonly status: number;
  readonly headers: UpstreamHeaders;
  private iterated = false;
  /** Per choice index, when the content schema was adapted to strict mode. */
  private readonly strippers: Map<number, StreamingNullStripper> | null;
  private readonly contentSchema: StrictAdaptation['original'] | null;

  constructor(
    private readonly response: Dispatcher.ResponseData,
    private readonly deadline: CallDeadline,
    private readonly timeouts: UpstreamTimeouts,
    private readonly redaction: RedactionContext,
    readonly droppedParams: readonly string[],
    strictAdaptations: readonly StrictAdaptation[] = [],
  ) {
    this.status = response.statusCode;
    this.headers = response.headers;
    this.contentSchema = strictAdaptations.find((adaptation) => adaptation.target.kind === 'content')?.original ?? null;
    this.strippers = this.contentSchema === null ? null : new Map();
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
      if (outcome === 'done') drainBody(body, reader);
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
    const event = new ChunkEvent(data);
    return this.strippers === null ? event : this.withoutSyntheticNulls(event);
  }

  /** The event with synthetic nulls removed from its content deltas; re-serialised only when that changed text. */
  private withoutSyntheticNulls(event: ChunkEvent): ChunkEvent {
    const chunk = event.chunk;
    let changed = false;
    const choices = chunk.choices.map((choice) => {
      const content = choice.delta?.content;
      const finishing = typeof choice.finish_reason === 'string';
      if (typeof content !== 'string' && !finishing) return choice;
      let stripper = this.strippers!.get(choice.index);
      if (stripper === undefined) {
        stripper = new StreamingNullStripper(this.contentSchema!);
        this.strippers!.set(choice.index, stripper);
      }
      const text = (typeof content === 'string' ? stripper.push(content) : '') + (finishing ? stripper.end() : '');
      if (text === (content ?? '')) return choice;
      changed = true;
      return { ...choice, delta: { ...choice.delta, content: text } };
    });
    return changed ? ChunkEvent.fromChunk({ ...chunk, choices }) : event;
  }
}
