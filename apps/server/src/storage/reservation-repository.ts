import type { StaleHoldReleaser } from '../domain/maintenance-ports.ts';
import type { Database } from './database.ts';
import { fenced } from './local-call-accounting.ts';

/** Releases expired holds and gives their credits back to `available`, atomically per hold. */
export class ReservationRepository implements StaleHoldReleaser {
  constructor(private readonly db: Database) {}

  async releaseExpiredHolds(now: Date): Promise<number> {
    const due = await this.db.query<{ reservation_id: string; team_id: string }>(
      `SELECT reservation_id, team_id FROM reservations WHERE status = 'held' AND expires_at <= $1 ORDER BY expires_at LIMIT 500`, [now]);
    if (due.length === 0) return 0;
    return fenced(this.db, { teamIds: [...new Set(due.map((hold) => hold.team_id))] }, () => this.release(due.map((hold) => hold.reservation_id)));
  }

  private async release(reservationIds: string[]): Promise<number> {
    let released = 0;
    for (const reservationId of reservationIds) {
      const done = await this.db.transaction(async (tx) => {
        const rows = await tx.query<{ team_id: string; amount: number }>(
          `UPDATE reservations SET status = 'released', released_at = now() WHERE reservation_id = $1 AND status = 'held' RETURNING team_id, amount`, [reservationId]);
        const hold = rows[0];
        if (!hold) return false;
        await tx.query('UPDATE teams SET credits_reserved = credits_reserved - $2 WHERE team_id = $1', [hold.team_id, hold.amount]);
        return true;
      });
      if (done) released += 1;
    }
    return released;
  }
}
