import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { buildOpenApiDocument } from '../openapi.ts';
import { defineRoute, type RouteRegistry } from '../route-registry.ts';

export interface OpsDependencies {
  /** Database reachable and every migration applied. */
  readiness(): Promise<{ database: boolean; migrations: boolean }>;
  version: string;
}

const require = createRequire(import.meta.url);
const SWAGGER_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_ASSETS = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'application/javascript; charset=utf-8'],
]);

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SaaS LLM API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="api-reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#api-reference', deepLinking: true });</script>
</body></html>`;

/** Liveness, readiness, the OpenAPI document and the interactive reference. No tenant data here. */
export function registerOpsRoutes(app: FastifyInstance, registry: RouteRegistry, deps: OpsDependencies): void {
  defineRoute(app, registry, {
    method: 'GET', url: '/health', summary: 'Liveness', tag: 'operations', auth: 'public',
    response: z.object({ status: z.literal('ok') }),
    handler: async () => ({ status: 'ok' }),
  });
  defineRoute(app, registry, {
    method: 'GET', url: '/health/ready', summary: 'Readiness: database reachable, migrations current', tag: 'operations', auth: 'public',
    handler: async ({ reply }) => {
      const checks = await deps.readiness().catch(() => ({ database: false, migrations: false }));
      const ready = checks.database && checks.migrations;
      reply.status(ready ? 200 : 503);
      return { status: ready ? 'ready' : 'not_ready', checks };
    },
  });
  let document: Record<string, unknown> | null = null;
  app.get('/openapi.json', async () => (document ??= buildOpenApiDocument(registry.routes, deps.version)));
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE));
  app.get<{ Params: { file: string } }>('/docs/assets/:file', async (request, reply) => {
    const type = SWAGGER_ASSETS.get(request.params.file);
    if (!type) return reply.callNotFound();
    return reply.type(type).header('cache-control', 'public, max-age=86400').send(readFileSync(join(SWAGGER_DIR, request.params.file)));
  });
}
