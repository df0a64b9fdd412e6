import type { ChatCompletion, JsonSchemaObject } from '@saas-llm/protocol';
import { allowsNull, resolveLocalRef, type SchemaNode } from './json-schema-walk.ts';

/*
 * OpenAI's strict structured outputs accept a stricter JSON Schema dialect than the one Pydantic and zod
 * emit: every object lists all its properties as required and sets `additionalProperties: false`, the
 * root is an object, and only some keywords are allowed. Tenants send the common dialect; the gateway
 * adapts it (an optional property becomes required and nullable) and removes the nulls it caused from
 * the answer, so the tenant's own schema still validates the output. A schema that cannot be expressed
 * (a free-form dictionary, `not`, tuples, an "anything" value) is sent unchanged with `strict: false`.
 */

/** Keywords strict mode accepts (beyond these, OpenAI answers 400 "… is not permitted"). */
const STRICT_KEYWORDS = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'anyOf', '$ref', '$defs', 'definitions',
  'description', 'title', 'pattern', 'format', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'minItems', 'maxItems',
]);
const STRICT_FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);
/** Constraints strict mode rejects but a model can still honour when told: kept as a hint in the description. */
const HINTED_KEYWORDS = ['default', 'examples', 'minLength', 'maxLength', 'minProperties', 'maxProperties', 'uniqueItems'];
/** Keywords that shape the value in ways strict mode cannot express. */
const INEXPRESSIBLE_KEYWORDS = [
  'not', 'if', 'then', 'else', 'patternProperties', 'dependentRequired', 'dependentSchemas', 'propertyNames', 'prefixItems', 'contains',
  'unevaluatedProperties', 'unevaluatedItems',
];

/** Where an adapted schema applies: the message content (`response_format`) or one strict function's arguments. */
export type StrictTarget = { kind: 'content' } | { kind: 'tool'; name: string };

/** What adaptation changed, kept to undo it on the answer. */
export interface StrictAdaptation {
  target: StrictTarget;
  /** The tenant's schema, which decides whether a null in the answer was ours. */
  original: JsonSchemaObject;
}

class Inexpressible extends Error {}

/** The schema in OpenAI's strict dialect, or null when strict mode cannot express it (then send it non-strict). */
export function toStrictSchema(schema: JsonSchemaObject): JsonSchemaObject | null {
  if (schema.type !== 'object' && schema.properties === undefined) return null; // the root must be an object
  try {
    const adapted = adaptNode(schema, schema) as JsonSchemaObject;
    for (const defsKey of ['$defs', 'definitions'] as const) {
      const defs = schema[defsKey];
      if (typeof defs === 'object' && defs !== null) {
        adapted[defsKey] = Object.fromEntries(Object.entries(defs).map(([name, node]) => [name, adaptNode(node as SchemaNode, schema)]));
      }
    }
    return adapted;
  } catch (error) {
    if (error instanceof Inexpressible) return null;
    throw error;
  }
}

function adaptNode(input: SchemaNode, root: JsonSchemaObject): Record<string, unknown> {
  if (typeof input !== 'object' || input === null) throw new Inexpressible('a boolean schema');
  let node: Record<string, unknown> = { ...input };
  // A $ref with siblings (`{"$ref": …, "description": …}`) is not accepted: unravel it, as OpenAI's SDKs do.
  if (typeof node.$ref === 'string' && Object.keys(node).some((key) => key !== '$ref')) {
    const { $ref, ...siblings } = node;
    node = { ...resolveLocalRef(root, $ref as string), ...siblings };
  }
  if (Array.isArray(node.allOf)) {
    if (node.allOf.length !== 1) throw new Inexpressible('allOf');
    const { allOf, ...rest } = node;
    return adaptNode({ ...(allOf[0] as Record<string, unknown>), ...rest }, root);
  }
  if (Array.isArray(node.oneOf)) {
    // Looser than oneOf, but the model picks one branch anyway.
    const { oneOf, ...rest } = node;
    node = { ...rest, anyOf: oneOf };
  }
  if (INEXPRESSIBLE_KEYWORDS.some((keyword) => keyword in node)) throw new Inexpressible('keyword');
  if (node.nullable === true && typeof node.type === 'string') node.type = [node.type, 'null']; // OpenAPI's spelling
  const hints: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(node)) {
    if (HINTED_KEYWORDS.includes(keyword) || (keyword === 'format' && !STRICT_FORMATS.has(String(value)))) {
      hints.push(`${keyword}: ${JSON.stringify(value)}`);
    } else if (STRICT_KEYWORDS.has(keyword) && keyword !== '$defs' && keyword !== 'definitions') {
      out[keyword] = value;
    }
  }
  if (hints.length > 0) out.description = [typeof out.description === 'string' ? out.description : '', `(${hints.join('; ')})`].filter(Boolean).join(' ');
  const types = Array.isArray(out.type) ? out.type : [out.type];
  const isObject = types.includes('object') || out.properties !== undefined;
  if (out.type === undefined && out.anyOf === undefined && out.$ref === undefined && out.enum === undefined && out.const === undefined && !isObject) {
    throw new Inexpressible('a value that accepts anything');
  }
  if (Array.isArray(out.anyOf)) out.anyOf = out.anyOf.map((branch) => adaptNode(branch as SchemaNode, root));
  if (isObject) adaptObject(out, node, root);
  if (types.includes('array')) {
    if (typeof node.items !== 'object' || node.items === null || Array.isArray(node.items)) throw new Inexpressible('array items');
    out.items = adaptNode(node.items as SchemaNode, root);
  }
  return out;
}

