import type { ChatCompletionChunk, ChatUsage } from '@saas-llm/protocol';
import type { StreamEvent } from './provider-adapter.ts';
import { UpstreamProtocolError } from './upstream-error.ts';
import { readUsage } from './usage.ts';

const DATA_PREFIX = Buffer.from('data: ');
const FRAME_END = Buffer.from('\n\n');

/**
 * The `StreamEvent` of every adapter: built from the payload bytes of an upstream frame (OpenAI-format
 * upstreams) or from a chunk object the adapter produced (translated or mock streams). Parsing and frame
 * assembly happen on first access only, so a gateway that forwards bytes and reads usage from the last
 * chunk pays for nothing else.
 */
export class ChunkEvent implements StreamEvent {
  private parsed: ChatCompletionChunk | null;
  private frame: Buffer | null = null;

  constructor(readonly data: Buffer, chunk: ChatCompletionChunk | null = null) {
    this.parsed = chunk;
  }

  /** An event for a chunk the adapter built itself (serialised once, here). */
  static fromChunk(chunk: ChatCompletionChunk): ChunkEvent {
    return new ChunkEvent(Buffer.from(JSON.stringify(chunk)), chunk);
  }

  get raw(): Buffer {
    this.frame ??= Buffer.concat([DATA_PREFIX, this.data, FRAME_END]);
    return this.frame;
  }

  get chunk(): ChatCompletionChunk {
    if (this.parsed === null) {
      let value: unknown;
      try {
        value = JSON.parse(this.data.toString('utf8'));
      } catch (error) {
        throw new UpstreamProtocolError('The upstream sent a stream event that is not valid JSON.', { cause: error });
      }
      const record = value as Record<string, unknown> | null;
      if (typeof record !== 'object' || record === null || !(Array.isArray(record.choices) || record.choices === undefined || record.choices === null)) {
        throw new UpstreamProtocolError('The upstream sent a stream event that is not a chat.completion.chunk.');
      }
      // Some compatibles (vLLM) end with a usage-only chunk whose `choices` is null or absent.
      if (!Array.isArray(record.choices)) record.choices = [];
      this.parsed = record as ChatCompletionChunk;
    }
    return this.parsed;
  }

  get usage(): ChatUsage | null {
    return readUsage(this.chunk);
  }

  get text(): string {
    let text = '';
    for (const choice of this.chunk.choices) {
      const delta = choice.delta;
      if (!delta) continue;
      if (typeof delta.content === 'string') text += delta.content;
      if (typeof delta.refusal === 'string') text += delta.refusal;
      for (const call of delta.tool_calls ?? []) {
        if (typeof call.function?.name === 'string') text += call.function.name;
        if (typeof call.function?.arguments === 'string') text += call.function.arguments;
      }
    }
    return text;
  }

  get finishReason(): string | null {
    for (const choice of this.chunk.choices) {
      if (typeof choice.finish_reason === 'string') return choice.finish_reason;
    }
    return null;
  }

  withModel(model: string): Buffer {
    const current = this.parsed?.model ?? modelFieldGuess(this.data);
    if (current !== null) {
      const needle = Buffer.from(`"model":${JSON.stringify(current)}`);
      const at = this.data.indexOf(needle);
      // Splice only when the field occurs once: a second match could sit inside generated content.
      if (at !== -1 && this.data.indexOf(needle, at + needle.length) === -1) {
        return Buffer.concat([DATA_PREFIX, this.data.subarray(0, at), Buffer.from(`"model":${JSON.stringify(model)}`), this.data.subarray(at + needle.length), FRAME_END]);
      }
    }
    return Buffer.concat([DATA_PREFIX, Buffer.from(JSON.stringify({ ...this.chunk, model })), FRAME_END]);
  }
}

/**
 * The model id from the first `"model":"…"` in the payload, without parsing the whole chunk. Inside JSON
 * string values quotes are escaped, so the pattern can only match a key named `model`; chunks have no
 * such key but the top-level one.
 */
function modelFieldGuess(data: Buffer): string | null {
  const head = data.subarray(0, 512).toString('utf8');
  const match = /"model":("(?:[^"\\]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*")/.exec(head);
  return match ? (JSON.parse(match[1]!) as string) : null;
}
