import { z } from 'zod';
import { metadataSchema } from './common.ts';

/*
 * The OpenAI chat-completions request, as tenants' SDKs (openai, Instructor, LangChain, the Vercel AI
 * SDK, the seed's httpx client) send it. Every object is loose: fields we do not model travel through
 * untouched, because OpenAI adds parameters faster than any gateway can list them. What we do model is
 * checked, so a malformed body is a 400 whose zod path names the field (e.g. `messages.2.tool_call_id`).
 * Optional parameters accept `null` as "not given": several SDKs serialise unset fields that way.
 */

// ---------- message content ----------

export const textPartSchema = z.looseObject({ type: z.literal('text'), text: z.string() });
export const imagePartSchema = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).nullish() }),
});
export const audioPartSchema = z.looseObject({
  type: z.literal('input_audio'),
  input_audio: z.looseObject({ data: z.string(), format: z.string().min(1) }),
});
export const filePartSchema = z.looseObject({
  type: z.literal('file'),
  file: z.looseObject({ file_data: z.string().nullish(), file_id: z.string().nullish(), filename: z.string().nullish() }),
});
export const refusalPartSchema = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });

/** One part of a multi-part message content (`[{type: "text", …}, {type: "image_url", …}]`). */
export const contentPartSchema = z.discriminatedUnion('type', [textPartSchema, imagePartSchema, audioPartSchema, filePartSchema, refusalPartSchema]);
export type ContentPart = z.infer<typeof contentPartSchema>;

const textContent = z.union([z.string(), z.array(textPartSchema)]);

// ---------- messages ----------

/** An assistant's call of a function tool, as it appears in responses and in replayed history. */
export const toolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

export const systemMessageSchema = z.looseObject({ role: z.literal('system'), content: textContent, name: z.string().nullish() });
export const developerMessageSchema = z.looseObject({ role: z.literal('developer'), content: textContent, name: z.string().nullish() });
export const userMessageSchema = z.looseObject({ role: z.literal('user'), content: z.union([z.string(), z.array(contentPartSchema)]), name: z.string().nullish() });
export const assistantMessageSchema = z.looseObject({
  role: z.literal('assistant'),
  // Optional and nullable: an assistant turn that only called tools has no content.
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textPartSchema, refusalPartSchema]))]).nullish(),
  refusal: z.string().nullish(),
  name: z.string().nullish(),
  tool_calls: z.array(toolCallSchema).nullish(),
  function_call: z.looseObject({ name: z.string(), arguments: z.string() }).nullish(),
  audio: z.looseObject({ id: z.string() }).nullish(),
});
export const toolMessageSchema = z.looseObject({ role: z.literal('tool'), content: textContent, tool_call_id: z.string().min(1) });
/** Deprecated by OpenAI but still sent by old clients. */
export const functionMessageSchema = z.looseObject({ role: z.literal('function'), content: z.string().nullable(), name: z.string().min(1) });

/** One message of the conversation; the `role` decides which fields are checked. */
export const chatMessageSchema = z.discriminatedUnion('role', [
  systemMessageSchema, developerMessageSchema, userMessageSchema, assistantMessageSchema, toolMessageSchema, functionMessageSchema,
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

// ---------- tools and output formats ----------

/** A JSON Schema document; kept as an open object because providers differ in the dialect they accept. */
export const jsonSchemaObjectSchema = z.record(z.string(), z.unknown());
export type JsonSchemaObject = z.infer<typeof jsonSchemaObjectSchema>;

export const functionDefinitionSchema = z.looseObject({
  name: z.string().min(1).max(256),
  description: z.string().nullish(),
  parameters: jsonSchemaObjectSchema.nullish(),
  strict: z.boolean().nullish(),
});
export const functionToolSchema = z.looseObject({ type: z.literal('function'), function: functionDefinitionSchema });
/** OpenAI's free-form "custom" tools: passed through to upstreams that know them. */
export const customToolSchema = z.looseObject({ type: z.literal('custom'), custom: z.looseObject({ name: z.string().min(1) }) });
export const toolSchema = z.discriminatedUnion('type', [functionToolSchema, customToolSchema]);
export type Tool = z.infer<typeof toolSchema>;
export type FunctionTool = z.infer<typeof functionToolSchema>;

/** `"none" | "auto" | "required"`, or a named function (`{type: "function", function: {name}}`), or a newer object form. */
export const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string().min(1) }) }),
  z.looseObject({ type: z.enum(['allowed_tools', 'custom']) }),
]);
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

export const jsonSchemaFormatSchema = z.looseObject({
  name: z.string().min(1).max(256),
  description: z.string().nullish(),
  schema: jsonSchemaObjectSchema.nullish(),
  strict: z.boolean().nullish(),
});
/** `text`, `json_object`, or `json_schema` with `{name, schema, strict, description}`. */
export const responseFormatSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({ type: z.literal('json_schema'), json_schema: jsonSchemaFormatSchema }),
]);
export type ResponseFormat = z.infer<typeof responseFormatSchema>;
export type JsonSchemaFormat = z.infer<typeof jsonSchemaFormatSchema>;

export const streamOptionsSchema = z.looseObject({ include_usage: z.boolean().nullish() });

// ---------- the request ----------

/**
 * The OpenAI `POST /v1/chat/completions` body. Unknown top-level parameters pass through untouched
 * (the gateway forwards them to OpenAI-format upstreams and drops them for the others).
 */
export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1).max(256),
  messages: z.array(chatMessageSchema).min(1),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  response_format: responseFormatSchema.nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  seed: z.number().int().nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  user: z.string().nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullish(),
  // A string rather than an enum: OpenAI keeps adding levels ("minimal", "none", "xhigh", …).
  reasoning_effort: z.string().min(1).max(32).nullish(),
  stream: z.boolean().nullish(),
  stream_options: streamOptionsSchema.nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

/** The gateway's own fields of an llm-call body; they are never forwarded upstream. */
export const GATEWAY_CALL_FIELDS = ['model_group', 'purpose', 'call_metadata', 'validate'] as const;

/** `validate: true` or `{max_retries}`: check the structured output against its schema and re-ask on failure. */
export const validateOptionSchema = z.union([z.boolean(), z.strictObject({ max_retries: z.number().int().min(0).max(10) })]);
export type ValidateOption = z.infer<typeof validateOptionSchema>;

/**
 * The body of `POST /api/jobs/{id}/llm-call` (and `-stream`): the OpenAI request with the model named by
 * `model` or `model_group` (both mean the model-group or alias name), plus the gateway fields.
 */
export const llmCallRequestSchema = chatCompletionRequestSchema
  .extend({
    model: z.string().min(1).max(256).optional(),
    model_group: z.string().min(1).max(256).optional(),
    purpose: z.string().max(200).nullish(),
    call_metadata: metadataSchema.nullish(),
    validate: validateOptionSchema.nullish(),
  })
  .superRefine((body, ctx) => {
    if (body.model === undefined && body.model_group === undefined) {
      ctx.addIssue({ code: 'custom', path: ['model_group'], message: 'one of "model_group" or "model" is required' });
    }
  });
export type LlmCallRequest = z.infer<typeof llmCallRequestSchema>;

/** The name a call asks for: `model_group` wins over `model` when both are given. */
export function requestedModelName(body: Pick<LlmCallRequest, 'model' | 'model_group'>): string {
  return (body.model_group ?? body.model)!;
}
