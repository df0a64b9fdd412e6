import { CallLedger } from './call-ledger.ts';
import { CallWriteQueue, type AdmissionItem, type AdmissionVerdict, type SettlementItem, type WriteQueueLogger } from './call-write-queue.ts';
import type { Database } from './database.ts';

/** What a change made outside the ledger touches: its jobs (with their teams) and teams. */
export interface FenceScope {
  jobIds?: readonly string[];
  teamIds?: readonly string[];
}

interface Fence {
  count: number;
  done: Promise<void>;
  open: () => void;
}

interface Load {
  done: Promise<'found' | 'absent' | 'stale'>;
  /** A fence on its key started after the row was read: the result is dropped. */
  stale: boolean;
}

interface JobRow { team_id: string; status: string; expires_at: Date; max_calls: number | null; calls: number; max_cost_nanos: number | null; spent: number }
interface HoldRow { team_id: string; job_id: string; amount: number; status: string }

/**
 * Decisions waiting to be written beyond which a new admission waits for the next round: the database must
 * keep up with the calls it records, not fall behind without bound (its thread runs below the event loop).
 * Each waiting decision keeps its call's objects alive: at 2,048 a process at 100 connections held ~90 MB
 * more than at 512, for the same throughput (four full rounds of headroom).
 */
export const MAX_UNWRITTEN_DECISIONS = 512;
const HOLD = 'hold:';

/**
 * Call accounting decided in memory, for embedded PGlite (decision 012). The gateway is the database's
 * only user there, so it decides each admission and each hold change itself (`CallLedger`, the rules of
 * `admit_calls`/`settle_calls`) and at once, and the write queue applies the decisions to the database
 * behind the answer (`apply_decided_round`). A call no longer waits for a database round before its upstream
 * request. PostgreSQL, shared by instances, keeps deciding in the database.
 *
 * The ledger knows a job or team only as loaded from the database plus its own decisions since. Every
 * other change to those rows — opening or closing a job, a credit change, a hold expiring — runs inside
 * `fence()`: decisions on what it touches wait; every decision already taken is written first, so the
 * change sees it; afterwards the ledger forgets what it touched and reloads it on the next call. A load
 * that a fence overtook is dropped. So no decision is ever taken on a state the database does not have.
 *
 * One per database handle, kept in its single-owner state (several containers over one PGlite, as in
 * tests, share it).
 */
export class LocalCallAccounting {
  readonly ledger = new CallLedger();
  private readonly queue: CallWriteQueue;
  private readonly fences = new Map<string, Fence>();
  private readonly loads = new Map<string, Load>();
  /** Settlements still waiting to be decided (for a fence, or a row to load): not in the queue yet. */
  private readonly deciding = new Set<Promise<unknown>>();

  private constructor(private readonly db: Database, holdTtlSeconds: number, private readonly log?: WriteQueueLogger) {
    this.queue = new CallWriteQueue(db, holdTtlSeconds, log, undefined, 'decided');
  }

  /** The accounting of `db` (created on first use), or null where the database decides (PostgreSQL). */
  static attach(db: Database, holdTtlSeconds: number, log?: WriteQueueLogger): LocalCallAccounting | null {
    if (!db.singleOwner) return null;
    db.singleOwner.callAccounting ??= new LocalCallAccounting(db, holdTtlSeconds, log);
    return db.singleOwner.callAccounting;
  }

  static of(db: Database): LocalCallAccounting | undefined {
    return db.singleOwner?.callAccounting;
  }

  async admit(item: AdmissionItem): Promise<AdmissionVerdict> {
    const holds = item.hold_micro > 0;
    for (;;) {
      // One round at a time, not the whole backlog: waiting for all of it stalled calls for a second at saturation.
      if (this.queue.backlog >= MAX_UNWRITTEN_DECISIONS) { await this.queue.nextRound(); continue; }
      const fence = this.fenceOn(jobKey(item.job_id), holds ? teamKey(item.team_id) : null);
      if (fence) { await fence; continue; }
      if (!this.ledger.hasJob(item.job_id)) {
        const loaded = await this.loadJob(item.job_id);
        if (loaded === 'absent') return { kind: 'job_not_found' };
        continue;
      }
      if (holds && !this.ledger.hasTeam(item.team_id)) {
        const loaded = await this.loadTeam(item.team_id);
        if (loaded === 'absent') return { kind: 'insufficient_credits', available_micro: 0 };
        continue;
      }
      break;
    }
    const verdict = this.ledger.admit({
      jobId: item.job_id, teamId: item.team_id, worstCostNanos: item.worst_cost_nanos, holdMicro: item.hold_micro, reservationId: item.reservation_id,
    }, Date.now());
    if (verdict.kind === 'admitted') {
      this.queue.admit(item).catch((error: unknown) => {
        this.log?.error({ callId: item.call_id, err: error }, 'a decided admission could not be written; the call is not counted in its job');
      });
    }
    return verdict;
  }

