import { createHash } from 'node:crypto';

/*
 * Bodies shaped exactly like OpenAI's documented answers (chat.completion, chat.completion.chunk, usage
 * with its details, embeddings, model list, error), for the fake OpenAI server.
 */

/** The tool call a scripted reply answers with. */
export interface FakeToolCall {
  name: string;
  /** JSON text of the arguments. */
  arguments: string;
}

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: { reasoning_tokens: number; audio_tokens: number; accepted_prediction_tokens: number; rejected_prediction_tokens: number };
}

/** OpenAI-like usage: prompt ≈ request JSON length / 4, completion = the pieces streamed. */
export function fakeUsage(requestBody: unknown, completionPieces: number, cachedTokens = 0): FakeUsage {
  const messages = (requestBody as { messages?: unknown } | null)?.messages;
  const prompt = Math.max(1, Math.ceil(JSON.stringify(messages ?? '').length / 4));
  return {
    prompt_tokens: prompt,
    completion_tokens: completionPieces,
    total_tokens: prompt + completionPieces,
    prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** Text cut into word pieces (each keeps its trailing space), as the fake streams it. */
export function textPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export interface CompletionShape {
  id: string;
  created: number;
  model: string;
}

export function chatCompletionBody(shape: CompletionShape, content: string, toolCall: FakeToolCall | null, usage: FakeUsage | null): Record<string, unknown> {
  const message = toolCall === null
    ? { role: 'assistant', content, refusal: null, annotations: [] }
    : { role: 'assistant', content: null, refusal: null, annotations: [], tool_calls: [{ id: `call_${shape.id.slice(-12)}`, type: 'function', function: toolCall }] };
  const body: Record<string, unknown> = {
    id: shape.id,
    object: 'chat.completion',
    created: shape.created,
    model: shape.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toolCall === null ? 'stop' : 'tool_calls' }],
    service_tier: 'default',
    system_fingerprint: 'fp_fake0001',
  };
  if (usage !== null) body.usage = usage;
  return body;
}

/**
 * The `data:` payloads of a stream, without `[DONE]`: role chunk, content (or tool-call argument)
 * pieces, the finish chunk, and the usage chunk (`choices: []`) when `includeUsage`. With
 * `include_usage`, OpenAI sets `usage: null` on every other chunk; so does this.
 */
export function chatChunkBodies(shape: CompletionShape, content: string, toolCall: FakeToolCall | null, usage: FakeUsage | null, includeUsage: boolean): Record<string, unknown>[] {
  const chunk = (choices: unknown[], chunkUsage?: FakeUsage): Record<string, unknown> => {
    const body: Record<string, unknown> = {
      id: shape.id, object: 'chat.completion.chunk', created: shape.created, model: shape.model, service_tier: 'default', system_fingerprint: 'fp_fake0001', choices,
    };
    if (includeUsage) body.usage = chunkUsage ?? null;
    return body;
  };
  const choice = (delta: Record<string, unknown>, finishReason: string | null = null): unknown => ({ index: 0, delta, logprobs: null, finish_reason: finishReason });
  const bodies: Record<string, unknown>[] = [];
  if (toolCall === null) {
    bodies.push(chunk([choice({ role: 'assistant', content: '', refusal: null })]));
    for (const piece of textPieces(content)) bodies.push(chunk([choice({ content: piece })]));
    bodies.push(chunk([choice({}, 'stop')]));
  } else {
    const id = `call_${shape.id.slice(-12)}`;
    bodies.push(chunk([choice({ role: 'assistant', content: null, tool_calls: [{ index: 0, id, type: 'function', function: { name: toolCall.name, arguments: '' } }], refusal: null })]));
    for (const piece of argumentPieces(toolCall.arguments)) bodies.push(chunk([choice({ tool_calls: [{ index: 0, function: { arguments: piece } }] })]));
    bodies.push(chunk([choice({}, 'tool_calls')]));
  }
  if (includeUsage && usage !== null) bodies.push(chunk([], usage));
  return bodies;
}

/** Tool-call arguments in small fragments, the way OpenAI streams them. */
export function argumentPieces(text: string): string[] {
  const pieces: string[] = [];
  for (let index = 0; index < text.length; index += 8) pieces.push(text.slice(index, index + 8));
  return pieces;
}

/** OpenAI's error body. */
export function errorBody(message: string, type: string, code: string | null, param: string | null = null): Record<string, unknown> {
  return { error: { message, type, param, code } };
}

/** A deterministic embedding per input (unit length). */
export function embeddingVector(model: string, input: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${model}|${input}|${block}`).digest();
    for (let offset = 0; offset + 2 <= digest.length && values.length < dimensions; offset += 2) values.push(digest.readUInt16LE(offset) / 32768 - 1);
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((value) => value / norm);
}

/** `/v1/embeddings` answer for a request body. */
export function embeddingsBody(requestBody: Record<string, unknown>, defaultDimensions: number): Record<string, unknown> {
  const model = String(requestBody.model ?? 'text-embedding-3-small');
  const raw = requestBody.input;
  const inputs = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))) : [];
  const dimensions = typeof requestBody.dimensions === 'number' ? requestBody.dimensions : defaultDimensions;
  const data = inputs.map((input, index) => {
    const vector = embeddingVector(model, input, dimensions);
    const embedding = requestBody.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = inputs.reduce((sum, input) => sum + Math.max(1, Math.ceil(input.length / 4)), 0);
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

/** `/v1/models` answer. */
export function modelsBody(models: readonly string[]): Record<string, unknown> {
  return { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'openai' })) };
}
