import type { FastifyInstance } from 'fastify';
import { HEADERS } from '@saas-llm/protocol';

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: echo a well-formed incoming `x-request-id`, else a fresh UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && VALID_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

/**
 * Adds `x-request-id` and `server-timing` (gateway's own time and upstream time as separate entries)
 * to every response. Streaming routes set their headers before the first byte through `timingHeader`.
 */
export function registerRequestContext(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('upstreamMs', 0);
  app.decorateRequest('startedAt', 0n);
  app.addHook('onRequest', async (request, reply) => {
    request.startedAt = process.hrtime.bigint();
    reply.header(HEADERS.requestId, request.id);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (!reply.hasHeader(HEADERS.serverTiming)) reply.header(HEADERS.serverTiming, timingHeader(request.startedAt, request.upstreamMs));
    return payload;
  });
}

export function timingHeader(startedAt: bigint, upstreamMs: number): string {
  const totalMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
  const gatewayMs = Math.max(0, totalMs - upstreamMs);
  return `gateway;dur=${gatewayMs.toFixed(1)}, upstream;dur=${upstreamMs.toFixed(1)}`;
}
