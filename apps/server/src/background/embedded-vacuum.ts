import { PeriodicTask } from './periodic-task.ts';

/** What the vacuum needs of the database: one statement without parameters. */
export interface StatementRunner {
  exec(sql: string): Promise<void>;
}

export interface VacuumLogger {
  info(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

/** Time between two vacuums of the embedded database. */
export const EMBEDDED_VACUUM_INTERVAL_MS = 60_000;
/** A vacuum slower than this is logged (it holds the database thread, so the write queue waits meanwhile). */
const SLOW_VACUUM_MS = 1_000;

/**
 * Vacuums the embedded database (PGlite) once a minute. A PostgreSQL server does this by
 * itself (autovacuum), but PGlite runs PostgreSQL in single-user mode, where the autovacuum launcher never
 * starts: every settled hold left a dead row version behind for good, the partial indexes of held
 * reservations filled with entries of released ones, and transaction ids were never frozen. In a 300,000-call soak the gateway slowed from ~830 to ~250 calls/s;
 * a micro-benchmark of the hold's insert-then-release pattern doubled its time per round within 77,000
 * rows, and stayed flat with a vacuum between blocks. A vacuum skips the pages the visibility map marks
 * clean, so a minute's worth of changes is what each run reads. Plain `VACUUM` takes no lock that blocks
 * reads or writes; on PGlite's single connection the statements queued behind it wait for it to finish.
 * Not `ANALYZE`: it samples 30,000 rows of each table, call bodies included, and grew PGlite's WebAssembly
 * memory (never given back) by ~20 MB in a 100,000-call soak; the queries are index lookups that need no
 * column statistics, and VACUUM keeps the row counts the planner uses up to date.
 */
export class EmbeddedVacuum {
  private readonly periodic = new PeriodicTask(() => this.runOnce(), (error) => this.log.error({ err: error }, 'embedded database vacuum failed'));

  constructor(private readonly db: StatementRunner, private readonly log: VacuumLogger) {}

  /** One vacuum of every table; returns its duration in milliseconds. */
  async runOnce(): Promise<number> {
    const started = performance.now();
    await this.db.exec('VACUUM');
    const durationMs = Math.round(performance.now() - started);
    if (durationMs >= SLOW_VACUUM_MS) this.log.info({ durationMs }, 'embedded database vacuum');
    return durationMs;
  }

  start(intervalMs = EMBEDDED_VACUUM_INTERVAL_MS): void {
    this.periodic.start(intervalMs);
  }

  async stop(): Promise<void> {
    await this.periodic.stop();
  }
}
