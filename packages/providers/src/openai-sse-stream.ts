import { ChunkEvent } from './chunk-event.ts';
import type { StreamEvent } from './provider-adapter.ts';
import type { SseEvent } from './sse-decoder.ts';
import { SseUpstreamStream } from './sse-upstream-stream.ts';
import type { StrictAdaptation } from './strict-json-schema.ts';
import { StreamingNullStripper } from './streaming-null-stripper.ts';
import { UpstreamConnectionError, UpstreamProtocolError } from './upstream-error.ts';
import { errorFromStreamEvent, type RedactionContext } from './upstream-error-mapping.ts';
import type { OpenedEventStream } from './upstream-http.ts';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const ERROR_HEAD = /^\s*\{\s*"error"\s*:/;

const isWhitespace = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/**
 * A 2xx `text/event-stream` answer of an OpenAI-format upstream, as `StreamEvent`s whose bytes are the
 * upstream's own. Each event gets a cheap shape check (a JSON object), not a parse: the gateway parses
 * what it needs for metering. `[DONE]` ends the iteration (the rest of the body is drained, see
 * `SseUpstreamStream`).
 * The one exception to byte pass-through: when the response schema was adapted to OpenAI's strict
 * dialect, content deltas are rewritten to drop the nulls the adaptation caused (see `strict-json-schema.ts`).
 */
export class OpenAISseStream extends SseUpstreamStream {
  private readonly redaction: RedactionContext;
  /** Per choice index, when the content schema was adapted to strict mode. */
  private readonly strippers: Map<number, StreamingNullStripper> | null;
  private readonly contentSchema: StrictAdaptation['original'] | null;
  private sawDone = false;
  private last: ChunkEvent | null = null;

  constructor(opened: OpenedEventStream, droppedParams: readonly string[], strictAdaptations: readonly StrictAdaptation[] = []) {
    super(opened, droppedParams);
    this.redaction = opened.redaction;
    this.contentSchema = strictAdaptations.find((adaptation) => adaptation.target.kind === 'content')?.original ?? null;
    this.strippers = this.contentSchema === null ? null : new Map();
  }

  protected get finished(): boolean {
    return this.sawDone;
  }

  protected *eventsOf(sse: SseEvent): Generator<StreamEvent> {
    const event = this.toEvent(sse);
    if (event === 'done') {
      this.sawDone = true;
      return;
    }
    this.last = event;
    yield event;
  }

  protected *endOfStream(heldBack: readonly SseEvent[]): Generator<StreamEvent> {
    if (this.sawDone) return;
    // Events after a held-back [DONE] are still checked (an error event throws) but not passed on.
    for (const sse of heldBack) {
      const event = this.toEvent(sse);
      if (event === 'done') this.sawDone = true;
      else if (!this.sawDone) {
        this.last = event;
        yield event;
      }
    }
    // A body that ends without [DONE] is complete only if its last chunk finished or reported usage.
    const last = this.last;
    if (!this.sawDone && (last === null || (last.finishReason === null && last.usage === null))) {
      throw new UpstreamConnectionError('The upstream stream ended before it was complete.');
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
