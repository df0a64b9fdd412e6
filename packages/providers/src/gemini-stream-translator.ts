import type { ChatCompletionChunk, ChatUsage, ChunkDelta } from '@saas-llm/protocol';
import { completionIdOf, finishReasonOf, partsOf, throwIfPromptBlocked, toolCallOf, usageFromGemini } from './gemini-response.ts';
import type { SseEvent } from './sse-decoder.ts';
import { chunkOf, deltaChoice, parseEventPayload, usageChunkOf, type ChunkIdentity, type StreamTranslator } from './translated-sse-stream.ts';
import { UpstreamConnectionError } from './upstream-error.ts';
import { errorFromStreamEvent, type RedactionContext } from './upstream-error-mapping.ts';

interface ChoiceState {
  roleSent: boolean;
  nextToolIndex: number;
  finished: boolean;
}

/**
 * `streamGenerateContent?alt=sse` responses → OpenAI chunks. Each response carries whole parts: text
 * becomes content deltas; each `functionCall` becomes one tool-call delta with its own OpenAI `index`
 * (per choice, from 0), a stable id, its name and its complete arguments; `finishReason` ends the
 * choice. Gemini sends no end event: the body's end is the end, and the usage chunk (from the last
 * `usageMetadata`, which is cumulative) is emitted then — or an error when no choice finished.
 */
export class GeminiStreamTranslator implements StreamTranslator {
  /** Gemini has no end-of-answer event; the stream is complete when its body ends. */
  readonly complete = false;
  private readonly identity: ChunkIdentity;
  private readonly choices = new Map<number, ChoiceState>();
  private usage: ChatUsage | null = null;

  constructor(private readonly redaction: RedactionContext, model: string, created = Math.floor(Date.now() / 1000)) {
    this.identity = { id: completionIdOf(null), created, model };
  }

  push(event: SseEvent): ChatCompletionChunk[] {
    const response = parseEventPayload(event);
    if (response.error !== undefined) throw errorFromStreamEvent(event.text, this.redaction);
    if (this.choices.size === 0) {
      if (typeof response.responseId === 'string') this.identity.id = completionIdOf(response.responseId);
      if (typeof response.modelVersion === 'string') this.identity.model = response.modelVersion;
    }
    throwIfPromptBlocked(response);
    const chunks: ChatCompletionChunk[] = [];
    const candidates = Array.isArray(response.candidates) ? (response.candidates as Array<Record<string, unknown>>) : [];
    candidates.forEach((candidate, position) => {
      const index = typeof candidate.index === 'number' ? candidate.index : position;
      const state = this.stateOf(index);
      const { text, calls } = partsOf(candidate);
      if (text.length > 0) this.emit(chunks, index, state, { content: text });
      for (const call of calls) {
        const toolCall = toolCallOf(call);
        this.emit(chunks, index, state, { tool_calls: [{ index: state.nextToolIndex++, ...toolCall }] });
      }
      if (candidate.finishReason !== undefined && candidate.finishReason !== null) {
        // Throws for a safety block: the stream fails where Gemini withheld the rest.
        const finishReason = finishReasonOf(candidate.finishReason, state.nextToolIndex > 0);
        this.emit(chunks, index, state, {}, finishReason);
        state.finished = true;
      }
    });
    this.usage = usageFromGemini(response.usageMetadata) ?? this.usage;
    return chunks;
  }

  end(): ChatCompletionChunk[] {
    if (![...this.choices.values()].some((state) => state.finished)) throw new UpstreamConnectionError('The upstream stream ended before it was complete.');
    return this.usage === null ? [] : [usageChunkOf(this.identity, this.usage)];
  }

  private stateOf(index: number): ChoiceState {
    let state = this.choices.get(index);
    if (state === undefined) {
      state = { roleSent: false, nextToolIndex: 0, finished: false };
      this.choices.set(index, state);
    }
    return state;
  }

  private emit(chunks: ChatCompletionChunk[], index: number, state: ChoiceState, delta: ChunkDelta, finishReason: string | null = null): void {
    if (!state.roleSent) {
      state.roleSent = true;
      chunks.push(chunkOf(this.identity, [deltaChoice(index, { role: 'assistant', content: '' })]));
    }
    chunks.push(chunkOf(this.identity, [deltaChoice(index, delta, finishReason)]));
  }
}
