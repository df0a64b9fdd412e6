import { z } from 'zod';

/** The OpenAI `POST /v1/embeddings` body; unknown parameters pass through untouched. */
export const embeddingsRequestSchema = z.looseObject({
  model: z.string().min(1).max(256),
  // A string, a list of strings, or token ids (a list of integers, or a list of such lists).
  input: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number().int()).min(1), z.array(z.array(z.number().int()).min(1)).min(1)]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.number().int().min(1).max(65536).nullish(),
  user: z.string().nullish(),
});
export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

/** The embeddings answer: one vector (or base64 of little-endian float32s) per input, in input order. */
export const embeddingsResponseSchema = z.looseObject({
  object: z.literal('list'),
  data: z.array(z.looseObject({ object: z.literal('embedding'), index: z.number().int().min(0), embedding: z.union([z.array(z.number()), z.string()]) })),
  model: z.string(),
  usage: z.looseObject({ prompt_tokens: z.number().int().min(0), total_tokens: z.number().int().min(0) }),
});
export type EmbeddingsResponse = z.infer<typeof embeddingsResponseSchema>;
