import type { BudgetMode, FailedJobPolicy, LedgerEntryType, RefillPeriod, TeamStatus } from '@saas-llm/protocol';
import { DomainError, invalid, notFound } from './errors.ts';
import { MICRO_PER_CREDIT, microToCredits } from './money.ts';
import type { TeamChangeFeed } from './team-changes.ts';

/** A team's credit account; every amount in integer micro-credits. */
export interface CreditAccount {
  teamId: string;
  organizationId: string;
  status: TeamStatus;
  allocatedMicro: number;
  usedMicro: number;
  /** Held by open work (jobs and calls); released or settled when the work ends. */
  reservedMicro: number;
  budgetMode: BudgetMode;
  failedJobPolicy: FailedJobPolicy;
  /** Credits per USD of client cost, up to 6 decimals. */
  creditsPerDollar: number;
  tokensPerCredit: number;
  autoRefill: AutoRefillSettings;
}

export interface AutoRefillSettings {
  enabled: boolean;
  amountMicro: number | null;
  period: RefillPeriod | null;
}

/** Credits remaining = allocated − used; the ledger sums to this. */
export const remainingMicro = (account: CreditAccount): number => account.allocatedMicro - account.usedMicro;
/** What new work may reserve: remaining − reserved. */
export const availableMicro = (account: CreditAccount): number => remainingMicro(account) - account.reservedMicro;

/** One append-only ledger row. Balances are credits remaining before and after it. */
export interface LedgerEntry {
  transactionId: number;
  teamId: string;
  type: LedgerEntryType;
  /** Signed: positive adds to the balance. */
  amountMicro: number;
  balanceBeforeMicro: number;
  balanceAfterMicro: number;
  jobId: string | null;
  actor: string;
  reason: string | null;
  paymentType: PaymentType | null;
  paymentAmountNanos: number | null;
  createdAt: Date;
}

export type PaymentType = 'subscription' | 'one_time';

/** A balance change made by an operator or the refill scheduler (job charges are written by the job store). */
export interface BalanceChange {
  type: Exclude<LedgerEntryType, 'deduction'>;
  amountMicro: number;
  actor: string;
  reason: string | null;
  paymentType: PaymentType | null;
  paymentAmountNanos: number | null;
}

export type BalanceChangeOutcome =
  | { kind: 'applied'; entry: LedgerEntry; account: CreditAccount }
  | { kind: 'team_not_found' }
  /** A negative change would have left less remaining than is reserved by open work. */
  | { kind: 'below_reserved'; account: CreditAccount };

export interface CreditTermsPatch {
  budgetMode?: BudgetMode;
  failedJobPolicy?: FailedJobPolicy;
  creditsPerDollar?: number;
  tokensPerCredit?: number;
}

export interface LedgerPageRequest {
  limit: number;
  /** Only entries with a smaller transaction id (keyset pagination, newest first). */
  beforeId: number | null;
  type: LedgerEntryType | null;
}

/** Port: the credit accounts and their ledger. Every balance change is one database transaction. */
export interface CreditLedgerStore {
  account(teamId: string): Promise<CreditAccount | null>;
  /**
   * Changes `credits_allocated` by `change.amountMicro` and appends the ledger row, atomically; a
   * negative change is refused when it would leave remaining < reserved.
   */
  applyChange(teamId: string, change: BalanceChange): Promise<BalanceChangeOutcome>;
  /** Newest first; `limit` rows at most. */
  entries(teamId: string, page: LedgerPageRequest): Promise<LedgerEntry[]>;
  updateTerms(teamId: string, patch: CreditTermsPatch): Promise<CreditAccount | null>;
  updateAutoRefill(teamId: string, settings: AutoRefillSettings): Promise<CreditAccount | null>;
  /** Teams whose auto-refill is enabled with an amount and a period. */
  autoRefillTeams(): Promise<Array<{ teamId: string; period: RefillPeriod }>>;
  /**
   * Tops the team up by its refill amount once for `periodKey`: a unique row per (team, period) makes a
   * second run — on this instance or another — a no-op.
   */
  applyAutoRefill(teamId: string, periodKey: string, actor: string): Promise<'applied' | 'already_applied' | 'not_eligible'>;
}

/** The largest single credit movement accepted: keeps every micro-credit sum an exact JS integer. */
const MAX_CHANGE_MICRO = 1_000_000_000 * MICRO_PER_CREDIT;

/**
 * Operator-facing credit operations: grants, paid replenishments, signed adjustments, budget settings and
 * auto-refill. Reservations and job charges belong to the job pipeline; this service only reads them.
 */
export class CreditLedger {
  constructor(private readonly store: CreditLedgerStore, private readonly changes: TeamChangeFeed) {}

  async balance(teamId: string): Promise<CreditAccount> {
    const account = await this.store.account(teamId);
    if (!account) throw notFound('Team', teamId);
    return account;
  }

  /** Grants credits (an `allocation` row). */
  add(teamId: string, amountMicro: number, reason: string | null, actor: string): Promise<{ entry: LedgerEntry; account: CreditAccount }> {
    assertPositive('credits', amountMicro);
    return this.apply(teamId, { type: 'allocation', amountMicro, actor, reason: reason ?? 'Manual credit allocation', paymentType: null, paymentAmountNanos: null });
  }

