import Fastify, { type FastifyInstance } from 'fastify';
import type { Container } from '../container.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerErrorHandler } from './plugins/error-handler.ts';
import { registerRequestContext, requestIdFrom } from './plugins/request-context.ts';
import { RouteRegistry } from './route-registry.ts';
import { registerOpsRoutes } from './routes/ops-routes.ts';
// ==== imports: tenancy & credits routes ====
// ==== end imports: tenancy & credits routes ====
// ==== imports: catalog routes ====
// ==== end imports: catalog routes ====
// ==== imports: admin users & audit routes ====
// ==== end imports: admin users & audit routes ====

export interface AppOptions {
  /** Pino options or false; tests pass a stream to capture logs. */
  logger?: boolean | Record<string, unknown>;
}

/** Builds the Fastify app without listening (tests use `inject` or listen on port 0). */
export async function buildApp(container: Container, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: container.config.logLevel, redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-admin-key"]', 'req.headers.cookie'] },
    bodyLimit: container.config.bodyLimitBytes,
    genReqId: (request) => requestIdFrom(request.headers['x-request-id']),
    requestIdHeader: false,
    disableRequestLogging: true,
    trustProxy: false,
    return503OnClosing: true,
  });
  const registry = new RouteRegistry();
  registerRequestContext(app);
  registerErrorHandler(app);
  registerAuth(app, {
    // ==== auth: admin users & audit ====
    admin: { authenticate: async () => null },
    audit: { record: async () => undefined },
    // ==== end auth: admin users & audit ====
    // ==== auth: tenancy & credits ====
    keys: { authenticate: async () => null },
    // ==== end auth: tenancy & credits ====
  });
  registerOpsRoutes(app, registry, { readiness: container.readiness, version: container.version });
  // ==== routes: tenancy & credits ====
  // ==== end routes: tenancy & credits ====
  // ==== routes: catalog ====
  // ==== end routes: catalog ====
  // ==== routes: admin users & audit ====
  // ==== end routes: admin users & audit ====
  return app;
}
