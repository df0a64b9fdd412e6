import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Database, SingleOwnerState, Transaction } from './database.ts';
import { deserializeError, type ThreadRequest, type ThreadResponse } from './pglite-thread-protocol.ts';

/**
 * The database thread's young generation (V8 sizes its semi-spaces from it: 4 MB here, against 16 MB by
 * default). The thread's JavaScript allocates little and briefly (a round's parameters, its results), and
 * under load its young generation had grown to 34 MB of RSS of which 3–8 MB were in use; capped, 8 MB
 * (decision 018).
 */
const DATABASE_THREAD_YOUNG_GENERATION_MB = 12;

/**
 * Embedded PGlite on its own thread. PGlite executes SQL as synchronous WebAssembly on the thread that
 * calls it; on the server's event loop every statement (0.3–3 ms each, two per LLM call) stalled every
 * stream in flight. Measured in bench/ at 10 concurrent streams: chunks reached the client 2–9 ms late
 * with PGlite on the event loop, 0.1 ms late with the database off it (PostgreSQL); time to first token
 * likewise. On this thread the event loop only posts messages, and on a machine with a second core the
 * database work runs there in parallel.
 *
 * Same contract as PgliteDatabase (which the thread itself uses): the same SQL, results and error codes;
 * one transaction at a time, other statements waiting for it, as PGlite does.
 */
export class PgliteThreadDatabase implements Database {
  readonly dialect = 'pglite' as const;
  readonly singleOwner: SingleOwnerState = {};
  private readonly pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private nextTransaction = 1;
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (response: ThreadResponse) => {
      const waiter = this.pending.get(response.id);
      if (!waiter) return;
      this.pending.delete(response.id);
      if (response.error) waiter.reject(deserializeError(response.error));
      else waiter.resolve(response.rows);
    });
    const failAll = (error: Error) => {
      this.failure = error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the database thread exited (code ${code})`)));
  }

  /**
   * Starts the thread and waits until PGlite has opened `dataDir` (null: in memory). A fresh directory is
   * first initialised by a short-lived process of its own: initdb in WebAssembly peaks at ~280 MB of
   * allocations, and whichever process runs it keeps part of that for good. On a throwaway thread (the
   * previous way) the allocator's heap stayed fragmented: measured, the server's RSS after its first start
   * was 252–257 MB against 210–220 MB when restarted on the same directory, and the allocator's heap
   * 85 MB against 50 MB with 1,000 streams open after load.
   */
  static async open(dataDir: string | null): Promise<PgliteThreadDatabase> {
    if (dataDir && !existsSync(join(dataDir, 'PG_VERSION'))) await initialiseDataDir(dataDir);
    return PgliteThreadDatabase.start(dataDir);
  }

  private static async start(dataDir: string | null): Promise<PgliteThreadDatabase> {
    // From the sources, the .ts file (tsx registers itself in workers); bundled, its own bundle beside this one.
    const script = import.meta.url.endsWith('.ts') ? './pglite-thread-worker.ts' : './pglite-thread-worker.mjs';
    const worker = new Worker(new URL(script, import.meta.url), { workerData: { dataDir }, resourceLimits: { maxYoungGenerationSizeMb: DATABASE_THREAD_YOUNG_GENERATION_MB } });
    const database = new PgliteThreadDatabase(worker);
    await new Promise<void>((resolveOpen, rejectOpen) => {
      database.pending.set(0, { resolve: () => resolveOpen(), reject: rejectOpen });
    });
    return database;
  }

  private send<Row>(request: Omit<ThreadRequest, 'id'>): Promise<Row[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Row[]>((resolveRows, reject) => {
      this.pending.set(id, { resolve: resolveRows as (rows: unknown[]) => void, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.send<Row>({ op: 'query', sql, params });
  }

  async exec(sql: string): Promise<void> {
    await this.send({ op: 'exec', sql });
  }

  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const tx = this.nextTransaction++;
    await this.send({ op: 'begin', tx });
    let result: T;
    try {
      result = await work({
        query: <Row>(sql: string, params: readonly unknown[] = []) => this.send<Row>({ op: 'query', tx, sql, params }),
        exec: async (sql: string) => { await this.send({ op: 'exec', tx, sql }); },
      });
    } catch (error) {
      // The work's own error is the one to report; a failed rollback (thread gone) would only hide it,
      // and PGlite rolls an unfinished transaction back when the thread ends anyway.
      await this.send({ op: 'rollback', tx }).catch((rollbackError: unknown) => { void rollbackError; });
      throw error;
    }
    await this.send({ op: 'commit', tx });
    return result;
  }

  async close(): Promise<void> {
    try {
      if (!this.failure) await this.send({ op: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }
}

/** initdb takes 5–10 s here; far past that the child is stuck (Node's recursive mkdir spins forever under /proc). */
const INITDB_DEADLINE_MS = 5 * 60_000;

/**
 * Initialises `dataDir` with pglite-initdb in a child process (same Node, same environment); throws with its
 * stderr. The child writes a sibling staging directory that is renamed into place once complete, so a
 * start killed meanwhile (or a child killed at its deadline) never leaves a half-written directory that
 * the next start would take for an initialised one. The child never outlives its deadline or this process.
 */
export async function initialiseDataDir(dataDir: string, deadlineMs = INITDB_DEADLINE_MS): Promise<void> {
  const staging = `${dataDir}.initdb-${process.pid}`;
  try {
    removeStaging(staging); // left by an earlier process of the same pid, killed meanwhile
    await runInitdb(staging, deadlineMs);
    // An empty directory (made by whoever chose the path) gives way; one with files in it is refused below.
    if (existsSync(dataDir) && readdirSync(dataDir).length === 0) rmdirSync(dataDir);
    renameSync(staging, dataDir);
  } catch (error) {
    removeStaging(staging);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`initialising the PGlite data directory ${dataDir} failed: ${reason}`);
  }
}

/** Best effort: a path that cannot even be looked at (its parent is a file, say) has nothing to remove. */
function removeStaging(staging: string): void {
  try {
    rmSync(staging, { recursive: true, force: true });
  } catch {
    // nothing there to remove
  }
}

function runInitdb(dataDir: string, deadlineMs: number): Promise<void> {
  // From the sources, the .ts file under tsx; bundled, its own bundle beside this one.
  const fromSources = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(fromSources ? './pglite-initdb.ts' : './pglite-initdb.mjs', import.meta.url));
  const args = fromSources ? ['--import', import.meta.resolve('tsx'), script, dataDir] : [script, dataDir];
  return new Promise((resolveInit, rejectInit) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: deadlineMs, killSignal: 'SIGKILL' });
    const killChild = () => child.kill('SIGKILL');
    process.once('exit', killChild);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr = (stderr + text).slice(-4096); });
    child.once('error', (error) => {
      process.off('exit', killChild);
      rejectInit(error);
    });
    child.once('close', (code, signal) => {
      process.off('exit', killChild);
      if (code === 0) return resolveInit();
      const detail = signal === 'SIGKILL' ? `still running after ${deadlineMs / 1000} s` : stderr.trim().split('\n').at(-1) ?? '';
      rejectInit(new Error(`pglite-initdb exited (${code ?? signal}): ${detail}`));
    });
  });
}
