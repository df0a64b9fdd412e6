import type { Database } from './database.ts';

/** One element of `admit_calls` (migration 0002), in its JSON shape. */
export interface AdmissionItem {
  call_id: string;
  job_id: string;
  team_id: string;
  worst_cost_nanos: number;
  hold_micro: number;
  reservation_id: string | null;
  /** Decided accounting, set per statement: settled in the same statement, its hold written at this amount. */
  coalesced?: boolean;
  settled_hold_micro?: number;
}

/** `admit_calls`'s verdict for one element. */
export type AdmissionVerdict =
  | { kind: 'admitted' }
  | { kind: 'job_not_found' }
  | { kind: 'job_closed'; status: string }
  | { kind: 'max_calls'; max_calls: number }
  | { kind: 'max_cost'; max_cost_nanos: number; spent_nanos: number }
  | { kind: 'insufficient_credits'; available_micro: number };

/** One element of `settle_calls` (migration 0002), in its JSON shape. */
export interface SettlementItem {
  call: Record<string, unknown>;
  attempts: Array<Record<string, unknown>>;
  worst_cost_nanos: number;
  succeeded: boolean;
  /** Decided accounting: the change of the hold, applied as it is (else the database computes it). */
  hold_change?: number;
  /** Decided accounting, set per statement: admitted in the same statement (see `AdmissionItem`). */
  coalesced?: boolean;
  model_group: string | null;
  metadata: Record<string, unknown> | null;
  reservation_id: string | null;
  actual_hold_micro: number;
}

interface Pending<I, R> {
  item: I;
  resolve(result: R): void;
  reject(error: unknown): void;
  tries: number;
}

export interface WriteQueueLogger {
  error(details: Record<string, unknown>, message: string): void;
}

/**
 * Who decides: the database (`admit_calls`/`account_calls`: PostgreSQL, shared by instances) or the caller,
 * which then queues decisions for the database to apply (`apply_decided_round`: embedded PGlite, decisions 012, 016).
 */
export type AccountingMode = 'database' | 'decided';

const ADMITTED: AdmissionVerdict = { kind: 'admitted' };

/** Elements per statement: large enough to amortise a statement, small enough to keep one under a few ms. */
const MAX_BATCH = 128;
/** A settlement that failed alone is tried again after these delays, then reported (its hold expires). */
const SETTLEMENT_RETRY_MS: readonly number[] = [100, 1000, 5000];

/**
 * The database writes of calls, grouped (decision 010). Admissions and settlements wait here while the
 * previous batch runs, then go as one `admit_calls` and one `settle_calls` statement each — settlements
 * first, so an admission always sees the accounting of every call answered before it was asked. One
 * batch runs at a time per process; at low load a batch holds one call and nothing waits.
 *
 * A batch that fails (one bad element aborts its statement) is retried element by element, so each
 * element gets its own result or error. `settled()` is the barrier for reads: it resolves when every
 * settlement queued so far is written.
 *
 * In `decided` mode the admissions are decisions already taken: they are written before the settlements
 * (a call admitted and settled within one round finds its hold), never after a settlement of theirs, and
 * `settled()` waits for them too.
 */
