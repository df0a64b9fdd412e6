import type { ChatCompletionRequest } from '@saas-llm/protocol';

type CountTokens = (text: string) => number;

// Per-message framing tokens of OpenAI chat formats (role markers and separators).
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_IMAGE = 765;

/**
 * Token counting for what upstreams don't report: usage of abandoned streams and of upstreams without
 * usage (then marked `estimated`), and the prompt size for context-window filtering and credit holds.
 * The tokenizer (o200k, ~0.5 s to load) is loaded on first exact count only; admission uses the cheap
 * character-based upper estimate so the hot path never waits for it.
 */
export class TokenEstimator {
  private tokenizer: Promise<CountTokens> | null = null;

  /** A fast estimate of prompt tokens from characters (≈ 3 characters per token: errs high on purpose). */
  quickPromptTokens(request: Pick<ChatCompletionRequest, 'messages' | 'tools'>): number {
    let characters = 0;
    let images = 0;
    for (const message of request.messages) {
      const content = (message as { content?: unknown }).content;
      if (typeof content === 'string') characters += content.length;
      else if (Array.isArray(content)) {
        for (const part of content as Array<{ type?: string; text?: string }>) {
          if (part.type === 'text' && typeof part.text === 'string') characters += part.text.length;
          else images += 1;
        }
      }
      const toolCalls = (message as { tool_calls?: unknown }).tool_calls;
      if (toolCalls) characters += JSON.stringify(toolCalls).length;
    }
    if (request.tools) characters += JSON.stringify(request.tools).length;
    return Math.ceil(characters / 3) + request.messages.length * TOKENS_PER_MESSAGE + images * TOKENS_PER_IMAGE + 3;
  }

  /** Exact prompt tokens with the o200k tokenizer. */
  async promptTokens(request: Pick<ChatCompletionRequest, 'messages' | 'tools'>): Promise<number> {
    const count = await this.load();
    let tokens = 3;
    for (const message of request.messages) {
      tokens += TOKENS_PER_MESSAGE;
      const content = (message as { content?: unknown }).content;
      if (typeof content === 'string') tokens += count(content);
      else if (Array.isArray(content)) {
        for (const part of content as Array<{ type?: string; text?: string }>) {
          tokens += part.type === 'text' && typeof part.text === 'string' ? count(part.text) : TOKENS_PER_IMAGE;
        }
      }
      const toolCalls = (message as { tool_calls?: unknown }).tool_calls;
      if (toolCalls) tokens += count(JSON.stringify(toolCalls));
    }
    if (request.tools) tokens += count(JSON.stringify(request.tools));
    return tokens;
  }

  /**
   * Loads the tokenizer now. Parsing its ranks blocks the event loop for ~0.5 s, so the server pays that
   * once at start instead of stalling every connection the first time a disconnected stream is metered.
   */
  async warm(): Promise<void> {
    await this.load();
  }

  /** Exact tokens of generated text. */
  async textTokens(text: string): Promise<number> {
    if (text.length === 0) return 0;
    return (await this.load())(text);
  }

  private load(): Promise<CountTokens> {
    this.tokenizer ??= import('gpt-tokenizer').then((module) => module.countTokens as CountTokens);
    return this.tokenizer;
  }
}
