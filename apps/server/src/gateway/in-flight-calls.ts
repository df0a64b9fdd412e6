import type { InFlightCalls } from '../domain/job-service.ts';

interface JobCalls {
  controllers: Set<AbortController>;
  idle: Array<() => void>;
}

/**
 * The calls running in this process, by job: `cancel` aborts them, `complete` waits for them so the
 * charge includes a call that is still streaming.
 */
export class InFlightCallRegistry implements InFlightCalls {
  private readonly jobs = new Map<string, JobCalls>();

  /** Registers a call; the returned function must be called exactly once when the call ends. */
  track(jobId: string, controller: AbortController): () => void {
    let entry = this.jobs.get(jobId);
    if (!entry) {
      entry = { controllers: new Set(), idle: [] };
      this.jobs.set(jobId, entry);
    }
    entry.controllers.add(controller);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const current = this.jobs.get(jobId);
      if (!current) return;
      current.controllers.delete(controller);
      if (current.controllers.size === 0) {
        this.jobs.delete(jobId);
        for (const resolve of current.idle) resolve();
      }
    };
  }

  count(jobId: string): number {
    return this.jobs.get(jobId)?.controllers.size ?? 0;
  }

  get total(): number {
    let total = 0;
    for (const entry of this.jobs.values()) total += entry.controllers.size;
    return total;
  }

  waitForJob(jobId: string, timeoutMs: number): Promise<void> {
    const entry = this.jobs.get(jobId);
    if (!entry) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      entry.idle.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  /** Resolves when no call runs in this process, or after `timeoutMs`. */
  async waitForAll(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const jobId of [...this.jobs.keys()]) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await this.waitForJob(jobId, left);
    }
  }

  abortJob(jobId: string): number {
    const entry = this.jobs.get(jobId);
    if (!entry) return 0;
    for (const controller of entry.controllers) controller.abort(new Error('job cancelled'));
    return entry.controllers.size;
  }

  /** Aborts everything (shutdown). */
  abortAll(): void {
    for (const jobId of [...this.jobs.keys()]) this.abortJob(jobId);
  }
}
