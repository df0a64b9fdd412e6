/** Port: releases credit holds whose lifetime passed (left behind by a crashed instance). */
export interface StaleHoldReleaser {
  releaseExpiredHolds(now: Date): Promise<number>;
}

/** Port: tops up teams with auto-refill, once per team and period (exactly once across instances). */
export interface AutoRefiller {
  runAutoRefills(now: Date): Promise<number>;
}
