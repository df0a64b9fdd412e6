import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseInput } from './validation.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** Who may call a route: the admin plane, a team's virtual key, or anyone. */
export type RouteAuth = 'admin' | 'virtual_key' | 'admin_or_key' | 'public';

/** A documented route: its schemas drive both request validation and the OpenAPI document. */
export interface RouteDefinition<B extends z.ZodType | undefined, Q extends z.ZodType | undefined, P extends z.ZodType | undefined> {
  method: HttpMethod;
  url: string;
  summary: string;
  tag: string;
  auth: RouteAuth;
  body?: B;
  query?: Q;
  params?: P;
  /** Schema of the success body, for the OpenAPI document only. */
  response?: z.ZodType;
  /** Admin routes: 'read' routes are open to viewers; 'write' needs admin; 'owner' needs owner. */
  access?: 'read' | 'write' | 'owner';
  /** Audit: the resource type a mutation touches (defaults to the tag). */
  resourceType?: string;
  handler: (input: {
    body: B extends z.ZodType ? z.infer<B> : undefined;
    query: Q extends z.ZodType ? z.infer<Q> : undefined;
    params: P extends z.ZodType ? z.infer<P> : Record<string, string>;
    request: FastifyRequest;
    reply: FastifyReply;
  }) => Promise<unknown>;
}

export interface RegisteredRoute {
  method: HttpMethod;
  url: string;
  summary: string;
  tag: string;
  auth: RouteAuth;
  access: 'read' | 'write' | 'owner';
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  response?: z.ZodType;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by `defineRoute` so hooks know a route's auth, access and audit resource. */
    route?: { auth: RouteAuth; access: 'read' | 'write' | 'owner'; resourceType: string };
  }
}

/** Every route defined through `defineRoute`, in registration order; the OpenAPI document is built from it. */
export class RouteRegistry {
  readonly routes: RegisteredRoute[] = [];
}

/**
 * Registers a route on `app` with zod validation of body, query and path, and records it for OpenAPI.
 * The handler's return value is sent as JSON unless the handler already sent the reply.
 */
export function defineRoute<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, P extends z.ZodType | undefined = undefined>(
  app: FastifyInstance,
  registry: RouteRegistry,
  definition: RouteDefinition<B, Q, P>,
): void {
  const access = definition.access ?? (definition.method === 'GET' ? 'read' : 'write');
  registry.routes.push({
    method: definition.method, url: definition.url, summary: definition.summary, tag: definition.tag, auth: definition.auth, access,
    ...(definition.body ? { body: definition.body } : {}),
    ...(definition.query ? { query: definition.query } : {}),
    ...(definition.params ? { params: definition.params } : {}),
    ...(definition.response ? { response: definition.response } : {}),
  });
  app.route({
    method: definition.method,
    url: definition.url,
    config: { route: { auth: definition.auth, access, resourceType: definition.resourceType ?? definition.tag } },
    handler: async (request, reply) => {
      const body = definition.body ? parseInput(definition.body, request.body, 'body') : undefined;
      const query = definition.query ? parseInput(definition.query, request.query ?? {}, 'query') : undefined;
      const params = definition.params ? parseInput(definition.params, request.params, 'path') : request.params;
      const result = await definition.handler({ body, query, params, request, reply } as Parameters<typeof definition.handler>[0]);
      if (reply.sent) return reply;
      return result ?? { ok: true };
    },
  });
}
