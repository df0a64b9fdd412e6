import { z } from 'zod';
import type { ChatMessage, ResponseFormat } from '@saas-llm/protocol';
import { SaaSLLMError } from './errors.ts';
import type { ChatParams } from './client-types.ts';
import type { DeepPartial } from './partial-json.ts';

/*
 * Instructor-style structured outputs: a zod schema becomes the `json_schema` response format, the
 * answer is validated with the same schema, and a failed validation is sent back to the model as a
 * follow-up turn ("re-ask") so it can correct itself. Each attempt is an ordinary call of the job, so
 * every attempt is metered and billed like any other call.
 */

/** Options of `structuredOutput` / `structuredOutputStream` besides the chat parameters. */
export interface StructuredOutputOptions<Schema extends z.ZodType> {
  /** The zod (v4) schema of the answer; the result is `z.output<Schema>`. */
  responseModel: Schema;
  /**
   * The `json_schema.name` sent to the model (letters, digits, `_`, `-`). Defaults to the schema's
   * `title` (`.meta({ title: 'Person' })`), else `response`.
   */
  name?: string;
  /** `json_schema.strict`. Default true, as the seed client sent; the gateway adapts it per provider. */
  strict?: boolean;
  /** Re-asks after a failed validation (so `maxRetries + 1` calls at most). Default 2. */
  maxRetries?: number;
}

/** The chat parameters of a structured call: everything but `response_format`, which the schema decides. */
export type StructuredOutputParams<Schema extends z.ZodType> = ChatParams & StructuredOutputOptions<Schema>;

/** What `structuredOutputStream` yields. */
export type StructuredStreamEvent<T> =
  /**
   * One per content chunk: `delta` is the JSON text the chunk added, `partial` the object parsed from
   * all the text so far (undefined until its opening `{` arrives; unfinished numbers and keys left out).
   */
  | { type: 'partial'; partial: DeepPartial<T> | undefined; delta: string; attempt: number }
  /** The answer failed validation and the model is being re-asked; partial objects start over. */
  | { type: 'retry'; attempt: number; issues: string[]; content: string }
  /** The validated answer; `callId` is the call that produced it. */
  | { type: 'final'; value: T; attempt: number; callId: string | null };

/**
 * Thrown when every attempt's answer failed validation (or was refused). `attempts` holds what each
 * attempt answered and why it was rejected; every attempt was a call of the job and was billed.
 */
export class StructuredOutputError extends SaaSLLMError {
  readonly attempts: ReadonlyArray<{ content: string; issues: string[]; callId: string | null }>;

  constructor(message: string, attempts: StructuredOutputError['attempts']) {
    super(message, { code: 'structured_output_invalid' });
    this.attempts = attempts;
  }
}

const NAME_PATTERN = /[^a-zA-Z0-9_-]/g;

/** The `response_format` of a schema: its JSON Schema (as the model's input, so defaults stay optional). */
export function responseFormatFor(schema: z.ZodType, options: { name?: string | undefined; strict?: boolean | undefined }): ResponseFormat {
  let jsonSchema: Record<string, unknown>;
  try {
    jsonSchema = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  } catch (error) {
    throw new TypeError(`responseModel cannot be expressed as JSON Schema (${(error as Error).message}); use JSON-representable types.`, { cause: error });
  }
  // `$schema` is noise to providers (and some strict modes reject unknown keywords).
  const { $schema, ...schemaBody } = jsonSchema;
  void $schema;
  const title = typeof schemaBody['title'] === 'string' ? schemaBody['title'] : undefined;
  const name = (options.name ?? title ?? 'response').replace(NAME_PATTERN, '_').slice(0, 64) || 'response';
  return { type: 'json_schema', json_schema: { name, schema: schemaBody, strict: options.strict ?? true } };
}

/** The outcome of checking one answer. */
export type Validation<T> = { ok: true; value: T } | { ok: false; issues: string[] };

/**
 * Parses `content` as JSON (tolerating a ```json fence around it, which models add) and validates it
 * with `schema`. Failures come back as human-readable issues naming the field, ready for a re-ask.
 */
export function validateAnswer<Schema extends z.ZodType>(schema: Schema, content: string | null | undefined): Validation<z.output<Schema>> {
  if (content === null || content === undefined || content.trim() === '') return { ok: false, issues: ['The answer was empty; a JSON object was expected.'] };
  let value: unknown;
  try {
    value = JSON.parse(stripFence(content));
  } catch (error) {
    return { ok: false, issues: [`The answer is not valid JSON: ${(error as Error).message}`] };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`),
  };
}

/** The messages of the next attempt: the conversation, the rejected answer, and what was wrong with it. */
export function reaskMessages(messages: ChatMessage[], rejected: string, issues: string[]): ChatMessage[] {
  return [
    ...messages,
    { role: 'assistant', content: rejected },
    {
      role: 'user',
      content: `Your answer did not match the required JSON schema:\n${issues.map((issue) => `- ${issue}`).join('\n')}\n`
        + 'Reply again with only the corrected JSON object.',
    },
  ];
}

function stripFence(content: string): string {
  const fenced = /^\s*```(?:json)?\s*\n?([\s\S]*?)\n?\s*```\s*$/i.exec(content);
  return fenced ? fenced[1]! : content;
}

/** Takes the structured-output options off the parameters, leaving the body of the call. */
export function splitStructuredParams<Schema extends z.ZodType>(params: StructuredOutputParams<Schema>): {
  options: StructuredOutputOptions<Schema>;
  chat: ChatParams;
} {
  const { responseModel, name, strict, maxRetries, ...chat } = params;
  const options: StructuredOutputOptions<Schema> = { responseModel };
  if (name !== undefined) options.name = name;
  if (strict !== undefined) options.strict = strict;
  if (maxRetries !== undefined) options.maxRetries = maxRetries;
  return { options, chat: chat as ChatParams };
}
