import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../../observability/prometheus-metrics.ts';

/**
 * Counts every request by route pattern and status when its socket response ends — including streams,
 * whose replies are hijacked and skip Fastify's onResponse hook — and serves `GET /metrics`.
 */
export function registerMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.once('close', () => {
      const totalMs = Number(process.hrtime.bigint() - request.startedAt) / 1e6;
      metrics.httpRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.raw.statusCode, totalMs, request.upstreamMs);
    });
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
}
