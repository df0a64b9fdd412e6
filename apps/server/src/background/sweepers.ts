import type { JobService } from '../domain/job-service.ts';
import type { JobStore } from '../domain/jobs.ts';
import type { AutoRefiller, StaleHoldReleaser } from '../domain/maintenance-ports.ts';
import { PeriodicTask } from './periodic-task.ts';

export interface SweeperLogger {
  info(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

/**
 * The background tasks: close expired jobs (releasing their holds), release stale holds, auto-refill.
 * Each run is safe to repeat and safe on several instances at once (the database decides who wins).
 */
export class Sweepers {
  private readonly periodic = new PeriodicTask(() => this.runOnce(), (error) => this.log.error({ err: error }, 'background sweep failed'));

  constructor(
    private readonly jobs: JobService,
    private readonly jobStore: JobStore,
    private readonly holds: StaleHoldReleaser,
    private readonly refills: AutoRefiller,
    private readonly log: SweeperLogger,
  ) {}

  /** One pass of every task; returns what it did. */
  async runOnce(now = new Date()): Promise<{ expiredJobs: number; releasedHolds: number; refills: number }> {
    let expiredJobs = 0;
    for (;;) {
      const due = await this.jobStore.listExpired(now, 100);
      if (due.length === 0) break;
      for (const jobId of due) {
        await this.jobs.expire(jobId);
        expiredJobs += 1;
      }
      if (due.length < 100) break;
    }
    const releasedHolds = await this.holds.releaseExpiredHolds(now);
    const refills = await this.refills.runAutoRefills(now);
    if (expiredJobs + releasedHolds + refills > 0) this.log.info({ expiredJobs, releasedHolds, refills }, 'background sweep');
    return { expiredJobs, releasedHolds, refills };
  }

  start(intervalMs = 15_000): void {
    this.periodic.start(intervalMs);
  }

  async stop(): Promise<void> {
    await this.periodic.stop();
  }
}
