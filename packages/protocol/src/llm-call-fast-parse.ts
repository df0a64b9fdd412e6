import { llmCallRequestSchema, type LlmCallRequest } from './chat.ts';

/*
 * A shortcut past `llmCallRequestSchema` for the common body (a model name, plain-text messages and simple
 * scalar options), which zod parses at tens of microseconds per call on a busy event loop. It only ever
 * accepts: anything it does not fully recognise returns `undefined` and goes through zod, which also writes
 * every error. What it accepts is exactly what zod would return, key order included (schema order, then
 * unknown keys as sent); the property test in `llm-call-fast-parse.test.ts` holds it to that.
 */

type Check = (value: unknown) => boolean;

const isString: Check = (value) => typeof value === 'string';
const isBoolean: Check = (value) => typeof value === 'boolean';
const stringOfLength = (min: number, max: number): Check => (value) => typeof value === 'string' && value.length >= min && value.length <= max;
const numberIn = (min: number, max: number): Check => (value) => typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
// zod's `.int()` means a safe integer.
const integerIn = (min: number, max: number): Check => (value) => Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const modelName = stringOfLength(1, 256);

/** The scalar fields handled here; each also accepts null (`.nullish()`) unless listed in NOT_NULLABLE. */
const SCALARS: Readonly<Record<string, Check>> = {
  model: modelName,
  model_group: modelName,
  temperature: numberIn(0, 2),
  top_p: numberIn(0, 1),
  max_tokens: integerIn(1, MAX_SAFE),
  max_completion_tokens: integerIn(1, MAX_SAFE),
  frequency_penalty: numberIn(-2, 2),
  presence_penalty: numberIn(-2, 2),
  stop: isString,
  parallel_tool_calls: isBoolean,
  seed: integerIn(-MAX_SAFE, MAX_SAFE),
  n: integerIn(1, 128),
  user: isString,
  logprobs: isBoolean,
  top_logprobs: integerIn(0, 20),
  reasoning_effort: stringOfLength(1, 32),
  stream: isBoolean,
  purpose: stringOfLength(0, 200),
};
/** `model` and `model_group` are `.optional()` in the llm-call schema: null is an error there. */
const NOT_NULLABLE = new Set(['model', 'model_group']);
/** Every key the schema knows, in its order (zod's output order). */
const SCHEMA_KEYS: readonly string[] = Object.keys(llmCallRequestSchema.shape);
const KNOWN = new Set(SCHEMA_KEYS);
const TEXT_ROLES = new Set(['system', 'developer', 'user', 'assistant']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** A `{role, content: string, name?}` message of a text role, rebuilt in schema order; undefined otherwise. */
function textMessage(value: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return undefined;
  let fields = 0;
  const { role, content } = value;
  if (typeof role !== 'string' || !TEXT_ROLES.has(role) || typeof content !== 'string') return undefined;
  fields += 2;
  const message: Record<string, unknown> = { role, content };
  if (Object.hasOwn(value, 'name')) {
    const name = value.name;
    if (name !== null && typeof name !== 'string') return undefined;
    message.name = name;
    fields += 1;
  }
  return Object.keys(value).length === fields ? message : undefined;
}

function textMessages(value: unknown): unknown[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const messages: unknown[] = new Array(value.length);
  for (let index = 0; index < value.length; index += 1) {
    const message = textMessage(value[index]);
    if (message === undefined) return undefined;
    messages[index] = message;
  }
  return messages;
}

/**
 * The parsed llm-call body when it is of the common shape and valid, exactly as `llmCallRequestSchema` would
 * return it; `undefined` means "not decided here": parse it with the schema.
 */
export function fastParseLlmCall(value: unknown): LlmCallRequest | undefined {
  if (!isPlainObject(value)) return undefined;
  let unknownKeys: string[] | null = null;
  for (const key of Object.keys(value)) {
    const field = value[key];
    if (field === undefined) return undefined;
    if (!KNOWN.has(key)) {
      if (key === '__proto__') return undefined;
      (unknownKeys ??= []).push(key);
      continue;
    }
    if (key === 'messages') continue;
    const check = SCALARS[key];
    if (check === undefined) return undefined; // a structured field (tools, response_format, …): zod's job
    if (field === null ? NOT_NULLABLE.has(key) : !check(field)) return undefined;
  }
  if (value.model === undefined && value.model_group === undefined) return undefined;
  const messages = textMessages(value.messages);
  if (messages === undefined) return undefined;
  const parsed: Record<string, unknown> = {};
  for (const key of SCHEMA_KEYS) {
    if (key === 'messages') parsed.messages = messages;
    else if (Object.hasOwn(value, key)) parsed[key] = value[key];
  }
  if (unknownKeys !== null) for (const key of unknownKeys) parsed[key] = value[key];
  return parsed as LlmCallRequest;
}