function adaptObject(out: Record<string, unknown>, node: Record<string, unknown>, root: JsonSchemaObject): void {
  const properties = (node.properties ?? {}) as Record<string, SchemaNode>;
  // A free-form dictionary (`additionalProperties: {…}` or no properties at all) has no strict form.
  if (node.additionalProperties !== undefined && node.additionalProperties !== false) throw new Inexpressible('additionalProperties');
  if (Object.keys(properties).length === 0 && node.additionalProperties !== false) throw new Inexpressible('free-form object');
  const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
  out.properties = Object.fromEntries(Object.entries(properties).map(([name, property]) => {
    const adapted = adaptNode(property, root);
    return [name, required.has(name) ? adapted : nullable(adapted, root)];
  }));
  out.required = Object.keys(properties);
  out.additionalProperties = false;
}

/** The schema extended to accept null (an optional property's way of saying "absent" in strict mode). */
function nullable(schema: Record<string, unknown>, root: JsonSchemaObject): Record<string, unknown> {
  if (allowsNull(schema, root)) return schema;
  if (Array.isArray(schema.anyOf)) return { ...schema, anyOf: [...schema.anyOf, { type: 'null' }] };
  if (typeof schema.type === 'string' || Array.isArray(schema.type)) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const widened: Record<string, unknown> = { ...schema, type: [...types, 'null'] };
    if (Array.isArray(schema.enum)) widened.enum = [...schema.enum, null];
    if ('const' in schema) return { anyOf: [schema, { type: 'null' }] };
    return widened;
  }
  const { description, ...rest } = schema;
  return { anyOf: [rest, { type: 'null' }], ...(description === undefined ? {} : { description }) };
}

/**
 * Removes the nulls strict adaptation made the model write (an optional property the tenant's schema
 * does not allow to be null), from the message content and from strict tools' arguments. Texts without
 * such nulls are left byte-identical.
 */
export function restoreOptionalFields(completion: ChatCompletion, adaptations: readonly StrictAdaptation[]): void {
  for (const choice of completion.choices) {
    const message = choice.message as { content?: unknown; tool_calls?: Array<{ function?: { name?: string; arguments?: string } }> | null } | undefined;
    if (!message) continue;
    for (const adaptation of adaptations) {
      if (adaptation.target.kind === 'content' && typeof message.content === 'string') {
        message.content = withoutSyntheticNulls(message.content, adaptation.original);
      } else if (adaptation.target.kind === 'tool') {
        const name = adaptation.target.name;
        for (const call of message.tool_calls ?? []) {
          if (call.function?.name === name && typeof call.function.arguments === 'string') call.function.arguments = withoutSyntheticNulls(call.function.arguments, adaptation.original);
        }
      }
    }
  }
}

function withoutSyntheticNulls(text: string, original: JsonSchemaObject): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Not JSON (a refusal, a truncated answer): nothing of ours to undo; the tenant sees it as it came.
    void error;
    return text;
  }
  return stripNulls(value, original, original, 0) ? JSON.stringify(value) : text;
}

/** Deletes synthetic nulls in place; true when something was removed. */
function stripNulls(value: unknown, schema: SchemaNode, root: JsonSchemaObject, depth: number): boolean {
  if (depth > 64 || typeof value !== 'object' || value === null || typeof schema !== 'object' || schema === null) return false;
  let node = schema as Record<string, unknown>;
  if (typeof node.$ref === 'string') node = { ...resolveLocalRef(root, node.$ref), ...node, $ref: undefined };
  if (Array.isArray(node.allOf) && node.allOf.length === 1) node = { ...(node.allOf[0] as Record<string, unknown>), ...node, allOf: undefined };
  const branches = (node.anyOf ?? node.oneOf) as SchemaNode[] | undefined;
  if (Array.isArray(branches)) {
    const branch = branches.find((candidate) => typeof candidate === 'object' && candidate !== null && !allowsNull(candidate, root) && (Array.isArray(value) ? 'items' in candidate : 'properties' in candidate || '$ref' in candidate));
    return branch === undefined ? false : stripNulls(value, branch, root, depth + 1);
  }
  if (Array.isArray(value)) {
    let changed = false;
    for (const item of value) changed = stripNulls(item, node.items as SchemaNode, root, depth + 1) || changed;
    return changed;
  }
  const properties = node.properties as Record<string, SchemaNode> | undefined;
  if (properties === undefined) return false;
  const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
  const record = value as Record<string, unknown>;
  let changed = false;
  for (const [key, item] of Object.entries(record)) {
    const property = properties[key];
    if (property === undefined) continue;
    if (item === null && !required.has(key) && !allowsNull(property, root)) {
      delete record[key];
      changed = true;
    } else {
      changed = stripNulls(item, property, root, depth + 1) || changed;
    }
  }
  return changed;
}
