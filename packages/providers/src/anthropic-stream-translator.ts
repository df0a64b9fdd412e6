import type { ChatCompletionChunk, ChunkDelta } from '@saas-llm/protocol';
import type { ResponseTool } from './anthropic-request.ts';
import { completionIdOf, errorFromAnthropicEvent, finishReasonOf, usageFromAnthropic } from './anthropic-response.ts';
import type { SseEvent } from './sse-decoder.ts';
import { chunkOf, deltaChoice, parseEventPayload, usageChunkOf, type ChunkIdentity, type StreamTranslator } from './translated-sse-stream.ts';
import { UpstreamConnectionError } from './upstream-error.ts';
import type { RedactionContext } from './upstream-error-mapping.ts';

/** What one Anthropic content block (by its `index`) becomes in the OpenAI stream. */
type BlockRole =
  | { kind: 'text' }
  | { kind: 'tool'; toolIndex: number; sawArguments: boolean }
  | { kind: 'answer'; unwrap: WrappedAnswer | null }
  | { kind: 'skip' };

/**
 * Anthropic Messages stream events → OpenAI chunks: `text_delta`s become content deltas; each
 * `tool_use` block becomes a tool call with OpenAI's own `index` (counting tool calls only, from 0),
 * its id and name in the first delta and `input_json_delta`s as argument fragments; the emulated
 * response tool's `input_json_delta`s become content deltas; `message_delta` gives the finish reason
 * and usage; `message_stop` ends the answer with the usage chunk. Pings and unknown events (Anthropic
 * may add some) are ignored; `error` events are thrown.
 */
export class AnthropicStreamTranslator implements StreamTranslator {
  complete = false;
  private readonly identity: ChunkIdentity;
  private roleSent = false;
  private readonly blocks = new Map<number, BlockRole>();
  private nextToolIndex = 0;
  private usage: Record<string, unknown> | null = null;
  private calledTenantTool = false;

  constructor(private readonly responseTool: ResponseTool | null, private readonly redaction: RedactionContext, model: string, created = Math.floor(Date.now() / 1000)) {
    this.identity = { id: completionIdOf(null), created, model };
  }

  push(event: SseEvent): ChatCompletionChunk[] {
    if (event.event === 'error') throw errorFromAnthropicEvent(event.text, this.redaction);
    const payload = parseEventPayload(event);
    const chunks: ChatCompletionChunk[] = [];
    switch (payload.type ?? event.event) {
      case 'message_start': {
        const message = (payload.message ?? {}) as Record<string, unknown>;
        this.identity.id = completionIdOf(message.id);
        if (typeof message.model === 'string') this.identity.model = message.model;
        this.mergeUsage(message.usage);
        break;
      }
      case 'content_block_start':
        this.startBlock(Number(payload.index), (payload.content_block ?? {}) as Record<string, unknown>, chunks);
        break;
      case 'content_block_delta':
        this.continueBlock(Number(payload.index), (payload.delta ?? {}) as Record<string, unknown>, chunks);
        break;
      case 'content_block_stop':
        this.stopBlock(Number(payload.index), chunks);
        break;
      case 'message_delta': {
        this.mergeUsage(payload.usage);
        const stopReason = (payload.delta as { stop_reason?: unknown } | undefined)?.stop_reason;
        if (stopReason !== undefined && stopReason !== null) this.emit(chunks, {}, finishReasonOf(stopReason, this.calledTenantTool));
        break;
      }
      case 'message_stop': {
        this.complete = true;
        const usage = usageFromAnthropic(this.usage);
        if (usage !== null) chunks.push(usageChunkOf(this.identity, usage));
        break;
      }
      case 'error':
        throw errorFromAnthropicEvent(event.text, this.redaction);
      default: // ping, and event types added later
        break;
    }
    return chunks;
  }

  end(): ChatCompletionChunk[] {
    if (!this.complete) throw new UpstreamConnectionError('The upstream stream ended before it was complete.');
    return [];
  }

  /** Usage fields are cumulative: later events overwrite earlier counts. */
  private mergeUsage(usage: unknown): void {
    if (typeof usage !== 'object' || usage === null) return;
    const known = Object.entries(usage).filter(([, value]) => value !== null && value !== undefined);
    this.usage = { ...this.usage, ...Object.fromEntries(known) };
  }

