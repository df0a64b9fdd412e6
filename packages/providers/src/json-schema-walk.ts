import type { JsonSchemaObject } from '@saas-llm/protocol';

/*
 * Small helpers for walking the JSON Schemas tenants send (Pydantic and zod output: `$defs` + local
 * `$ref`s, `anyOf` with `null` for optional values), shared by the provider dialect converters.
 */

/** A schema or sub-schema as found in a tenant's document (booleans are valid JSON Schema too). */
export type SchemaNode = Record<string, unknown> | boolean;

/**
 * The definition a local `$ref` points to (`#`, `#/$defs/Name`, `#/definitions/Name`, or any JSON
 * pointer into the document). An unresolvable reference is an empty schema: the tenant's schema is
 * never rejected here; the provider judges it.
 */
export function resolveLocalRef(root: JsonSchemaObject, ref: string): Record<string, unknown> {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return {};
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : {};
}

const CONSTRAINING_KEYWORDS = ['type', 'enum', 'const', '$ref', 'anyOf', 'oneOf', 'allOf', 'properties', 'items', 'not'];

/** Whether `null` is a valid value of the schema (following local `$ref`s and unions one level at a time). */
export function allowsNull(schema: SchemaNode, root: JsonSchemaObject, depth = 0): boolean {
  if (schema === true) return true;
  if (typeof schema !== 'object' || schema === null || depth > 32) return false;
  if (typeof schema.$ref === 'string') return allowsNull(resolveLocalRef(root, schema.$ref), root, depth + 1);
  if (schema.type === 'null' || (Array.isArray(schema.type) && schema.type.includes('null'))) return true;
  if (schema.nullable === true) return true;
  if (Array.isArray(schema.enum) && schema.enum.includes(null)) return true;
  if ('const' in schema && schema.const === null) return true;
  for (const union of ['anyOf', 'oneOf'] as const) {
    const branches = schema[union];
    if (Array.isArray(branches) && branches.some((branch) => allowsNull(branch as SchemaNode, root, depth + 1))) return true;
  }
  const allOf = schema.allOf;
  if (Array.isArray(allOf) && allOf.length > 0) return allOf.every((branch) => allowsNull(branch as SchemaNode, root, depth + 1));
  // A schema that constrains nothing (`{}`, or annotations only) accepts null like anything else.
  return !CONSTRAINING_KEYWORDS.some((keyword) => keyword in schema);
}
