import { DomainError } from './errors.ts';
import { jobChargeMicro, type CreditTerms, type FinalJobStatus } from './job-charge.ts';
import type { CallSummary, JobRecord, JobStore } from './jobs.ts';
import { MICRO_PER_CREDIT, usdToNanos } from './money.ts';

/** What the job service needs to know about a team (cached by the team service). */
export interface TeamStanding {
  teamId: string;
  status: 'active' | 'suspended' | 'paused';
  maxOpenJobs: number | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxConcurrentCalls: number | null;
  costMarkupPercentage: number;
  bodyLogging: 'full' | 'metadata' | 'none';
  terms: CreditTerms;
}

/** Port: team lookups for admission checks. */
export interface TeamStandingSource {
  getStanding(teamId: string): Promise<TeamStanding | null>;
}

/** Port: in-flight calls of jobs (owned by the gateway): waited for at completion, aborted at cancel. */
export interface InFlightCalls {
  /** Resolves when no call of the job is running, or after `timeoutMs`. */
  waitForJob(jobId: string, timeoutMs: number): Promise<void>;
  abortJob(jobId: string): number;
}

export interface CreateJobInput {
  teamId: string;
  keyId: string | null;
  jobType: string;
  userId?: string | null;
  metadata?: Record<string, unknown>;
  maxCostUsd?: number | null;
  maxCalls?: number | null;
  ttlSeconds?: number | null;
  idempotencyKey?: string | null;
}

export interface CloseResult {
  job: JobRecord;
  calls: CallSummary[];
  remainingMicro: number;
}

const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;
/** Completion waits at most this long for a still-streaming call of the job, so its cost is included. */
const COMPLETE_WAIT_MS = 30_000;

/** Job lifecycle: open with a held minimum charge, read, close exactly once with the charge of its budget mode. */
export class JobService {
  constructor(
    private readonly jobs: JobStore,
    private readonly teams: TeamStandingSource,
    private readonly inFlight: InFlightCalls,
    private readonly defaultTtlSeconds: number,
    /** Told once per job, when this process closes it (metrics). */
    private readonly onClosed: (job: JobRecord) => void = () => undefined,
  ) {}

  /** Refuses suspended and paused teams; reads are allowed, work is not. */
  async assertTeamMayWork(teamId: string): Promise<TeamStanding> {
    const standing = await this.teams.getStanding(teamId);
    if (!standing) throw new DomainError('invalid_api_key', 'Invalid API key: it is missing, unknown, revoked or expired.');
    if (standing.status === 'suspended') throw new DomainError('team_suspended', `Team '${teamId}' is suspended.`);
    if (standing.status === 'paused') throw new DomainError('team_paused', `Team '${teamId}' is paused.`);
    return standing;
  }

  async create(input: CreateJobInput): Promise<JobRecord> {
    const standing = await this.assertTeamMayWork(input.teamId);
    if (input.idempotencyKey) {
      const existing = await this.jobs.findByIdempotencyKey(input.teamId, input.idempotencyKey, new Date(Date.now() - IDEMPOTENCY_WINDOW_MS));
      if (existing) return existing;
    }
    if (standing.maxOpenJobs !== null && (await this.jobs.countOpen(input.teamId)) >= standing.maxOpenJobs) {
      throw new DomainError('rate_limited', `Team '${input.teamId}' has reached its limit of ${standing.maxOpenJobs} open jobs.`, null, {}, { 'retry-after': '1' });
    }
    const ttl = input.ttlSeconds ?? this.defaultTtlSeconds;
    const outcome = await this.jobs.open({
      jobId: crypto.randomUUID(), teamId: input.teamId, keyId: input.keyId, userId: input.userId ?? null, jobType: input.jobType,
      idempotencyKey: input.idempotencyKey ?? null, expiresAt: new Date(Date.now() + ttl * 1000), metadata: input.metadata ?? {},
      maxCostNanos: input.maxCostUsd == null ? null : usdToNanos(input.maxCostUsd), maxCalls: input.maxCalls ?? null,
    }, MICRO_PER_CREDIT).catch(async (error: unknown) => {
      // Two creates racing on one idempotency key: the loser returns the winner's job.
      if (input.idempotencyKey && (error as { code?: string }).code === '23505') {
        const existing = await this.jobs.findByIdempotencyKey(input.teamId, input.idempotencyKey, new Date(Date.now() - IDEMPOTENCY_WINDOW_MS));
        if (existing) return { kind: 'opened' as const, job: existing };
      }
      throw error;
    });
    if (outcome.kind === 'insufficient_credits') {
      const available = outcome.availableMicro / MICRO_PER_CREDIT;
      throw new DomainError('insufficient_credits', `Team '${input.teamId}' has ${available} credits available; this job needs 1.`, null,
        { credits_available: available, credits_required: 1 });
    }
    if (outcome.kind === 'team_not_found') throw new DomainError('invalid_api_key', 'Invalid API key: it is missing, unknown, revoked or expired.');
    return outcome.job;
  }

  /** The job of this team, or 404 as if it did not exist. */
  async get(teamId: string, jobId: string): Promise<JobRecord> {
    const job = await this.jobs.get(jobId);
    if (!job || job.teamId !== teamId) throw new DomainError('job_not_found', `Job '${jobId}' was not found.`);
    return job;
  }

  async mergeMetadata(teamId: string, jobId: string, patch: Record<string, unknown>): Promise<Record<string, unknown>> {
    await this.get(teamId, jobId);
    return (await this.jobs.mergeMetadata(jobId, patch)) ?? {};
  }

  listCalls(jobId: string): Promise<CallSummary[]> {
    return this.jobs.listCalls(jobId);
  }

  /**
   * Closes the job with a final status. Idempotent: the same final status again returns the same result
   * and charges nothing more; a different final status of a closed job is 409 `job_state_conflict`.
   */
  async complete(teamId: string, jobId: string, status: Exclude<FinalJobStatus, 'expired'>, fields: { result?: unknown; metadata?: Record<string, unknown>; errorMessage?: string | null }, actor: string): Promise<CloseResult> {
    const job = await this.get(teamId, jobId);
    if (job.status === 'pending' || job.status === 'in_progress') {
      if (status === 'cancelled') this.inFlight.abortJob(jobId);
      await this.inFlight.waitForJob(jobId, COMPLETE_WAIT_MS);
    }
    return this.close(jobId, status, fields, actor, true);
  }

  /** Closes an expired open job (the sweeper). */
  async expire(jobId: string): Promise<void> {
    this.inFlight.abortJob(jobId);
    await this.close(jobId, 'expired', { errorMessage: 'The job passed its TTL while open.' }, 'system:sweeper', false);
  }

  private async close(jobId: string, status: FinalJobStatus, fields: { result?: unknown; metadata?: Record<string, unknown>; errorMessage?: string | null }, actor: string, strict: boolean): Promise<CloseResult> {
    const outcome = await this.jobs.close(jobId, status, fields, (job, terms) => jobChargeMicro(terms, status, job), actor);
    if (outcome.kind === 'not_found') throw new DomainError('job_not_found', `Job '${jobId}' was not found.`);
    if (outcome.kind === 'closed') this.onClosed(outcome.job);
    if (outcome.kind === 'already_closed' && strict && outcome.job.status !== status) {
      throw new DomainError('job_state_conflict', `Job '${jobId}' is already ${outcome.job.status}; it cannot become ${status}.`);
    }
    return { job: outcome.job, calls: await this.jobs.listCalls(jobId), remainingMicro: outcome.remainingMicro };
  }
}
