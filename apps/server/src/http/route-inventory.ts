import type { FastifyInstance } from 'fastify';
import type { RouteRegistry } from './route-registry.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route defined through `defineRoute`, with its auth and access (read by the role-matrix tests). */
    routeRegistry: RouteRegistry;
  }
}

/**
 * Exposes the app's route registry, so tests can walk every route that exists — including ones added
 * after the test was written — instead of a hand-kept list that goes stale.
 */
export function exposeRouteRegistry(app: FastifyInstance, registry: RouteRegistry): void {
  app.decorate('routeRegistry', registry);
}
