import type { FastifyInstance } from 'fastify';
import { matchedRoute } from './request-context.ts';

/** The routes that make LLM calls: they read nothing a queued settlement changes before their own admission. */
const CALL_ROUTES = new Set([
  '/api/jobs/:job_id/llm-call', '/api/jobs/:job_id/llm-call-stream', '/api/jobs/create-and-call', '/api/jobs/create-and-call-stream',
  '/v1/chat/completions', '/v1/embeddings', '/health', '/health/ready', '/metrics',
]);

/**
 * Call records are written behind the answer (decision 010). Every other request first waits for the
 * records this instance has acknowledged, so a client that reads its job, balance or usage after a call
 * sees that call — the same read-your-writes as when the answer waited for the record.
 */
export function registerReadAfterWrite(app: FastifyInstance, settled: () => Promise<void> | null): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if (CALL_ROUTES.has(matchedRoute(request).url ?? '')) return done();
    const pending = settled();
    if (!pending) return done();
    pending.then(() => done(), done);
  });
}
