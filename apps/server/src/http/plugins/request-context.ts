import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';
import { HEADERS } from '@saas-llm/protocol';
import { lazyChildLogger } from './lazy-request-logger.ts';

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route a request matched: its pattern (undefined when none matched) and what `defineRoute` declared. */
export interface MatchedRoute {
  url: string | undefined;
  spec: FastifyContextConfig['route'];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Filled by `matchedRoute` on first use. */
    matched: MatchedRoute | null;
  }
}

/** Fastify's `genReqId`: echo a well-formed incoming `x-request-id`, else a fresh UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && VALID_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

/** The matched route, read once per request: Fastify's `routeOptions` getter builds a new object on every read. */
export function matchedRoute(request: FastifyRequest): MatchedRoute {
  if (request.matched === null) {
    const options = request.routeOptions;
    request.matched = { url: options.url, spec: options.config.route };
  }
  return request.matched;
}

/**
 * Adds `x-request-id` and `server-timing` (gateway's own time and upstream time as separate entries)
 * to every response. Streaming routes set their headers before the first byte through `timingHeader`.
 * Hooks are callback-style: an async hook costs a promise and a microtask turn per request.
 */
export function registerRequestContext(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('upstreamMs', 0);
  app.decorateRequest('startedAt', 0n);
  app.decorateRequest('matched', null);
  // Request logging is off, so most requests never write to `request.log`: create their pino child on first use.
  app.setChildLoggerFactory(lazyChildLogger);
  app.addHook('onRequest', (request, reply, done) => {
    request.startedAt = process.hrtime.bigint();
    reply.header(HEADERS.requestId, request.id);
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!reply.hasHeader(HEADERS.serverTiming)) reply.header(HEADERS.serverTiming, timingHeader(request.startedAt, request.upstreamMs));
    done(null, payload);
  });
}

export function timingHeader(startedAt: bigint, upstreamMs: number): string {
  const totalMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
  const gatewayMs = Math.max(0, totalMs - upstreamMs);
  return `gateway;dur=${gatewayMs.toFixed(1)}, upstream;dur=${upstreamMs.toFixed(1)}`;
}
