import type { AdmissionItem, SettlementItem } from './call-write-queue.ts';
import { readLeftoverJournals, removeJournals, type JournalEntry, type JournalLogger } from './call-journal.ts';
import type { Database } from './database.ts';

export interface RecoveryLogger extends JournalLogger {
  info(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

const BATCH = 128;

/**
 * Replays the call journals of processes that died (decision 014): every call whose answer went out is
 * recorded, exactly once. Runs before the instance serves.
 *
 * - Calls already recorded are skipped (`calls` is keyed by call id).
 * - PostgreSQL: an admission is written before its upstream request (the database decides it), so only
 *   settlements can be missing; `settle_calls` writes them with the hold change computed there.
 * - Embedded PGlite (decided in memory, written behind): the admission may be missing too. A call whose
 *   hold is in `reservations` was admitted in the database; any other is admitted again first (a call
 *   without a hold cannot be told apart, so its job's in-flight counters may end one too high). Then —
 *   this process being the database's only user, and starting — no call of any job is in flight: the
 *   counters of every job are set to zero, which also frees jobs from calls the crash cut off. Those calls'
 *   holds stay until they expire or their job closes (the sweeper), as before.
 */
export async function recoverCallJournals(db: Database, dir: string, holdTtlSeconds: number, log: RecoveryLogger): Promise<void> {
  const { files, entries } = readLeftoverJournals(dir, log);
  if (files.length === 0) return;
  const unique = new Map<string, JournalEntry>();
  for (const entry of entries) unique.set(String(entry.settlement.call.call_id), entry);
  const recorded = unique.size === 0 ? new Set<string>() : new Set((await db.query<{ call_id: string }>(
    'SELECT call_id FROM calls WHERE call_id = ANY($1::uuid[])', [[...unique.keys()]])).map((row) => row.call_id));
  const missing = [...unique.values()].filter((entry) => !recorded.has(String(entry.settlement.call.call_id)));
  let replayed = 0;
  for (let start = 0; start < missing.length; start += BATCH) {
    replayed += await replayBatch(db, missing.slice(start, start + BATCH), holdTtlSeconds, log);
  }
  if (db.singleOwner) {
    await db.query('UPDATE jobs SET in_flight_calls = 0, pending_cost_nanos = 0 WHERE in_flight_calls <> 0 OR pending_cost_nanos <> 0');
  }
  removeJournals(files);
  log.info({ files: files.length, acknowledged: unique.size, alreadyRecorded: recorded.size, replayed }, 'call journal replayed after an unclean stop');
}

/** Writes a batch as one statement; if that fails, element by element (one bad element must not lose the rest). */
async function replayBatch(db: Database, batch: JournalEntry[], holdTtlSeconds: number, log: RecoveryLogger): Promise<number> {
  try {
    await replay(db, batch, holdTtlSeconds);
    return batch.length;
  } catch (error) {
    if (batch.length === 1) {
      log.error({ callId: batch[0]!.settlement.call.call_id, err: error }, 'call journal: a call could not be replayed');
      return 0;
    }
    let written = 0;
    for (const entry of batch) written += await replayBatch(db, [entry], holdTtlSeconds, log);
    return written;
  }
}

async function replay(db: Database, batch: JournalEntry[], holdTtlSeconds: number): Promise<void> {
  // Journaled before any in-memory decision: the database computes each hold change itself.
  const settlements: SettlementItem[] = batch.map(({ settlement }) => ({ ...settlement, hold_change: undefined, coalesced: undefined }));
  if (!db.singleOwner) {
    await db.query('SELECT settle_calls($1::jsonb)', [JSON.stringify(settlements)]);
    return;
  }
  const holdIds = batch.flatMap(({ settlement }) => (settlement.reservation_id ? [settlement.reservation_id] : []));
  const held = holdIds.length === 0 ? new Set<string>() : new Set((await db.query<{ reservation_id: string }>(
    'SELECT reservation_id FROM reservations WHERE reservation_id = ANY($1::uuid[])', [holdIds])).map((row) => row.reservation_id));
  const admissions: AdmissionItem[] = batch
    .filter(({ settlement }) => !settlement.reservation_id || !held.has(settlement.reservation_id))
    .map(({ settlement, hold_micro }) => ({
      call_id: String(settlement.call.call_id), job_id: String(settlement.call.job_id), team_id: String(settlement.call.team_id),
      worst_cost_nanos: settlement.worst_cost_nanos, hold_micro: settlement.reservation_id ? hold_micro : 0, reservation_id: settlement.reservation_id,
    }));
  await db.query('SELECT apply_calls($1::jsonb, $2::jsonb, $3::int)', [JSON.stringify(admissions), JSON.stringify(settlements), holdTtlSeconds]);
}
