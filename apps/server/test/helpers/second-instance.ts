import type { FastifyInstance } from 'fastify';
import { buildContainer } from '../../src/container.ts';
import { buildApp } from '../../src/http/app.ts';
import type { Database } from '../../src/storage/database.ts';
import type { TestGateway } from './test-gateway.ts';

/**
 * A second gateway instance over the first one's database (its own caches, limits and in-flight calls),
 * listening on loopback — what two instances behind a load balancer look like. Closing the app closes
 * this instance (its Redis connection, its threads) but not the database, which belongs to the first.
 */
export async function startSecondInstance(gateway: TestGateway): Promise<{ app: FastifyInstance; url: string }> {
  const db = gateway.database;
  const sharedDatabase: Database = {
    dialect: db.dialect, singleOwner: db.singleOwner, query: (sql, params) => db.query(sql, params), exec: (sql) => db.exec(sql),
    transaction: (work) => db.transaction(work), close: async () => undefined,
  };
  const container = await buildContainer({ ...gateway.config, logLevel: 'silent' }, sharedDatabase);
  gateway.settlers.push(() => container.calls.settled());
  const app = await buildApp(container);
  app.addHook('onClose', async () => { await container.close(); });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { app, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}