  private emit(chunks: ChatCompletionChunk[], delta: ChunkDelta, finishReason: string | null = null): void {
    if (!this.roleSent) {
      this.roleSent = true;
      chunks.push(chunkOf(this.identity, [deltaChoice(0, { role: 'assistant', content: '' })]));
    }
    chunks.push(chunkOf(this.identity, [deltaChoice(0, delta, finishReason)]));
  }

  private startBlock(index: number, block: Record<string, unknown>, chunks: ChatCompletionChunk[]): void {
    const answerOnly = this.responseTool?.exclusive === true;
    if (block.type === 'text') {
      // With the response tool forced, text is not the answer (the tool's input is).
      this.blocks.set(index, answerOnly ? { kind: 'skip' } : { kind: 'text' });
      if (!answerOnly && typeof block.text === 'string' && block.text.length > 0) this.emit(chunks, { content: block.text });
    } else if (block.type === 'tool_use' && this.responseTool !== null && block.name === this.responseTool.name) {
      this.blocks.set(index, { kind: 'answer', unwrap: this.responseTool.wrapped ? new WrappedAnswer() : null });
    } else if (block.type === 'tool_use') {
      const toolIndex = this.nextToolIndex++;
      this.calledTenantTool = true;
      this.blocks.set(index, { kind: 'tool', toolIndex, sawArguments: false });
      this.emit(chunks, { tool_calls: [{ index: toolIndex, id: String(block.id), type: 'function', function: { name: String(block.name), arguments: '' } }] });
    } else {
      this.blocks.set(index, { kind: 'skip' }); // thinking, redacted_thinking, server tools
    }
  }

  private continueBlock(index: number, delta: Record<string, unknown>, chunks: ChatCompletionChunk[]): void {
    const role = this.blocks.get(index);
    if (role === undefined || role.kind === 'skip') return;
    if (role.kind === 'text' && delta.type === 'text_delta' && typeof delta.text === 'string' && delta.text.length > 0) {
      this.emit(chunks, { content: delta.text });
    } else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && delta.partial_json.length > 0) {
      if (role.kind === 'tool') {
        role.sawArguments = true;
        this.emit(chunks, { tool_calls: [{ index: role.toolIndex, function: { arguments: delta.partial_json } }] });
      } else if (role.kind === 'answer') {
        const text = role.unwrap === null ? delta.partial_json : role.unwrap.push(delta.partial_json);
        if (text.length > 0) this.emit(chunks, { content: text });
      }
    }
  }

  private stopBlock(index: number, chunks: ChatCompletionChunk[]): void {
    const role = this.blocks.get(index);
    // A call without arguments streams no fragment; OpenAI would still have sent "{}".
    if (role?.kind === 'tool' && !role.sawArguments) this.emit(chunks, { tool_calls: [{ index: role.toolIndex, function: { arguments: '{}' } }] });
    if (role?.kind === 'answer' && role.unwrap !== null) {
      const rest = role.unwrap.end();
      if (rest.length > 0) this.emit(chunks, { content: rest });
    }
  }
}

const WRAPPER_HEAD = '{"value":';

/**
 * Streams `value` out of `{"value": …}` arriving as JSON fragments (the wrapped response tool): the head
 * is skipped once recognised, and trailing `}`/whitespace is held back until more text shows it is not
 * the wrapper's closing brace. A model that writes the object differently gets its value at the end.
 */
class WrappedAnswer {
  private head = '';
  private mode: 'head' | 'body' | 'whole' = 'head';
  private tail = '';
  private whole = '';

  push(fragment: string): string {
    this.whole += fragment;
    if (this.mode === 'whole') return '';
    if (this.mode === 'head') {
      this.head += fragment;
      const compact = this.head.replace(/\s+/g, '');
      if (WRAPPER_HEAD.startsWith(compact)) return '';
      const match = /^\s*\{\s*"value"\s*:\s*/.exec(this.head);
      if (match === null) {
        this.mode = 'whole';
        return '';
      }
      this.mode = 'body';
      fragment = this.head.slice(match[0].length);
    }
    const text = this.tail + fragment;
    const split = text.search(/[\s}]*$/);
    this.tail = text.slice(split);
    return text.slice(0, split);
  }

  end(): string {
    if (this.mode === 'body') return this.tail.replace(/\s*\}\s*$/, '');
    try {
      const parsed = JSON.parse(this.whole) as { value?: unknown };
      return JSON.stringify(parsed.value ?? parsed);
    } catch (error) {
      void error; // not JSON at all: the tenant gets what the model wrote, and validation will say why
      return this.whole;
    }
  }
}
