import type { z } from 'zod';
import { fastParseJobCallParams, fastParseJobIdParams, fastParseLlmCall, jobCallParamsSchema, jobIdParamsSchema, llmCallRequestSchema } from '@saas-llm/protocol';
import { DomainError } from '../domain/errors.ts';

/**
 * Shortcuts past a schema for its common inputs: each returns exactly what the schema would, or undefined
 * to leave the input (and its error message) to the schema. The llm-call body and its path are the per-call hot path.
 */
const FAST_PARSERS = new Map<z.ZodType, (value: unknown) => unknown>([
  [llmCallRequestSchema, fastParseLlmCall],
  [jobIdParamsSchema, fastParseJobIdParams],
  [jobCallParamsSchema, fastParseJobCallParams],
]);

/** Parses `value` with `schema`; a failure is a 400 `invalid_request` whose message names the field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path' | 'header'): z.infer<S> {
  const fast = FAST_PARSERS.get(schema)?.(value);
  if (fast !== undefined) return fast as z.infer<S>;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : where;
  let message = issue.message;
  if (issue.code === 'invalid_type' && value === undefined && where === 'body') message = 'a JSON body is required';
  else if (issue.code === 'unrecognized_keys') message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `'${key}'`).join(', ')}`;
  throw new DomainError('invalid_request', `Invalid ${where} field '${field}': ${message}`, field);
}
