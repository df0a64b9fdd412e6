/**
 * Deployment cooldowns (03-domain.md): after `threshold` consecutive failures a deployment is skipped for
 * `cooldownMs`. Afterwards it is tried again; its failure count stays at the threshold, so one more failure
 * puts it straight back in cooldown, while a success clears the record. `isCoolingDown` has no side
 * effect (the operator's dry run asks it too).
 */
export class CooldownTracker {
  private readonly states = new Map<string, { failures: number; until: number }>();

  constructor(private readonly threshold = 3, private readonly cooldownMs = 30_000, private readonly now: () => number = Date.now) {}

  /** True when the deployment should be skipped now. */
  isCoolingDown(alias: string): boolean {
    const state = this.states.get(alias);
    return state !== undefined && state.failures >= this.threshold && this.now() < state.until;
  }

  recordSuccess(alias: string): void {
    this.states.delete(alias);
  }

  recordFailure(alias: string): void {
    const state = this.states.get(alias) ?? { failures: 0, until: 0 };
    state.failures = Math.min(state.failures + 1, this.threshold);
    if (state.failures >= this.threshold) state.until = this.now() + this.cooldownMs;
    this.states.set(alias, state);
  }
}