  /** Decides the settlement's hold change, queues it; resolves when it is written. */
  settle(item: SettlementItem): Promise<void> {
    const decided = this.decideSettlement(item);
    if (decided instanceof Promise) {
      // Counted by `settled()` until it is queued, so a read after the answer still waits for it.
      const pending = decided.then((change) => this.queue.settle({ ...item, hold_change: change }));
      const done = pending.catch(() => undefined).finally(() => this.deciding.delete(done));
      this.deciding.add(done);
      return pending;
    }
    return this.queue.settle({ ...item, hold_change: decided });
  }

  /** The hold change, at once when the ledger knows the job, team and hold (the usual case); else once loaded. */
  private decideSettlement(item: SettlementItem): number | Promise<number> {
    const jobId = String(item.call.job_id);
    const reservationId = item.reservation_id;
    const known = this.fences.size === 0 && this.ledger.hasJob(jobId)
      && (!reservationId || (this.ledger.hasTeam(String(item.call.team_id)) && this.ledger.hasHold(reservationId)));
    return known ? this.applySettlement(item) : this.settleWhenKnown(item);
  }

  private async settleWhenKnown(item: SettlementItem): Promise<number> {
    const jobId = String(item.call.job_id);
    const teamId = String(item.call.team_id);
    const reservationId = item.reservation_id;
    for (;;) {
      const fence = this.fenceOn(jobKey(jobId), reservationId ? teamKey(teamId) : null);
      if (fence) { await fence; continue; }
      if (!this.ledger.hasJob(jobId) && await this.loadJob(jobId) !== 'absent') continue;
      if (reservationId && !this.ledger.hasTeam(teamId) && await this.loadTeam(teamId) !== 'absent') continue;
      if (reservationId && !this.ledger.hasHold(reservationId) && await this.loadHold(reservationId) !== 'absent') continue;
      break;
    }
    return this.applySettlement(item);
  }

  private applySettlement(item: SettlementItem): number {
    return this.ledger.settle({
      jobId: String(item.call.job_id), worstCostNanos: item.worst_cost_nanos, clientCostNanos: Number(item.call.client_cost_nanos),
      reservationId: item.reservation_id, actualHoldMicro: item.actual_hold_micro,
    });
  }

  /** Null when nothing is waiting to be decided or written; else resolves once what is pending now is written. */
  settled(): Promise<void> | null {
    if (this.deciding.size === 0) return this.queue.settled();
    return Promise.all(this.deciding).then(() => this.queue.settled() ?? undefined);
  }

  /**
   * Runs a change made outside the ledger to the jobs and teams of `scope` (their teams are looked up): the
   * ledger's decisions on them wait, the decisions already taken are written first, and the ledger forgets
   * them afterwards.
   */
  async fence<T>(scope: FenceScope, work: () => Promise<T>): Promise<T> {
    const jobIds = scope.jobIds ?? [];
    const teamIds = new Set(scope.teamIds ?? []);
    // Raised at once (a load already running is overtaken); a job's team, when not known here, once found.
    const keys = [...jobIds.map(jobKey), ...[...teamIds].map(teamKey)];
    for (const key of keys) this.raise(key);
    try {
      for (const jobId of jobIds) {
        const teamId = this.ledger.job(jobId)?.teamId ?? (await this.db.query<{ team_id: string }>('SELECT team_id FROM jobs WHERE job_id = $1', [jobId]))[0]?.team_id;
        if (teamId === undefined || teamIds.has(teamId)) continue;
        teamIds.add(teamId);
        keys.push(teamKey(teamId));
        this.raise(teamKey(teamId));
      }
      await this.queue.settled();
      return await work();
    } finally {
      this.ledger.forget({ jobIds, teamIds: [...teamIds] });
      for (const key of keys) this.lower(key);
    }
  }

