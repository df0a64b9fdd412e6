/** A team's usage over a period (02-client-api.md, `GET /api/teams/{id}/usage`). Money in nano-dollars. */
export interface TeamUsage {
  summary: { totalJobs: number; successfulJobs: number; failedJobs: number; totalCalls: number; totalTokens: number; clientCostNanos: number; creditsUsedMicro: number };
  jobTypes: Array<{ jobType: string; count: number; clientCostNanos: number }>;
  modelGroups: Array<{ name: string; calls: number; tokens: number; clientCostNanos: number }>;
  daily: Array<{ date: string; jobs: number; clientCostNanos: number; tokens: number }>;
}

/** Port: usage aggregates over jobs and calls created in [from, to). */
export interface TeamUsageSource {
  usage(teamId: string, from: Date, to: Date): Promise<TeamUsage>;
}

/** The [from, to) range of `period` (YYYY-MM or YYYY-MM-DD, UTC) or explicit bounds; default: this month. */
export function usageRange(query: { period?: string; from?: string; to?: string }, now = new Date()): { from: Date; to: Date; label: string } {
  if (query.period) {
    const [year, month, day] = query.period.split('-').map(Number) as [number, number, number | undefined];
    const from = new Date(Date.UTC(year, month - 1, day ?? 1));
    const to = day === undefined ? new Date(Date.UTC(year, month, 1)) : new Date(Date.UTC(year, month - 1, day + 1));
    return { from, to, label: query.period };
  }
  if (query.from || query.to) {
    const from = query.from ? new Date(query.from) : new Date(0);
    const to = query.to ? endOf(query.to) : now;
    return { from, to, label: `${from.toISOString()}/${to.toISOString()}` };
  }
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return { from, to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)), label: from.toISOString().slice(0, 7) };
}

/** A date-only bound includes its whole day. */
function endOf(value: string): Date {
  const date = new Date(value);
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(date.getTime() + 24 * 3600 * 1000) : date;
}
