import type { JsonSchemaObject } from '@saas-llm/protocol';
import { resolveLocalRef, type SchemaNode } from './json-schema-walk.ts';

/*
 * JSON Schema (as Pydantic and zod emit it) → the Gemini API's `Schema` (a subset of OpenAPI 3.0), for
 * `responseSchema` and function `parameters`. Gemini answers 400 to any field it does not know, so the
 * output holds only fields Gemini documents: local `$ref`s are inlined (a recursive one is cut), unions
 * with null become `nullable`, `type` arrays and `oneOf` become `anyOf`, `allOf` is merged, and what
 * Gemini cannot express (`additionalProperties`, `const`, unsupported formats, exclusive bounds, …) is
 * dropped — kept as a hint in the description where the model can still honour it.
 */

const TYPES: Record<string, string> = { string: 'STRING', number: 'NUMBER', integer: 'INTEGER', boolean: 'BOOLEAN', array: 'ARRAY', object: 'OBJECT' };
/** Formats Gemini accepts, per type; others become description hints. */
const FORMATS: Record<string, readonly string[]> = { STRING: ['enum', 'date-time'], NUMBER: ['float', 'double'], INTEGER: ['int32', 'int64'] };
/** Keywords copied as they are (Gemini's names equal JSON Schema's). */
const COPIED = ['description', 'minimum', 'maximum', 'minItems', 'maxItems', 'minLength', 'maxLength', 'pattern', 'minProperties', 'maxProperties'] as const;
const HINTED = ['exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'uniqueItems', 'default', 'examples'] as const;
const MAX_DEPTH = 32;

/** The Gemini `Schema` for a JSON Schema document. */
export function toGeminiSchema(schema: JsonSchemaObject): Record<string, unknown> {
  return convert(schema, schema, [], 0);
}

function convert(input: SchemaNode, root: JsonSchemaObject, refs: readonly string[], depth: number): Record<string, unknown> {
  if (typeof input !== 'object' || input === null) return {}; // `true`: anything; Gemini's empty Schema says as much
  if (depth > MAX_DEPTH) return { type: 'STRING', description: 'JSON-encoded value (nesting too deep to describe)' };
  let node: Record<string, unknown> = input;
  if (typeof node.$ref === 'string') {
    const ref = node.$ref;
    const { $ref, ...siblings } = node;
    void $ref;
    // Gemini has no references; a recursive type is cut at its second occurrence.
    if (refs.includes(ref)) return { type: 'OBJECT', nullable: true, description: describe(siblings.description, ['recursive value omitted']) };
    return convert({ ...resolveLocalRef(root, ref), ...siblings }, root, [...refs, ref], depth + 1);
  }
  if (Array.isArray(node.allOf)) {
    const { allOf, ...rest } = node;
    node = (allOf as SchemaNode[]).reduce<Record<string, unknown>>((merged, part) => mergeSchemas(merged, typeof part === 'object' && part !== null ? inline(part, root) : {}), rest);
  }
  const union = (node.anyOf ?? node.oneOf) as SchemaNode[] | undefined;
  if (Array.isArray(union)) return convertUnion(node, union, root, refs, depth);
  if (Array.isArray(node.type)) {
    const types = node.type as string[];
    const { type, ...rest } = node;
    void type;
    return convertUnion(rest, types.map((name) => ({ ...rest, type: name, description: undefined })), root, refs, depth);
  }
  return convertSingle(node, root, refs, depth);
}

/** `anyOf` / `oneOf` / type arrays: null members become `nullable`; one remaining member is used as is. */
function convertUnion(node: Record<string, unknown>, members: SchemaNode[], root: JsonSchemaObject, refs: readonly string[], depth: number): Record<string, unknown> {
  const isNull = (member: SchemaNode): boolean => typeof member === 'object' && member !== null && member.type === 'null';
  const concrete = members.filter((member) => !isNull(member));
  const nullable = concrete.length < members.length;
  const { anyOf, oneOf, ...outer } = node;
  void anyOf;
  void oneOf;
  let converted: Record<string, unknown>;
  if (concrete.length === 0) converted = { type: 'STRING' };
  else if (concrete.length === 1) converted = convert(concrete[0]!, root, refs, depth + 1);
  else converted = { anyOf: concrete.map((member) => convert(member, root, refs, depth + 1)) };
  const description = typeof outer.description === 'string' ? outer.description : typeof outer.title === 'string' ? outer.title : undefined;
  return { ...converted, ...(description && !converted.description ? { description } : {}), ...(nullable ? { nullable: true } : {}) };
}

function convertSingle(node: Record<string, unknown>, root: JsonSchemaObject, refs: readonly string[], depth: number): Record<string, unknown> {
  const hints: string[] = [];
  const out: Record<string, unknown> = {};
  let type = typeof node.type === 'string' ? node.type : undefined;
  if (type === undefined) type = node.properties !== undefined ? 'object' : node.items !== undefined ? 'array' : 'const' in node ? typeof node.const : Array.isArray(node.enum) ? 'string' : undefined;
  const geminiType = type === 'null' ? 'STRING' : type === undefined ? undefined : TYPES[type];
  if (geminiType !== undefined) out.type = geminiType;
  if (type === 'null' || node.nullable === true) out.nullable = true;
  for (const keyword of COPIED) if (node[keyword] !== undefined) out[keyword] = node[keyword];
  for (const keyword of HINTED) if (node[keyword] !== undefined) hints.push(`${keyword}: ${JSON.stringify(node[keyword])}`);
  if (typeof node.format === 'string') {
    if (geminiType !== undefined && FORMATS[geminiType]?.includes(node.format)) out.format = node.format;
    else hints.push(`format: ${node.format}`);
  }
  const enumValues = Array.isArray(node.enum) ? node.enum : 'const' in node ? [node.const] : null;
  if (enumValues !== null) {
    if (enumValues.includes(null)) out.nullable = true;
    const values = enumValues.filter((value) => value !== null);
    // Gemini's enums are string-valued; other values stay a hint.
    if (values.every((value) => typeof value === 'string')) {
      out.type = 'STRING';
      out.format = 'enum';
      out.enum = values;
    } else {
      hints.push(`one of: ${values.map((value) => JSON.stringify(value)).join(', ')}`);
    }
  }
  if (out.type === 'OBJECT' && typeof node.properties === 'object' && node.properties !== null) {
    const properties = node.properties as Record<string, SchemaNode>;
    out.properties = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, convert(property, root, refs, depth + 1)]));
    const required = Array.isArray(node.required) ? (node.required as string[]).filter((name) => name in properties) : [];
    if (required.length > 0) out.required = required;
    // Gemini orders properties alphabetically unless told; keep the tenant's order.
    out.propertyOrdering = Object.keys(properties);
  }
  if (out.type === 'ARRAY') {
    if (typeof node.items === 'object' && node.items !== null && !Array.isArray(node.items)) out.items = convert(node.items as SchemaNode, root, refs, depth + 1);
    else if (Array.isArray(node.prefixItems)) {
      out.items = { anyOf: (node.prefixItems as SchemaNode[]).map((item) => convert(item, root, refs, depth + 1)) };
      hints.push('a tuple, in the listed order');
    }
  }
  if (node.title !== undefined && out.description === undefined && typeof node.title === 'string') out.description = node.title;
  if (hints.length > 0) out.description = describe(out.description, hints);
  return out;
}

function describe(description: unknown, hints: readonly string[]): string {
  return [typeof description === 'string' ? description : '', `(${hints.join('; ')})`].filter(Boolean).join(' ');
}

/** A schema with its top-level `$ref` resolved (for merging `allOf` members). */
function inline(node: Record<string, unknown>, root: JsonSchemaObject): Record<string, unknown> {
  if (typeof node.$ref !== 'string') return node;
  const { $ref, ...siblings } = node;
  return { ...resolveLocalRef(root, $ref as string), ...siblings };
}

function mergeSchemas(into: Record<string, unknown>, part: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...part, ...into };
  if (into.properties !== undefined || part.properties !== undefined) merged.properties = { ...(part.properties as object), ...(into.properties as object) };
  if (Array.isArray(into.required) || Array.isArray(part.required)) merged.required = [...new Set([...((part.required as string[]) ?? []), ...((into.required as string[]) ?? [])])];
  return merged;
}
