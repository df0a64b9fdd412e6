import type { ChatCompletionRequest, JsonSchemaObject } from '@saas-llm/protocol';

/** The JSON Schema a request asks its answer to follow. */
export interface RequestedJsonSchema {
  name: string;
  schema: JsonSchemaObject;
  strict: boolean | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const DEFAULT_SCHEMA_NAME = 'response';

/**
 * The schema of a `response_format`, in either of the two dialects tenants' libraries send: OpenAI's
 * `{type: "json_schema", json_schema: {name, schema, strict}}`, and `{type: "json_object", schema}`
 * (Together's and Anyscale's form, which Instructor's JSON_SCHEMA mode sends). Null for text, plain
 * json_object, or no format.
 */
export function requestedJsonSchema(format: ChatCompletionRequest['response_format']): RequestedJsonSchema | null {
  if (!format) return null;
  if (format.type === 'json_schema') {
    const spec = format.json_schema;
    return { name: spec.name, schema: isRecord(spec.schema) ? spec.schema : {}, strict: spec.strict ?? null };
  }
  const attached = (format as { schema?: unknown }).schema;
  if (format.type === 'json_object' && isRecord(attached)) {
    const title = typeof attached.title === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(attached.title) ? attached.title : DEFAULT_SCHEMA_NAME;
    return { name: title, schema: attached, strict: null };
  }
  return null;
}

/**
 * Rewrites `{type: "json_object", schema}` into OpenAI's json_schema form, so that every upstream honours
 * the schema (natively or by the adapter's emulation) instead of rejecting the unknown `schema` key or
 * ignoring it. Other formats are returned unchanged (the same object).
 */
export function withStandardResponseFormat<T extends Pick<ChatCompletionRequest, 'response_format'>>(request: T): T {
  const format = request.response_format;
  if (!format || format.type !== 'json_object' || !isRecord((format as { schema?: unknown }).schema)) return request;
  const requested = requestedJsonSchema(format)!;
  return { ...request, response_format: { type: 'json_schema', json_schema: { name: requested.name, schema: requested.schema } } };
}