export class CallWriteQueue {
  private admissions: Array<Pending<AdmissionItem, AdmissionVerdict>> = [];
  private settlements: Array<Pending<SettlementItem, void>> = [];
  private draining: Promise<void> | null = null;
  private scheduled = false;
  /** Who waits for the round being written to end (`nextRound`). */
  private roundWaiters: Array<() => void> = [];
  /** Every settlement not yet written (or given up on): what `settled()` waits for. */
  private readonly unsettled = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Database,
    private readonly holdTtlSeconds: number,
    private readonly log?: WriteQueueLogger,
    private readonly retryDelaysMs: readonly number[] = SETTLEMENT_RETRY_MS,
    private readonly mode: AccountingMode = 'database',
  ) {}

  /** The verdict (database mode), or the decided admission written (decided mode). */
  admit(item: AdmissionItem): Promise<AdmissionVerdict> {
    const verdict = new Promise<AdmissionVerdict>((resolve, reject) => {
      this.admissions.push({ item, resolve, reject, tries: 0 });
      this.schedule();
    });
    if (this.mode === 'decided') this.track(verdict);
    return verdict;
  }

  /** Resolves when the settlement is written; rejects when it could not be, after its retries. */
  settle(item: SettlementItem): Promise<void> {
    const written = new Promise<void>((resolve, reject) => {
      this.settlements.push({ item, resolve, reject, tries: 0 });
      this.schedule();
    });
    this.track(written);
    return written;
  }

  private track(write: Promise<unknown>): void {
    const done = write.catch(() => undefined).finally(() => this.unsettled.delete(done));
    this.unsettled.add(done);
  }

  /** Writes queued or being written that `settled()` waits for (decided mode: admissions too). */
  get backlog(): number {
    return this.unsettled.size;
  }

  /**
   * Resolves when the round being written (or the next one, if one is gathering) has been written; with no
   * round coming (only retries pending), when everything is.
   */
  nextRound(): Promise<void> {
    if (!this.draining && !this.scheduled) return this.settled() ?? Promise.resolve();
    return new Promise((resolve) => this.roundWaiters.push(resolve));
  }

  /** Null when nothing is queued or being written (callers skip the await); else resolves once it is. */
  settled(): Promise<void> | null {
    if (this.unsettled.size === 0) return null;
    return Promise.all(this.unsettled).then(() => undefined);
  }

  private schedule(): void {
    if (this.scheduled || this.draining) return;
    this.scheduled = true;
    // Calls whose requests arrived in the same turn of the event loop share the first batch.
    setImmediate(() => {
      this.scheduled = false;
      this.draining = this.drain().finally(() => {
        this.draining = null;
        if (this.admissions.length > 0 || this.settlements.length > 0) this.schedule();
      });
    });
  }

  private async drain(): Promise<void> {
    while (this.admissions.length > 0 || this.settlements.length > 0) {
      const admissions = this.admissions.splice(0, MAX_BATCH);
      // Decided: a settlement never goes before its admission, which may be among those left for later.
      const settlements = this.mode === 'decided' && this.admissions.length > 0 ? [] : this.settlements.splice(0, MAX_BATCH);
      if (settlements.length > 0 && admissions.length > 0 && await this.writeRound(settlements, admissions)) continue;
      if (this.mode === 'decided' && admissions.length > 0) await this.writeAdmissions(admissions);
      if (settlements.length > 0) await this.writeSettlements(settlements);
      if (this.mode === 'database' && admissions.length > 0) await this.writeAdmissions(admissions);
      const waiters = this.roundWaiters;
      this.roundWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * Settlements and admissions as one statement (`account_calls`): one round trip and one commit. False
   * when it failed: nothing of it was applied, and each kind is then written on its own, element by element.
   */
  private async writeRound(settlements: Array<Pending<SettlementItem, void>>, admissions: Array<Pending<AdmissionItem, AdmissionVerdict>>): Promise<boolean> {
    let verdicts: AdmissionVerdict[];
    try {
      if (this.mode === 'decided') {
        await this.apply(admissions.map((pending) => pending.item), settlements.map((pending) => pending.item));
        verdicts = admissions.map(() => ADMITTED);
      } else {
        const rows = await this.db.query<{ verdicts: AdmissionVerdict[] | string }>('SELECT account_calls($1::jsonb, $2::jsonb, $3::int) AS verdicts',
          [JSON.stringify(settlements.map((pending) => pending.item)), JSON.stringify(admissions.map((pending) => pending.item)), this.holdTtlSeconds]);
        verdicts = parseVerdicts(rows[0]?.verdicts, admissions.length);
      }
    } catch {
      return false;
    }
    for (const pending of settlements) pending.resolve();
    admissions.forEach((pending, index) => pending.resolve(verdicts[index]!));
    return true;
  }

  private async writeAdmissions(batch: Array<Pending<AdmissionItem, AdmissionVerdict>>): Promise<void> {
    try {
      const verdicts = await this.admitBatch(batch.map((pending) => pending.item));
      batch.forEach((pending, index) => pending.resolve(verdicts[index]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const pending of batch) {
        await this.admitBatch([pending.item]).then((verdicts) => pending.resolve(verdicts[0]!), pending.reject);
      }
    }
  }

  private async admitBatch(items: AdmissionItem[]): Promise<AdmissionVerdict[]> {
    if (this.mode === 'decided') {
      await this.apply(items, []);
      return items.map(() => ADMITTED);
    }
    const rows = await this.db.query<{ verdicts: AdmissionVerdict[] | string }>('SELECT admit_calls($1::jsonb, $2::int) AS verdicts', [JSON.stringify(items), this.holdTtlSeconds]);
    return parseVerdicts(rows[0]?.verdicts, items.length);
  }

  private async writeSettlements(batch: Array<Pending<SettlementItem, void>>): Promise<void> {
    try {
      await this.settleBatch(batch.map((pending) => pending.item));
      for (const pending of batch) pending.resolve();
    } catch (error) {
      // `settle_calls` skips calls already recorded, so retrying the elements one by one is safe.
      for (const pending of batch) {
        await this.settleBatch([pending.item]).then(() => pending.resolve(), (failure: unknown) => this.retryLater(pending, batch.length === 1 ? error : failure));
      }
    }
  }

  private async settleBatch(items: SettlementItem[]): Promise<void> {
    if (this.mode === 'decided') await this.apply([], items);
    else await this.db.query('SELECT settle_calls($1::jsonb) AS settled', [JSON.stringify(items)]);
  }

  private async apply(admissions: AdmissionItem[], settlements: SettlementItem[]): Promise<void> {
    const [admitted, settled] = coalesce(admissions, settlements);
    await this.db.query('SELECT apply_decided_round($1::jsonb, $2::jsonb, $3::int)', [JSON.stringify(admitted), JSON.stringify(settled), this.holdTtlSeconds]);
  }

  private retryLater(pending: Pending<SettlementItem, void>, error: unknown): void {
    const delay = this.retryDelaysMs[pending.tries];
    if (delay === undefined) {
      this.log?.error({ callId: pending.item.call.call_id, err: error }, 'call settlement failed after retries; its hold is released when it expires');
      pending.reject(error);
      return;
    }
    pending.tries += 1;
    setTimeout(() => {
      this.settleBatch([pending.item]).then(() => pending.resolve(), (failure: unknown) => this.retryLater(pending, failure));
    }, delay).unref();
  }
}

/**
 * Pairs the admission and the settlement of a call written in one statement (the usual case under load:
 * a round gathers while the previous one is written): the admission carries the hold's settled amount and
 * both are marked, so `apply_decided_round` writes the hold once and leaves the job's in-flight count alone.
 * Copies: the items themselves stay as queued, for a retry element by element.
 */
function coalesce(admissions: AdmissionItem[], settlements: SettlementItem[]): [AdmissionItem[], SettlementItem[]] {
  if (admissions.length === 0 || settlements.length === 0) return [admissions, settlements];
  const settledHere = new Map<string, SettlementItem>();
  for (const item of settlements) if (item.hold_change !== undefined) settledHere.set(String(item.call.call_id), item);
  if (settledHere.size === 0) return [admissions, settlements];
  const paired = new Set<string>();
  const admitted = admissions.map((item) => {
    const settlement = settledHere.get(item.call_id);
    if (!settlement) return item;
    paired.add(item.call_id);
    return { ...item, coalesced: true, ...(item.hold_micro > 0 ? { settled_hold_micro: item.hold_micro + settlement.hold_change! } : {}) };
  });
  if (paired.size === 0) return [admissions, settlements];
  return [admitted, settlements.map((item) => paired.has(String(item.call.call_id)) ? { ...item, coalesced: true } : item)];
}

function parseVerdicts(value: AdmissionVerdict[] | string | undefined, expected: number): AdmissionVerdict[] {
  const verdicts = typeof value === 'string' ? JSON.parse(value) as AdmissionVerdict[] : value;
  if (!Array.isArray(verdicts) || verdicts.length !== expected) throw new Error('the database returned a verdict count that does not match its batch');
  return verdicts;
}
