import type { AdminApi } from './bench-tenant.ts';

export interface LedgerCheck {
  /** Credits still held by reservations (must be 0 once every job is closed). */
  creditsReserved: number;
  creditsRemaining: number;
  /** Sum of every ledger entry (must equal the remaining balance). */
  ledgerSum: number;
  transactions: number;
  balanced: boolean;
  noLeakedReservations: boolean;
}

interface TeamView { credits_reserved: number; credits_remaining: number }
interface LedgerPage { transactions: Array<{ amount: number }>; next_cursor: string | null }

const toMicro = (credits: number) => Math.round(credits * 1_000_000);

/**
 * Money after a run, through the admin API only (on PGlite the server process owns the data directory):
 * no credits left reserved, and the append-only ledger sums to the team's remaining balance.
 */
export async function checkLedger(admin: AdminApi, teamId: string): Promise<LedgerCheck> {
  const team = await admin.request<TeamView>('GET', `/api/teams/${teamId}`);
  let sumMicro = 0;
  let transactions = 0;
  let cursor: string | null = null;
  // Bounded: a run writes one deduction per job, and the bench opens a handful of jobs.
  for (let page = 0; page < 1000; page++) {
    const query: string = `limit=500${cursor ? `&cursor=${cursor}` : ''}`;
    const ledger: LedgerPage = await admin.request<LedgerPage>('GET', `/api/credits/teams/${teamId}/transactions?${query}`);
    for (const entry of ledger.transactions) sumMicro += toMicro(entry.amount);
    transactions += ledger.transactions.length;
    cursor = ledger.next_cursor;
    if (!cursor) break;
  }
  return {
    creditsReserved: team.credits_reserved,
    creditsRemaining: team.credits_remaining,
    ledgerSum: sumMicro / 1_000_000,
    transactions,
    balanced: sumMicro === toMicro(team.credits_remaining),
    noLeakedReservations: toMicro(team.credits_reserved) === 0,
  };
}
