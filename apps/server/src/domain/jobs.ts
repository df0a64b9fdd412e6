import type { CallTotals } from './call-totals.ts';
import type { CreditTerms, FinalJobStatus } from './job-charge.ts';

export const OPEN_JOB_STATUSES = ['pending', 'in_progress'] as const;
export type JobStatus = 'pending' | 'in_progress' | FinalJobStatus;

/** A job's counters, kept up to date as its calls finish. */
export interface JobCallCounters extends CallTotals {
  totalCalls: number;
  successfulCalls: number;
  failedCalls: number;
}

/** A job as stored; money in nano-dollars, credits in micro-credits. */
export interface JobRecord extends JobCallCounters {
  jobId: string;
  teamId: string;
  keyId: string | null;
  userId: string | null;
  jobType: string;
  status: JobStatus;
  idempotencyKey: string | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  expiresAt: Date;
  metadata: Record<string, unknown>;
  result: unknown;
  errorMessage: string | null;
  maxCostNanos: number | null;
  maxCalls: number | null;
  creditApplied: boolean;
  creditsChargedMicro: number;
  modelGroupsUsed: string[];
  totalLatencyMs: number;
  inFlightCalls: number;
}

export interface NewJob {
  jobId: string;
  teamId: string;
  keyId: string | null;
  userId: string | null;
  jobType: string;
  idempotencyKey: string | null;
  expiresAt: Date;
  metadata: Record<string, unknown>;
  maxCostNanos: number | null;
  maxCalls: number | null;
}

/** One call of a job as the completion summary lists it. */
export interface CallSummary {
  callId: string;
  purpose: string | null;
  modelGroup: string | null;
  status: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  clientCostNanos: number;
  latencyMs: number | null;
  error: unknown;
  createdAt: Date;
}

export type OpenJobOutcome =
  | { kind: 'opened'; job: JobRecord }
  | { kind: 'insufficient_credits'; availableMicro: number }
  | { kind: 'team_not_found' };

export type CloseJobOutcome =
  | { kind: 'closed'; job: JobRecord; remainingMicro: number }
  | { kind: 'already_closed'; job: JobRecord; remainingMicro: number }
  | { kind: 'not_found' };

/** Port: durable job state and the credit operations that must be atomic with it. */
export interface JobStore {
  /** Inserts the job and holds `holdMicro` on the team in one transaction, if available ≥ hold. */
  open(job: NewJob, holdMicro: number): Promise<OpenJobOutcome>;
  findByIdempotencyKey(teamId: string, idempotencyKey: string, since: Date): Promise<JobRecord | null>;
  get(jobId: string): Promise<JobRecord | null>;
  /** Shallow-merges into metadata; returns the merged object (null when the job does not exist). */
  mergeMetadata(jobId: string, patch: Record<string, unknown>): Promise<Record<string, unknown> | null>;
  /**
   * Closes an open job: under a lock on the job and its team, computes the charge with `charge`, releases
   * every hold of the job, writes the single deduction to the ledger and the final state. A job already
   * closed is returned unchanged (never charged twice).
   */
  close(jobId: string, status: FinalJobStatus, fields: { result?: unknown; metadata?: Record<string, unknown>; errorMessage?: string | null }, charge: (job: JobRecord, terms: CreditTerms) => number, actor: string): Promise<CloseJobOutcome>;
  listCalls(jobId: string): Promise<CallSummary[]>;
  /** Open jobs whose expiry has passed (for the sweeper). */
  listExpired(now: Date, limit: number): Promise<string[]>;
  countOpen(teamId: string): Promise<number>;
  listForTeam(teamId: string, filter: { limit: number; cursor: { createdAt: Date; jobId: string } | null; status?: string; jobType?: string; from?: Date; to?: Date }): Promise<JobRecord[]>;
}