  /** Credits bought by the tenant (an `allocation` row carrying the payment). */
  replenish(teamId: string, input: { amountMicro: number; paymentType: PaymentType; paymentAmountNanos: number | null; reason: string | null }, actor: string) {
    assertPositive('credits', input.amountMicro);
    const reason = input.reason ?? (input.paymentType === 'subscription' ? 'Subscription replenishment' : 'One-time purchase');
    return this.apply(teamId, { type: 'allocation', amountMicro: input.amountMicro, actor, reason, paymentType: input.paymentType, paymentAmountNanos: input.paymentAmountNanos });
  }

  /** A signed correction (an `adjustment` row); a negative one may not eat into reserved credits. */
  adjust(teamId: string, amountMicro: number, reason: string, actor: string): Promise<{ entry: LedgerEntry; account: CreditAccount }> {
    if (amountMicro === 0) throw invalid('credits', 'must not be 0 (at least 0.000001 either way)');
    if (Math.abs(amountMicro) > MAX_CHANGE_MICRO) throw invalid('credits', `must be at most ${microToCredits(MAX_CHANGE_MICRO)} either way`);
    return this.apply(teamId, { type: 'adjustment', amountMicro, actor, reason, paymentType: null, paymentAmountNanos: null });
  }

  /** Whether `neededMicro` could be reserved now. */
  async check(teamId: string, neededMicro: number): Promise<{ sufficient: boolean; account: CreditAccount }> {
    const account = await this.balance(teamId);
    return { sufficient: availableMicro(account) >= neededMicro, account };
  }

  async transactions(teamId: string, page: LedgerPageRequest): Promise<{ entries: LedgerEntry[]; nextCursor: string | null }> {
    await this.balance(teamId);
    const rows = await this.store.entries(teamId, { ...page, limit: page.limit + 1 });
    const entries = rows.slice(0, page.limit);
    const last = entries.at(-1);
    return { entries, nextCursor: rows.length > page.limit && last ? String(last.transactionId) : null };
  }

  async updateTerms(teamId: string, patch: CreditTermsPatch): Promise<CreditAccount> {
    const account = await this.store.updateTerms(teamId, patch);
    if (!account) throw notFound('Team', teamId);
    this.changes.publish(teamId);
    return account;
  }

  /** Merges `patch` into the current settings; enabling needs a positive amount and a period. */
  async configureAutoRefill(teamId: string, patch: Partial<AutoRefillSettings>): Promise<CreditAccount> {
    const current = await this.balance(teamId);
    const settings: AutoRefillSettings = {
      enabled: patch.enabled ?? current.autoRefill.enabled,
      amountMicro: patch.amountMicro !== undefined ? patch.amountMicro : current.autoRefill.amountMicro,
      period: patch.period !== undefined ? patch.period : current.autoRefill.period,
    };
    if (settings.amountMicro !== null && settings.amountMicro > MAX_CHANGE_MICRO) throw invalid('refill_amount', `must be at most ${microToCredits(MAX_CHANGE_MICRO)}`);
    if (settings.enabled && !(settings.amountMicro && settings.amountMicro > 0)) throw invalid('refill_amount', 'must be greater than 0 to enable auto-refill');
    if (settings.enabled && !settings.period) throw invalid('refill_period', 'is required to enable auto-refill (daily, weekly or monthly)');
    const account = await this.store.updateAutoRefill(teamId, settings);
    if (!account) throw notFound('Team', teamId);
    return account;
  }

  /**
   * Tops up every team with auto-refill enabled, once per period whatever the number of instances
   * running this; for the background scheduler. Returns the number of refills applied.
   */
  async runAutoRefills(now: Date, actor = 'system:auto-refill'): Promise<number> {
    let applied = 0;
    for (const team of await this.store.autoRefillTeams()) {
      if ((await this.store.applyAutoRefill(team.teamId, refillPeriodKey(team.period, now), actor)) === 'applied') applied += 1;
    }
    return applied;
  }

  private async apply(teamId: string, change: BalanceChange): Promise<{ entry: LedgerEntry; account: CreditAccount }> {
    const outcome = await this.store.applyChange(teamId, change);
    switch (outcome.kind) {
      case 'applied':
        return { entry: outcome.entry, account: outcome.account };
      case 'team_not_found':
        throw notFound('Team', teamId);
      case 'below_reserved': {
        const remaining = remainingMicro(outcome.account);
        const reserved = outcome.account.reservedMicro;
        throw new DomainError(
          'conflict',
          `Adjusting team '${teamId}' by ${microToCredits(change.amountMicro)} credits would leave ${microToCredits(remaining + change.amountMicro)} credits remaining, ` +
            `below the ${microToCredits(reserved)} credits reserved by open work; at most ${microToCredits(Math.max(0, remaining - reserved))} credits can be removed now.`,
          'credits',
          { credits_remaining: microToCredits(remaining), credits_reserved: microToCredits(reserved), credits_available: microToCredits(remaining - reserved) },
        );
      }
    }
  }
}

function assertPositive(param: string, amountMicro: number): void {
  if (!(amountMicro > 0)) throw invalid(param, 'must be at least 0.000001');
  if (amountMicro > MAX_CHANGE_MICRO) throw invalid(param, `must be at most ${microToCredits(MAX_CHANGE_MICRO)}`);
}

/** The UTC period a refill belongs to: `day:2026-11-24`, `week:2026-11-23` (its Monday), `month:2026-11`. */
export function refillPeriodKey(period: RefillPeriod, now: Date): string {
  const day = now.toISOString().slice(0, 10);
  switch (period) {
    case 'daily':
      return `day:${day}`;
    case 'weekly': {
      const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - ((now.getUTCDay() + 6) % 7)));
      return `week:${monday.toISOString().slice(0, 10)}`;
    }
    case 'monthly':
      return `month:${day.slice(0, 7)}`;
  }
}
