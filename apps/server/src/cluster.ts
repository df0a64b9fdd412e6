import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ConfigError, type Config } from './config.ts';
import { openDatabase } from './container.ts';
import { migrate } from './storage/migrator.ts';

/**
 * How many worker processes `serve` runs. `WORKERS=N`, or `auto` (0 in Config): one per core this process
 * may run on (`availableParallelism` honours taskset/cgroup affinity).
 *
 * Embedded PGlite is a single-process database: its data directory can be owned by one process only, and
 * its queries run on that process's event loop. So on PGlite `auto` means 1 (with a note saying why) and
 * an explicit `WORKERS` above 1 is refused: multi-core needs `DATABASE_URL`. Workers behave like separate
 * instances sharing that database — each has its own caches (key lookups trusted ≤ 1 s, catalog ≤ 60 s,
 * team standing ≤ 1 s) and its own rate-limit counters, so without Redis a team's per-minute and
 * concurrency limits are counted per worker.
 */
export function resolveWorkers(config: Config): { workers: number; note: string | null } {
  const wanted = config.workers === 0 ? availableParallelism() : config.workers;
  if (config.databaseUrl || wanted <= 1) return { workers: Math.max(1, wanted), note: null };
  if (config.workers === 0) {
    return { workers: 1, note: `WORKERS=auto runs 1 process on embedded PGlite (${wanted} cores available): worker processes need DATABASE_URL.` };
  }
  throw new ConfigError('WORKERS', `is ${config.workers}, but embedded PGlite can be used by one process only: set DATABASE_URL to run worker processes`);
}

/** Whether this process is a forked worker (the `serve` path then runs as in a single process). */
export function isWorker(): boolean {
  return cluster.isWorker;
}

/** The first worker does what must happen once: the demo bootstrap and the startup banner. */
export function isFirstWorker(): boolean {
  return !cluster.isWorker || cluster.worker?.id === 1;
}

/**
 * What the primary sends a worker to stop it: a message, not a signal, because a Ctrl-C in a terminal
 * already signals every process of the group, and a worker's second signal means "exit at once".
 */
export const SHUTDOWN_MESSAGE = 'saas-llm:shutdown';

const RESTART_DELAY_MS = 1000;
const SHUTDOWN_TIMEOUT_MS = 30_000;
/** A worker that keeps dying right after it starts is a configuration error: stop instead of looping. */
const MAX_RESTARTS_PER_MINUTE = 10;

/**
 * The primary of `serve` with workers: applies migrations once (workers would only queue on the advisory
 * lock), forks `workers` copies of this command — each one a full gateway sharing the listening socket
 * (node:cluster distributes connections round-robin) — replaces a worker that dies, and on SIGINT/SIGTERM
 * tells every worker to stop, waits for them to drain and flush (SIGKILL after 30 s), then exits.
 */
export async function runPrimary(config: Config, workers: number, log: (line: string) => void): Promise<void> {
  const db = await openDatabase(config);
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  let stopping = false;
  const restarts: number[] = [];
  const fork = (): Worker => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      log(`worker ${worker.process.pid} exited (${signal ?? code}); ${restarts.length} restarts within a minute — giving up`);
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.send(SHUTDOWN_MESSAGE);
      process.exitCode = 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(1);
      return;
    }
    log(`worker ${worker.process.pid} exited (${signal ?? code}); starting a new one`);
    setTimeout(() => { if (!stopping) fork(); }, RESTART_DELAY_MS).unref();
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    log(`${signal}: stopping ${Object.keys(cluster.workers ?? {}).length} workers`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send(SHUTDOWN_MESSAGE);
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  for (let index = 0; index < workers; index++) fork();
  log(`SaaS LLM gateway primary ${process.pid}: ${workers} worker processes on port ${config.port}`);
}
