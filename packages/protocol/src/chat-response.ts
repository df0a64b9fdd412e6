import { z } from 'zod';
import { toolCallSchema } from './chat.ts';

/*
 * What OpenAI-format upstreams answer, and what the gateway answers tenants: the `chat.completion`
 * object, the `chat.completion.chunk` of a stream, and usage. Loose objects, so provider extras
 * (logprobs, annotations, audio, system_fingerprint, service_tier, …) pass through in OpenAI form.
 */

/** Token usage; `prompt_tokens_details.cached_tokens` is priced at the cached-input price when present. */
export const chatUsageSchema = z.looseObject({
  prompt_tokens: z.number().int().min(0),
  completion_tokens: z.number().int().min(0),
  total_tokens: z.number().int().min(0),
  prompt_tokens_details: z.looseObject({ cached_tokens: z.number().int().min(0).nullish(), audio_tokens: z.number().int().min(0).nullish() }).nullish(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: z.number().int().min(0).nullish() }).nullish(),
});
export type ChatUsage = z.infer<typeof chatUsageSchema>;

/** Why a choice ended. Kept open: providers report a few more (e.g. `function_call`, `content_filter`). */
export const finishReasonSchema = z.string();
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | (string & {});

export const assistantResponseMessageSchema = z.looseObject({
  role: z.literal('assistant'),
  content: z.string().nullable(),
  refusal: z.string().nullish(),
  tool_calls: z.array(toolCallSchema).nullish(),
});
export type AssistantResponseMessage = z.infer<typeof assistantResponseMessageSchema>;

export const chatChoiceSchema = z.looseObject({
  index: z.number().int().min(0),
  message: assistantResponseMessageSchema,
  finish_reason: finishReasonSchema.nullable(),
  logprobs: z.unknown().optional(),
});
export type ChatChoice = z.infer<typeof chatChoiceSchema>;

/** The non-streaming answer (`object: "chat.completion"`). */
export const chatCompletionSchema = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(chatChoiceSchema),
  usage: chatUsageSchema.nullish(),
  system_fingerprint: z.string().nullish(),
  service_tier: z.string().nullish(),
});
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;

/** A tool-call fragment of a stream: `index` says which call it extends; `id` and `name` come once. */
export const toolCallDeltaSchema = z.looseObject({
  index: z.number().int().min(0),
  id: z.string().nullish(),
  type: z.literal('function').nullish(),
  function: z.looseObject({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});
export type ToolCallDelta = z.infer<typeof toolCallDeltaSchema>;

export const chunkDeltaSchema = z.looseObject({
  role: z.literal('assistant').nullish(),
  content: z.string().nullish(),
  refusal: z.string().nullish(),
  tool_calls: z.array(toolCallDeltaSchema).nullish(),
});
export type ChunkDelta = z.infer<typeof chunkDeltaSchema>;

export const chunkChoiceSchema = z.looseObject({
  index: z.number().int().min(0),
  delta: chunkDeltaSchema,
  finish_reason: finishReasonSchema.nullish(),
  logprobs: z.unknown().optional(),
});
export type ChunkChoice = z.infer<typeof chunkChoiceSchema>;

/**
 * One streamed frame (`object: "chat.completion.chunk"`). With `stream_options.include_usage` the last
 * frame before `[DONE]` has `choices: []` and `usage`; the others carry `usage: null`.
 */
export const chatCompletionChunkSchema = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(chunkChoiceSchema),
  usage: chatUsageSchema.nullish(),
  system_fingerprint: z.string().nullish(),
  service_tier: z.string().nullish(),
});
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;

/** OpenAI's error body (`{"error": {message, type, param, code}}`), as upstreams send it. */
export const openAIErrorBodySchema = z.looseObject({
  error: z.looseObject({
    message: z.string(),
    type: z.string().nullish(),
    param: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
  }),
});
export type OpenAIErrorBody = z.infer<typeof openAIErrorBodySchema>;

/** `GET /v1/models`: `{object: "list", data: [{id, object: "model", created, owned_by}]}`. */
export const modelListSchema = z.looseObject({
  object: z.literal('list'),
  data: z.array(z.looseObject({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() })),
});
export type ModelList = z.infer<typeof modelListSchema>;
