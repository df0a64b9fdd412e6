import type { ChatCompletionRequest } from '@saas-llm/protocol';

/*
 * The mock's token model, deterministic and dependency-free: a word with its surrounding whitespace is
 * one token when it has at most 5 characters, and is cut into 4-character tokens otherwise (≈ the
 * "4 characters per token" rule of thumb for English). Streaming, `max_tokens` truncation and reported usage all use
 * the same pieces, so a client that counts chunks sees exactly `completion_tokens`.
 */

const CHARS_PER_TOKEN = 4;
/** Tokens added per message for the role and separators, as OpenAI's chat format does (~3). */
const MESSAGE_OVERHEAD_TOKENS = 3;

/** The text as mock tokens; joining them gives the text back. */
export function mockTokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const word of text.match(/\s*\S+\s*|\s+/g) ?? []) {
    const chars = Array.from(word);
    if (chars.length <= CHARS_PER_TOKEN + 1) {
      tokens.push(word);
      continue;
    }
    for (let index = 0; index < chars.length; index += CHARS_PER_TOKEN) tokens.push(chars.slice(index, index + CHARS_PER_TOKEN).join(''));
  }
  return tokens;
}

/** Tokens of a text: ceil(characters / 4), at least 1 for non-empty text. */
export function approximateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(Array.from(text).length / CHARS_PER_TOKEN);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: Record<string, unknown>) => (typeof part?.text === 'string' ? part.text : typeof part?.refusal === 'string' ? part.refusal : '')).join('');
}

/** Prompt tokens of a request: each message's text plus overhead, plus the tool definitions and schema sent. */
export function promptTokens(request: ChatCompletionRequest): number {
  let total = 0;
  for (const message of request.messages) {
    total += MESSAGE_OVERHEAD_TOKENS + approximateTokens(contentText(message.content));
    if (message.role === 'assistant' && message.tool_calls) total += approximateTokens(JSON.stringify(message.tool_calls));
  }
  if (request.tools) total += approximateTokens(JSON.stringify(request.tools));
  if (request.response_format?.type === 'json_schema') total += approximateTokens(JSON.stringify(request.response_format.json_schema));
  return total;
}
