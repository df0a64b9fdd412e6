import { join } from 'node:path';
import { loadConfig, type Config } from './config.ts';
import { buildContainer, openDatabase, type Container } from './container.ts';
import { buildApp } from './http/app.ts';
import { SHUTDOWN_MESSAGE } from './cluster.ts';

export interface RunningServer {
  app: Awaited<ReturnType<typeof buildApp>>;
  container: Container;
  url: string;
  /** Stops accepting requests, lets in-flight ones finish, flushes, closes the database. */
  stop(): Promise<void>;
}

/**
 * Load config → open the database → build the container (migrations run here) → build the app → listen.
 * `afterListen` runs with the container and the real URL (the demo bootstrap writes it to demo.env).
 */
export async function startServer(config: Config = loadConfig(), afterListen?: (container: Container, url: string) => Promise<void>): Promise<RunningServer> {
  const db = await openDatabase(config);
  const container = await buildContainer(config, db, { callJournalDir: join(config.dataDir, 'call-journal') }).catch(async (error: unknown) => {
    await db.close().catch(() => undefined);
    throw error;
  });
  const app = await buildApp(container);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    // The database thread would keep a process that cannot serve alive (a port in use, say): release it.
    await app.close().catch(() => undefined);
    await container.close().catch(() => undefined);
    throw error;
  }
  container.sweepers.start(config.sweepIntervalMs);
  container.vacuum?.start();
  const displayHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const address = app.server.address();
  const url = `http://${displayHost}:${typeof address === 'object' && address ? address.port : config.port}`;
  if (afterListen) await afterListen(container, url);
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= (async () => {
    await app.close();
    await container.close();
  })());
  return { app, container, url, stop };
}

/**
 * Stops the server cleanly on SIGINT/SIGTERM (or, in a worker, on its primary's shutdown message); a second
 * signal exits at once.
 */
export function stopOnSignals(server: RunningServer): void {
  let signalled = false;
  const shutDown = (reason: string) => {
    signalled = true;
    server.app.log.info({ reason }, 'shutting down');
    server.stop().then(() => process.exit(0), (error: unknown) => {
      server.app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    shutDown(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Only a forked worker has an IPC channel; a Ctrl-C may have signalled it already, so this never escalates.
  process.on('message', (message) => {
    if (message === SHUTDOWN_MESSAGE && !signalled) shutDown('primary');
  });
}
