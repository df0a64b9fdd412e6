import type { AdmissionVerdict } from './call-write-queue.ts';

/** What admission needs of a job, as the database has it plus every decision made here since. */
export interface LedgerJob {
  teamId: string;
  status: string;
  expiresAtMs: number;
  maxCalls: number | null;
  /** total_calls + in_flight_calls */
  calls: number;
  maxCostNanos: number | null;
  /** client_cost_nanos + pending_cost_nanos */
  spentNanos: number;
}

/** A credit hold of a call between its admission and its settlement. */
export interface LedgerHold {
  teamId: string;
  jobId: string;
  amount: number;
  held: boolean;
}

/**
 * The accounting state calls are decided on, in memory (decision 012): jobs, teams' available credits,
 * and the holds of calls not yet settled. Every rule is the one `admit_calls` / `settle_calls` apply
 * (migrations 0002/0003), with the same arithmetic, so the state here is what the database holds once
 * the decisions are written. Pure: loading, fencing and writing are `LocalCallAccounting`'s.
 */
export class CallLedger {
  private readonly jobs = new Map<string, LedgerJob>();
  private readonly teams = new Map<string, number>();
  private readonly holds = new Map<string, LedgerHold>();

  hasJob(jobId: string): boolean { return this.jobs.has(jobId); }
  hasTeam(teamId: string): boolean { return this.teams.has(teamId); }
  hasHold(reservationId: string): boolean { return this.holds.has(reservationId); }
  job(jobId: string): Readonly<LedgerJob> | undefined { return this.jobs.get(jobId); }
  available(teamId: string): number | undefined { return this.teams.get(teamId); }

  putJob(jobId: string, job: LedgerJob): void { this.jobs.set(jobId, job); }
  putTeam(teamId: string, available: number): void { this.teams.set(teamId, available); }
  putHold(reservationId: string, hold: LedgerHold): void { this.holds.set(reservationId, hold); }

  /** Forgets jobs and teams (their rows changed outside the ledger), with the holds of those jobs and teams. */
  forget(scope: { jobIds: readonly string[]; teamIds: readonly string[] }): void {
    for (const jobId of scope.jobIds) this.jobs.delete(jobId);
    for (const teamId of scope.teamIds) this.teams.delete(teamId);
    for (const [reservationId, hold] of this.holds) {
      if (scope.jobIds.includes(hold.jobId) || scope.teamIds.includes(hold.teamId)) this.holds.delete(reservationId);
    }
  }

  /**
   * Decides a call's admission as `admit_calls` does, and applies it when admitted. The job must be known
   * (else: not found), and its team when the call holds credits (unknown team: nothing available).
   */
  admit(request: { jobId: string; teamId: string; worstCostNanos: number; holdMicro: number; reservationId: string | null }, nowMs: number): AdmissionVerdict {
    const job = this.jobs.get(request.jobId);
    if (!job || job.teamId !== request.teamId) return { kind: 'job_not_found' };
    if (job.status !== 'pending' && job.status !== 'in_progress') return { kind: 'job_closed', status: job.status };
    if (job.expiresAtMs <= nowMs) return { kind: 'job_closed', status: 'expired' };
    if (job.maxCalls !== null && job.calls >= job.maxCalls) return { kind: 'max_calls', max_calls: job.maxCalls };
    if (job.maxCostNanos !== null && job.spentNanos + request.worstCostNanos > job.maxCostNanos) {
      return { kind: 'max_cost', max_cost_nanos: job.maxCostNanos, spent_nanos: job.spentNanos };
    }
    if (request.holdMicro > 0) {
      const available = this.teams.get(request.teamId);
      if (available === undefined || available < request.holdMicro) return { kind: 'insufficient_credits', available_micro: available ?? 0 };
      this.teams.set(request.teamId, available - request.holdMicro);
      if (request.reservationId) this.holds.set(request.reservationId, { teamId: request.teamId, jobId: request.jobId, amount: request.holdMicro, held: true });
    }
    job.status = 'in_progress';
    job.calls += 1;
    job.spentNanos += request.worstCostNanos;
    return { kind: 'admitted' };
  }

  /**
   * Settles a call as `settle_calls` does: the job's spend moves from the worst case to the actual cost, and
   * a hold still held shrinks (or grows, as far as the team's available credits allow) to `actualHoldMicro`.
   * Returns the change of the hold, which the database then applies as it is. The caller loads the hold
   * and its team first; one unknown here is one the database does not have either (no change there).
   */
  settle(call: { jobId: string; worstCostNanos: number; clientCostNanos: number; reservationId: string | null; actualHoldMicro: number }): number {
    const job = this.jobs.get(call.jobId);
    if (job) job.spentNanos += call.clientCostNanos - call.worstCostNanos;
    if (!call.reservationId) return 0;
    const hold = this.holds.get(call.reservationId);
    if (!hold) return 0;
    this.holds.delete(call.reservationId);
    if (!hold.held) return 0;
    const available = this.teams.get(hold.teamId);
    if (available === undefined) return 0;
    const change = Math.min(call.actualHoldMicro, hold.amount + Math.max(0, available)) - hold.amount;
    this.teams.set(hold.teamId, available - change);
    return change;
  }
}
