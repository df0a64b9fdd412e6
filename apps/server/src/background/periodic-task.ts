/**
 * Runs `task` every `intervalMs` once started, never two runs at once (a run still going when the next is
 * due skips that turn); the timer does not keep the process alive. `stop()` waits for a run in progress.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly task: () => Promise<unknown>, private readonly onError: (error: unknown) => void) {}

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.task().then(() => undefined, this.onError).finally(() => { this.running = null; });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
