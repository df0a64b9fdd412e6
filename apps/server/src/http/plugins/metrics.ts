import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../../observability/prometheus-metrics.ts';
import { matchedRoute } from './request-context.ts';

/**
 * Counts every request by route pattern and status when its socket response ends — including streams,
 * whose replies are hijacked and skip Fastify's onResponse hook — and serves `GET /metrics`.
 */
export function registerMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.addHook('onRequest', (request, reply, done) => {
    const response = reply.raw;
    // `close` fires once per response: `on` spares the wrapper `once` allocates.
    response.on('close', () => {
      const totalMs = Number(process.hrtime.bigint() - request.startedAt) / 1e6;
      metrics.httpRequest(request.method, matchedRoute(request).url ?? 'unmatched', response.statusCode, totalMs, request.upstreamMs);
    });
    done();
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
}
