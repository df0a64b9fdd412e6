import type { ChatCompletionChunk, ChatUsage, ChunkChoice } from '@saas-llm/protocol';
import { ChunkEvent } from './chunk-event.ts';
import type { StreamEvent } from './provider-adapter.ts';
import type { SseEvent } from './sse-decoder.ts';
import { SseUpstreamStream } from './sse-upstream-stream.ts';
import { UpstreamProtocolError } from './upstream-error.ts';
import type { OpenedEventStream } from './upstream-http.ts';

/**
 * Turns one provider's stream events into OpenAI `chat.completion.chunk`s. Stateful, one per stream.
 * Error events are thrown as `UpstreamError`s from `push`.
 */
export interface StreamTranslator {
  /** The chunks one upstream event becomes (often none: pings, block starts of text). */
  push(event: SseEvent): ChatCompletionChunk[];
  /** True once the upstream signalled the end of the answer (e.g. Anthropic's `message_stop`). */
  readonly complete: boolean;
  /** The chunks owed when the body ends (usage); throws when the answer was cut short. */
  end(): ChatCompletionChunk[];
}

/** The `id`, `created` and `model` every chunk of one answer repeats. */
export interface ChunkIdentity {
  id: string;
  created: number;
  model: string;
}

/** A chunk with OpenAI's field order and `logprobs: null` on each choice, as OpenAI sends them. */
export function chunkOf(identity: ChunkIdentity, choices: ChunkChoice[]): ChatCompletionChunk {
  return { id: identity.id, object: 'chat.completion.chunk', created: identity.created, model: identity.model, choices };
}

export function deltaChoice(index: number, delta: ChunkChoice['delta'], finishReason: string | null = null): ChunkChoice {
  return { index, delta, logprobs: null, finish_reason: finishReason };
}

/** The usage-only last chunk (`choices: []`), as OpenAI sends it with `include_usage`. */
export function usageChunkOf(identity: ChunkIdentity, usage: ChatUsage): ChatCompletionChunk {
  return { ...chunkOf(identity, []), usage };
}

/**
 * A 2xx `text/event-stream` answer of a provider with its own event format (Anthropic, Gemini), as
 * OpenAI chunk events. Each translated chunk is serialised once, here: that is unavoidable for a
 * translation, and it is what the gateway forwards. Reading, failures and deadlines are
 * `SseUpstreamStream`'s, the same as the OpenAI pass-through stream's.
 */
export class TranslatedSseStream extends SseUpstreamStream {
  constructor(opened: OpenedEventStream, private readonly translator: StreamTranslator, droppedParams: readonly string[]) {
    super(opened, droppedParams);
  }

  protected get finished(): boolean {
    return this.translator.complete;
  }

  protected *eventsOf(sse: SseEvent): Generator<StreamEvent> {
    for (const chunk of this.translator.push(sse)) yield ChunkEvent.fromChunk(chunk);
  }

  protected *endOfStream(heldBack: readonly SseEvent[]): Generator<StreamEvent> {
    for (const sse of heldBack) yield* this.eventsOf(sse);
    for (const chunk of this.translator.end()) yield ChunkEvent.fromChunk(chunk);
  }
}

/** The JSON object of an event's payload; anything else breaks the provider's wire format. */
export function parseEventPayload(event: SseEvent): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(event.text);
  } catch (error) {
    throw new UpstreamProtocolError('The upstream sent a malformed stream event.', { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UpstreamProtocolError('The upstream sent a malformed stream event.');
  return value as Record<string, unknown>;
}