  private raise(key: string): void {
    // A hold's row changes with its job or team (closing, expiry): any fence overtakes a hold being read.
    for (const [loadKey, load] of this.loads) if (loadKey === key || loadKey.startsWith(HOLD)) load.stale = true;
    const fence = this.fences.get(key);
    if (fence) { fence.count += 1; return; }
    let open!: () => void;
    const done = new Promise<void>((resolve) => { open = resolve; });
    this.fences.set(key, { count: 1, done, open });
  }

  private lower(key: string): void {
    const fence = this.fences.get(key)!;
    fence.count -= 1;
    if (fence.count > 0) return;
    this.fences.delete(key);
    fence.open();
  }

  private fenceOn(first: string, second: string | null): Promise<void> | undefined {
    if (this.fences.size === 0) return undefined;
    return this.fences.get(first)?.done ?? (second === null ? undefined : this.fences.get(second)?.done);
  }

  private loadJob(jobId: string): Promise<'found' | 'absent' | 'stale'> {
    return this.load(jobKey(jobId), async () => {
      const rows = await this.db.query<JobRow>(
        `SELECT team_id, status, expires_at, max_calls, total_calls + in_flight_calls AS calls, max_cost_nanos, client_cost_nanos + pending_cost_nanos AS spent
           FROM jobs WHERE job_id = $1`, [jobId]);
      const row = rows[0];
      return row && (() => this.ledger.putJob(jobId, {
        teamId: row.team_id, status: row.status, expiresAtMs: new Date(row.expires_at).getTime(), maxCalls: row.max_calls, calls: row.calls,
        maxCostNanos: row.max_cost_nanos, spentNanos: row.spent,
      }));
    });
  }

  private loadTeam(teamId: string): Promise<'found' | 'absent' | 'stale'> {
    return this.load(teamKey(teamId), async () => {
      const rows = await this.db.query<{ available: number }>('SELECT credits_allocated - credits_used - credits_reserved AS available FROM teams WHERE team_id = $1', [teamId]);
      const row = rows[0];
      return row && (() => this.ledger.putTeam(teamId, row.available));
    });
  }

  /** A hold forgotten by a fence while its call ran: as the database has it now (released, or its amount). */
  private loadHold(reservationId: string): Promise<'found' | 'absent' | 'stale'> {
    return this.load(HOLD + reservationId, async () => {
      const rows = await this.db.query<HoldRow>('SELECT team_id, job_id, amount, status FROM reservations WHERE reservation_id = $1', [reservationId]);
      const row = rows[0];
      return row && (() => this.ledger.putHold(reservationId, { teamId: row.team_id, jobId: row.job_id, amount: row.amount, held: row.status === 'held' }));
    });
  }

  /**
   * Reads a row once however many calls wait for it; puts it in the ledger unless a fence on its key
   * started meanwhile (`stale`: the caller looks again).
   */
  private load(key: string, read: () => Promise<(() => void) | undefined>): Promise<'found' | 'absent' | 'stale'> {
    const running = this.loads.get(key);
    if (running) return running.done;
    const load: Load = { stale: false, done: Promise.resolve('stale') };
    load.done = read().then((put) => {
      if (load.stale) return 'stale';
      if (!put) return 'absent';
      put();
      return 'found';
    }).finally(() => this.loads.delete(key));
    this.loads.set(key, load);
    return load.done;
  }
}

/**
 * Runs `work`, a change to jobs' or teams' accounting rows made outside the call ledger, inside the ledger's
 * fence when `db` has one (embedded PGlite); as it is otherwise.
 */
export function fenced<T>(db: Database, scope: FenceScope, work: () => Promise<T>): Promise<T> {
  const accounting = LocalCallAccounting.of(db);
  return accounting ? accounting.fence(scope, work) : work();
}

function jobKey(jobId: string): string {
  return `job:${jobId}`;
}

function teamKey(teamId: string): string {
  return `team:${teamId}`;
}
