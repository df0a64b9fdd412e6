import type { LedgerEntryType, RefillPeriod } from '@saas-llm/protocol';
import type {
  AutoRefillSettings, BalanceChange, BalanceChangeOutcome, CreditAccount, CreditLedgerStore, CreditTermsPatch, LedgerEntry, LedgerPageRequest, PaymentType,
} from '../domain/credit-ledger.ts';
import type { Database, Queryable } from './database.ts';
import { fenced } from './local-call-accounting.ts';
import { toCreditAccount, type TeamRow } from './tenancy-rows.ts';

interface LedgerRow {
  transaction_id: number; team_id: string; type: LedgerEntryType; amount: number; balance_before: number; balance_after: number;
  job_id: string | null; actor: string; reason: string | null; payment_type: PaymentType | null; payment_amount_nanos: number | null; created_at: Date;
}

function toLedgerEntry(row: LedgerRow): LedgerEntry {
  return {
    transactionId: row.transaction_id, teamId: row.team_id, type: row.type, amountMicro: row.amount, balanceBeforeMicro: row.balance_before,
    balanceAfterMicro: row.balance_after, jobId: row.job_id, actor: row.actor, reason: row.reason, paymentType: row.payment_type,
    paymentAmountNanos: row.payment_amount_nanos, createdAt: row.created_at,
  };
}

async function selectAccount(db: Queryable, teamId: string): Promise<CreditAccount | null> {
  const rows = await db.query<TeamRow>('SELECT * FROM teams WHERE team_id = $1 AND deleted_at IS NULL', [teamId]);
  return rows[0] ? toCreditAccount(rows[0]) : null;
}

/**
 * The credit ledger in PostgreSQL. A balance change is one transaction: a conditional UPDATE of the team
 * row (which also takes its row lock, so concurrent changes queue instead of losing updates) and the
 * ledger row computed from the values that UPDATE returned.
 */
export class CreditLedgerRepository implements CreditLedgerStore {
  constructor(private readonly db: Database) {}

  account(teamId: string): Promise<CreditAccount | null> {
    return selectAccount(this.db, teamId);
  }

  applyChange(teamId: string, change: BalanceChange): Promise<BalanceChangeOutcome> {
    return fenced(this.db, { teamIds: [teamId] }, () => this.db.transaction((tx) => applyChangeIn(tx, teamId, change)));
  }

  async entries(teamId: string, page: LedgerPageRequest): Promise<LedgerEntry[]> {
    const conditions = ['team_id = $1'];
    const params: unknown[] = [teamId];
    if (page.beforeId !== null) { params.push(page.beforeId); conditions.push(`transaction_id < $${params.length}`); }
    if (page.type) { params.push(page.type); conditions.push(`type = $${params.length}`); }
    params.push(page.limit);
    const rows = await this.db.query<LedgerRow>(
      `SELECT * FROM credit_transactions WHERE ${conditions.join(' AND ')} ORDER BY transaction_id DESC LIMIT $${params.length}`, params);
    return rows.map(toLedgerEntry);
  }

  async updateTerms(teamId: string, patch: CreditTermsPatch): Promise<CreditAccount | null> {
    const params: unknown[] = [teamId];
    const sets: string[] = [];
    const set = (column: string, value: unknown) => { params.push(value); sets.push(`${column} = $${params.length}`); };
    if (patch.budgetMode !== undefined) set('budget_mode', patch.budgetMode);
    if (patch.failedJobPolicy !== undefined) set('failed_job_policy', patch.failedJobPolicy);
    if (patch.creditsPerDollar !== undefined) set('credits_per_dollar', patch.creditsPerDollar);
    if (patch.tokensPerCredit !== undefined) set('tokens_per_credit', patch.tokensPerCredit);
    const rows = await this.db.query<TeamRow>(
      `UPDATE teams SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE team_id = $1 AND deleted_at IS NULL RETURNING *`, params);
    return rows[0] ? toCreditAccount(rows[0]) : null;
  }

  async updateAutoRefill(teamId: string, settings: AutoRefillSettings): Promise<CreditAccount | null> {
    const rows = await this.db.query<TeamRow>(
      `UPDATE teams SET refill_enabled = $2, refill_amount = $3, refill_period = $4, updated_at = now()
        WHERE team_id = $1 AND deleted_at IS NULL RETURNING *`,
      [teamId, settings.enabled, settings.amountMicro, settings.period],
    );
    return rows[0] ? toCreditAccount(rows[0]) : null;
  }

  async autoRefillTeams(): Promise<Array<{ teamId: string; period: RefillPeriod }>> {
    const rows = await this.db.query<{ team_id: string; refill_period: RefillPeriod }>(
      `SELECT team_id, refill_period FROM teams
        WHERE refill_enabled AND refill_amount > 0 AND refill_period IS NOT NULL AND deleted_at IS NULL ORDER BY team_id`);
    return rows.map((row) => ({ teamId: row.team_id, period: row.refill_period }));
  }

  applyAutoRefill(teamId: string, periodKey: string, actor: string): Promise<'applied' | 'already_applied' | 'not_eligible'> {
    return fenced(this.db, { teamIds: [teamId] }, () => this.db.transaction(async (tx) => {
      const team = await tx.query<{ refill_amount: number | null; refill_enabled: boolean }>(
        'SELECT refill_amount, refill_enabled FROM teams WHERE team_id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE', [teamId]);
      const amount = team[0]?.refill_enabled ? team[0].refill_amount : null;
      if (!amount || amount <= 0) return 'not_eligible';
      // The (team, period) primary key is the exactly-once guard across instances.
      const run = await tx.query(
        'INSERT INTO auto_refill_runs (team_id, period_key, amount) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING team_id', [teamId, periodKey, amount]);
      if (run.length === 0) return 'already_applied';
      const outcome = await applyChangeIn(tx, teamId, {
        type: 'auto_refill', amountMicro: amount, actor, reason: `Auto-refill (${periodKey})`, paymentType: null, paymentAmountNanos: null,
      });
      return outcome.kind === 'applied' ? 'applied' : 'not_eligible';
    }));
  }
}

async function applyChangeIn(tx: Queryable, teamId: string, change: BalanceChange): Promise<BalanceChangeOutcome> {
  // A negative change may not leave remaining (allocated − used) below what open work holds.
  const rows = await tx.query<TeamRow>(
    `UPDATE teams SET credits_allocated = credits_allocated + $2::bigint, updated_at = now()
      WHERE team_id = $1 AND deleted_at IS NULL
        AND ($2::bigint >= 0 OR credits_allocated + $2::bigint - credits_used >= credits_reserved)
      RETURNING *`,
    [teamId, change.amountMicro],
  );
  if (!rows[0]) {
    const account = await selectAccount(tx, teamId);
    return account ? { kind: 'below_reserved', account } : { kind: 'team_not_found' };
  }
  const account = toCreditAccount(rows[0]);
  const after = account.allocatedMicro - account.usedMicro;
  const ledger = await tx.query<LedgerRow>(
    `INSERT INTO credit_transactions (team_id, type, amount, balance_before, balance_after, actor, reason, payment_type, payment_amount_nanos)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [teamId, change.type, change.amountMicro, after - change.amountMicro, after, change.actor, change.reason, change.paymentType, change.paymentAmountNanos],
  );
  return { kind: 'applied', entry: toLedgerEntry(ledger[0]!), account };
}
