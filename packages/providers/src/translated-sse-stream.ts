import type { ChatCompletionChunk, ChatUsage, ChunkChoice } from '@saas-llm/protocol';
import type { Dispatcher } from 'undici';
import type { CallDeadline } from './call-deadline.ts';
import { ChunkEvent } from './chunk-event.ts';
import type { StreamEvent, UpstreamHeaders, UpstreamStream, UpstreamTimeouts } from './provider-adapter.ts';
import { SseDecoder, type SseEvent } from './sse-decoder.ts';
import { UpstreamCancelledError, UpstreamError, UpstreamProtocolError } from './upstream-error.ts';
import { errorFromTransport } from './upstream-error-mapping.ts';
import { drainBody, type OpenedEventStream } from './upstream-http.ts';

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
 * translation, and it is what the gateway forwards. Failures and deadlines behave exactly like the
 * OpenAI pass-through stream's.
 */
export class TranslatedSseStream implements UpstreamStream {
  readonly status: number;
  readonly headers: UpstreamHeaders;
  private readonly response: Dispatcher.ResponseData;
  private readonly deadline: CallDeadline;
  private readonly timeouts: UpstreamTimeouts;
  private iterated = false;

  constructor(opened: OpenedEventStream, private readonly translator: StreamTranslator, readonly droppedParams: readonly string[]) {
    this.response = opened.response;
    this.deadline = opened.deadline;
    this.timeouts = opened.timeouts;
    this.status = opened.response.statusCode;
    this.headers = opened.response.headers;
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
    try {
      reading: while (true) {
        const next = await reader.next();
        if (next.done) {
          outcome = 'ended';
          break;
        }
        this.deadline.markProgress();
        for (const sse of decoder.push(next.value)) {
          for (const chunk of this.translator.push(sse)) yield ChunkEvent.fromChunk(chunk);
          if (this.translator.complete) {
            outcome = 'done';
            break reading;
          }
        }
      }
      if (outcome === 'ended') {
        for (const sse of decoder.end()) {
          for (const chunk of this.translator.push(sse)) yield ChunkEvent.fromChunk(chunk);
        }
      }
      for (const chunk of this.translator.end()) yield ChunkEvent.fromChunk(chunk);
    } catch (error) {
      throw this.deadline.failure ?? errorFromTransport(error, this.timeouts);
    } finally {
      if (outcome === 'done') drainBody(body, reader);
      else if (outcome === 'open') body.destroy();
      this.deadline.dispose();
    }
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
