import { z } from 'zod';
import { errorEnvelopeSchema } from '@saas-llm/protocol';
import type { RegisteredRoute } from './route-registry.ts';

type JsonSchema = Record<string, unknown>;

function toJsonSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input', target: 'draft-2020-12' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parametersOf(schema: z.ZodType | undefined, location: 'query' | 'path'): unknown[] {
  if (!schema) return [];
  const json = toJsonSchema(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name, in: location, required: location === 'path' || required.has(name), schema: property,
  }));
}

const SECURITY: Record<RegisteredRoute['auth'], unknown[]> = {
  admin: [{ masterKey: [] }, { adminSession: [] }, { bearer: [] }],
  virtual_key: [{ bearer: [] }, { apiKey: [] }],
  admin_or_key: [{ bearer: [] }, { apiKey: [] }, { masterKey: [] }, { adminSession: [] }],
  public: [],
};

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(routes: readonly RegisteredRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorResponse = { description: 'Error envelope', content: { 'application/json': { schema: toJsonSchema(errorEnvelopeSchema) } } };
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      security: SECURITY[route.auth],
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      responses: {
        200: { description: 'Success', ...(route.response ? { content: { 'application/json': { schema: toJsonSchema(route.response) } } } : {}) },
        default: errorResponse,
      },
    };
    if (route.body) operation.requestBody = { required: true, content: { 'application/json': { schema: toJsonSchema(route.body) } } };
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'SaaS LLM gateway', version, description: 'Client API (jobs, calls, /v1) and admin API of the SaaS LLM gateway.' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A virtual key (client API), the master key or an admin session token (admin API).' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        masterKey: { type: 'apiKey', in: 'header', name: 'x-admin-key' },
        adminSession: { type: 'apiKey', in: 'cookie', name: 'saas_llm_session' },
      },
    },
    paths,
  };
}
