import type { FastifyInstance } from 'fastify';
import { buildContainer } from '../../src/container.ts';
import { buildApp } from '../../src/http/app.ts';
import type { TestGateway } from './test-gateway.ts';

/**
 * A second gateway instance over the first one's database (its own caches, limits and in-flight calls),
 * listening on loopback — what two instances behind a load balancer look like. Close the app, not the
 * container: the database belongs to the first gateway.
 */
export async function startSecondInstance(gateway: TestGateway): Promise<{ app: FastifyInstance; url: string }> {
  const container = await buildContainer({ ...gateway.config, logLevel: 'silent' }, gateway.database);
  gateway.settlers.push(() => container.calls.settled());
  const app = await buildApp(container);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { app, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}
