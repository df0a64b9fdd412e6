/**
 * The thread that owns the embedded database (see PgliteThreadDatabase): it opens PGlite on the data
 * directory it is given and answers the main thread's messages. A transaction stays open across messages
 * — `begin`, then any number of `query`/`exec` for it, then `commit` or `rollback` — exactly as the
 * main thread's `transaction(work)` callback drives it.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { PgliteDatabase } from './pglite-database.ts';
import type { Transaction } from './database.ts';
import { serializeError, type ThreadRequest, type ThreadResponse } from './pglite-thread-protocol.ts';

if (!parentPort) throw new Error('pglite-thread-worker.ts runs as a worker thread only');
const port = parentPort;
const reply = (response: ThreadResponse) => port.postMessage(response);

/** Messages for one open transaction, consumed in order by its callback. */
class Inbox {
  private readonly waiting: Array<(request: ThreadRequest) => void> = [];
  private readonly queued: ThreadRequest[] = [];

  push(request: ThreadRequest): void {
    const taker = this.waiting.shift();
    if (taker) taker(request);
    else this.queued.push(request);
  }

  next(): Promise<ThreadRequest> {
    const request = this.queued.shift();
    return request ? Promise.resolve(request) : new Promise((resolveNext) => this.waiting.push(resolveNext));
  }
}

const DATABASE_THREAD_NICE = 10;

/** Thrown inside PGlite's transaction callback to make it roll back. */
class RollbackRequested extends Error {}

// Below the event loop's priority (Linux nice values are per thread; 0 is this thread): when the two
// share a core, requests are served first and the writes behind them take the idle time. The write
// queue's backlog limit keeps the writes from falling behind without bound.
try {
  setPriority(DATABASE_THREAD_NICE);
} catch {
  // Not permitted or not supported: the thread runs at the process's priority.
}

const db = await PgliteDatabase.open((workerData as { dataDir: string | null }).dataDir);
const transactions = new Map<number, Inbox>();

async function run(target: Pick<Transaction, 'query' | 'exec'>, request: ThreadRequest): Promise<void> {
  try {
    const rows = request.op === 'exec' ? (await target.exec(request.sql ?? ''), []) : await target.query(request.sql ?? '', request.params ?? []);
    reply({ id: request.id, rows });
  } catch (error) {
    reply({ id: request.id, error: serializeError(error) });
  }
}

function begin(request: ThreadRequest): void {
  const inbox = new Inbox();
  transactions.set(request.tx!, inbox);
  let endId = request.id;
  db.transaction(async (tx) => {
    reply({ id: request.id, rows: [] });
    for (;;) {
      const next = await inbox.next();
      if (next.op === 'commit' || next.op === 'rollback') {
        endId = next.id;
        if (next.op === 'rollback') throw new RollbackRequested();
        return;
      }
      await run(tx, next);
    }
  }).then(
    () => reply({ id: endId, rows: [] }),
    (error: unknown) => reply(error instanceof RollbackRequested ? { id: endId, rows: [] } : { id: endId, error: serializeError(error) }),
  ).finally(() => transactions.delete(request.tx!));
}

port.on('message', (request: ThreadRequest) => {
  if (request.tx !== undefined && request.op !== 'begin') {
    const inbox = transactions.get(request.tx);
    if (inbox) inbox.push(request);
    else reply({ id: request.id, error: { message: 'Transaction is closed' } });
    return;
  }
  switch (request.op) {
    case 'begin':
      begin(request);
      return;
    case 'close':
      db.close().then(() => reply({ id: request.id, rows: [] }), (error: unknown) => reply({ id: request.id, error: serializeError(error) }));
      return;
    default:
      void run(db, request);
  }
});
port.postMessage({ id: 0, rows: [] } satisfies ThreadResponse);
