import type { AnalyticsGroupBy } from '@saas-llm/protocol';
import type { CallTotals } from './call-totals.ts';
import { invalid, notFound } from './errors.ts';
import type { JobCallCounters } from './jobs.ts';

/** A job with its live totals, in exact units (nano-dollars, micro-credits). */
export interface JobReport extends JobCallCounters {
  jobId: string;
  teamId: string;
  organizationId: string;
  jobType: string;
  status: string;
  userId: string | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  expiresAt: Date;
  creditsChargedMicro: number;
  modelGroupsUsed: string[];
  metadata: Record<string, unknown>;
  /** Microseconds since the epoch: the exact sort key, for the cursor (a JS Date keeps only milliseconds). */
  createdAtMicros: number;
}

export interface CallAttemptReport {
  attemptNumber: number;
  deploymentAlias: string;
  provider: string;
  status: string;
  httpStatus: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  latencyMs: number;
  startedAt: Date;
}

export interface CallReport {
  callId: string;
  requestedModel: string;
  modelGroup: string | null;
  deploymentAlias: string | null;
  provider: string | null;
  providerModel: string | null;
  status: string;
  stream: boolean;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  totalTokens: number;
  usageSource: string | null;
  providerCostNanos: number;
  clientCostNanos: number;
  unpriced: boolean;
  latencyMs: number | null;
  ttftMs: number | null;
  purpose: string | null;
  requestBody: unknown;
  responseBody: unknown;
  error: unknown;
  createdAt: Date;
  finishedAt: Date | null;
  attemptCount: number;
  attempts: CallAttemptReport[];
}

export interface JobDetailReport extends JobReport {
  result: unknown;
  errorMessage: string | null;
  maxCostNanos: number | null;
  maxCalls: number | null;
  calls: CallReport[];
}

export interface JobListFilter {
  teamId?: string | undefined;
  organizationId?: string | undefined;
  status?: string | undefined;
  jobType?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Jobs strictly older than this position in (created_at, job_id) order. */
  before?: { createdAtMicros: number; jobId: string } | undefined;
  limit: number;
}

export interface AnalyticsMetricsReport extends CallTotals {
  calls: number;
  jobs: number;
  failedCalls: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export interface AnalyticsFilter {
  organizationId?: string | undefined;
  teamId?: string | undefined;
  from: Date;
  to: Date;
  groupBy: AnalyticsGroupBy;
}

export interface AnalyticsReport {
  groups: Array<AnalyticsMetricsReport & { key: string }>;
  totals: AnalyticsMetricsReport;
}

export interface DashboardReport {
  organizations: number;
  teams: number;
  activeTeams: number;
  openJobs: number;
  jobsToday: number;
  callsToday: number;
  failedCallsToday: number;
  tokensToday: number;
  providerCostNanosToday: number;
  clientCostNanosToday: number;
  creditsOutstandingMicro: number;
  creditsReservedMicro: number;
}

/** Port: read-only queries over jobs, calls and attempts for the operator. */
export interface AdminReportsReader {
  listJobs(filter: JobListFilter): Promise<JobReport[]>;
  findJob(jobId: string): Promise<JobDetailReport | null>;
  analytics(filter: AnalyticsFilter): Promise<AnalyticsReport>;
  dashboard(since: Date): Promise<DashboardReport>;
}

const DEFAULT_PAGE = 50;
const DEFAULT_ANALYTICS_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

/** Operator reports: paging, default ranges and validation around the reader. */
export class AdminReportsService {
  constructor(private readonly reader: AdminReportsReader, private readonly now: () => number = Date.now) {}

  async listJobs(filter: Omit<JobListFilter, 'before' | 'limit'> & { cursor?: string | undefined; limit?: number | undefined }): Promise<{ jobs: JobReport[]; nextCursor: string | null }> {
    const limit = filter.limit ?? DEFAULT_PAGE;
    assertRange(filter.from, filter.to);
    const before = filter.cursor === undefined ? undefined : decodeJobCursor(filter.cursor);
    const rows = await this.reader.listJobs({ ...filter, before, limit: limit + 1 });
    const jobs = rows.slice(0, limit);
    const last = jobs[jobs.length - 1];
    return { jobs, nextCursor: rows.length > limit && last ? encodeJobCursor(last) : null };
  }

  async getJob(jobId: string): Promise<JobDetailReport> {
    const job = await this.reader.findJob(jobId);
    if (!job) throw notFound('Job', jobId, 'job_not_found');
    return job;
  }

  /** Analytics over calls created in [from, to); without `from`, the 30 days before `to` (bounded work by default). */
  async analytics(filter: Omit<AnalyticsFilter, 'from' | 'to' | 'groupBy'> & { from?: Date | undefined; to?: Date | undefined; groupBy?: AnalyticsGroupBy | undefined }): Promise<AnalyticsReport & { from: Date; to: Date; groupBy: AnalyticsGroupBy }> {
    const to = filter.to ?? new Date(this.now());
    const from = filter.from ?? new Date(to.getTime() - DEFAULT_ANALYTICS_DAYS * DAY_MS);
    assertRange(from, to);
    const groupBy = filter.groupBy ?? 'day';
    const report = await this.reader.analytics({ organizationId: filter.organizationId, teamId: filter.teamId, from, to, groupBy });
    return { ...report, from, to, groupBy };
  }

  /** Headline counters; "today" starts at 00:00 UTC. */
  async dashboard(): Promise<DashboardReport & { asOf: Date }> {
    const asOf = new Date(this.now());
    const startOfDay = new Date(Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate()));
    return { ...(await this.reader.dashboard(startOfDay)), asOf };
  }
}

function assertRange(from: Date | undefined, to: Date | undefined): void {
  if (from && to && from.getTime() >= to.getTime()) throw invalid('from', 'must be earlier than to');
}

function encodeJobCursor(job: JobReport): string {
  return Buffer.from(`${job.createdAtMicros}.${job.jobId}`, 'utf8').toString('base64url');
}

function decodeJobCursor(cursor: string): { createdAtMicros: number; jobId: string } {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,17})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(decoded);
  if (!match) throw invalid('cursor', 'is not a cursor this endpoint returned');
  return { createdAtMicros: Number(match[1]), jobId: match[2]! };
}
