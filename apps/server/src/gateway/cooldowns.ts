/**
 * Deployment cooldowns (03-domain.md): after `threshold` consecutive failures a deployment is skipped for
 * `cooldownMs`, then one request is let through to probe it; success clears the record.
 */
export class CooldownTracker {
  private readonly states = new Map<string, { failures: number; until: number; probing: boolean }>();

  constructor(private readonly threshold = 3, private readonly cooldownMs = 30_000, private readonly now: () => number = Date.now) {}

  /** True when the deployment should be skipped now. Lets exactly one probe through after the cooldown. */
  isCoolingDown(alias: string): boolean {
    const state = this.states.get(alias);
    if (!state || state.failures < this.threshold) return false;
    if (this.now() < state.until) return true;
    if (state.probing) return true;
    state.probing = true;
    return false;
  }

  recordSuccess(alias: string): void {
    this.states.delete(alias);
  }

  recordFailure(alias: string): void {
    const state = this.states.get(alias) ?? { failures: 0, until: 0, probing: false };
    state.failures += 1;
    state.probing = false;
    if (state.failures >= this.threshold) state.until = this.now() + this.cooldownMs;
    this.states.set(alias, state);
  }
}
