import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AdmissionItem, SettlementItem } from '../src/storage/call-write-queue.ts';
import { migrate } from '../src/storage/migrator.ts';
import { PgliteDatabase } from '../src/storage/pglite-database.ts';
import { admission, settlement } from './helpers/call-items.ts';

// apply_decided_round (migration 0005, decision 016) is apply_calls (0003) rewritten as one statement for
// the write queue's decided rounds. Same random rounds into two databases, one statement each; after every
// round the rows they wrote must be the same — calls, attempts, holds, jobs' counters and totals, teams'
// held credits — including calls sent twice, holds released meanwhile, failed calls, metadata merges and
// model groups in order of first use.

const TEAMS = ['team-a', 'team-b'];
const JOBS = [
  { jobId: crypto.randomUUID(), teamId: 'team-a', status: 'pending' },
  { jobId: crypto.randomUUID(), teamId: 'team-a', status: 'in_progress' },
  { jobId: crypto.randomUUID(), teamId: 'team-b', status: 'pending' },
];
const GROUPS = ['fast', 'smart', null, 'cheap'];
const TTL = 900;

let reference: PgliteDatabase;
let candidate: PgliteDatabase;

async function seeded(): Promise<PgliteDatabase> {
  const db = await PgliteDatabase.open(null);
  await migrate(db);
  await db.query(`INSERT INTO organizations (organization_id, name) VALUES ('org', 'org')`);
  for (const teamId of TEAMS) {
    await db.query(`INSERT INTO teams (team_id, organization_id, name, credits_allocated, credits_reserved, budget_mode) VALUES ($1, 'org', $1, 1000000000, 5000, 'consumption_usd')`, [teamId]);
  }
  for (const job of JOBS) {
    await db.query(`INSERT INTO jobs (job_id, team_id, job_type, status, metadata, model_groups_used, expires_at) VALUES ($1, $2, 'diff', $3, '{"seed": 1}', '{smart}', now() + interval '1 day')`,
      [job.jobId, job.teamId, job.status]);
  }
  return db;
}

before(async () => { [reference, candidate] = await Promise.all([seeded(), seeded()]); });
after(async () => { await Promise.all([reference.close(), candidate.close()]); });

/** mulberry32: the same rounds on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function settlementOf(item: AdmissionItem, next: () => number): SettlementItem {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const base = settlement(item, 0);
  const succeeded = next() < 0.8;
  const group = pick(GROUPS);
  const holdChange = item.hold_micro > 0 ? Math.floor(next() * item.hold_micro * 1.5) - item.hold_micro : undefined;
  return {
    ...base,
    call: {
      ...base.call, model_group: group, status: succeeded ? 'succeeded' : 'failed', prompt_tokens: Math.floor(next() * 100), completion_tokens: Math.floor(next() * 50),
      total_tokens: Math.floor(next() * 150), provider_cost_nanos: Math.floor(next() * 1e6), client_cost_nanos: Math.floor(next() * 2e6),
      latency_ms: next() < 0.2 ? null : Math.floor(next() * 900), request_body: next() < 0.5 ? { messages: [{ role: 'user', content: 'hi\n\t"there"' }] } : null,
      error: succeeded ? null : { type: 'upstream_error', message: 'boom' },
    },
    attempts: next() < 0.3 ? [] : [base.attempts[0]!, ...(next() < 0.3 ? [{ ...base.attempts[0]!, attempt_number: 2, status: 'failed', http_status: 503 }] : [])],
    succeeded, model_group: group,
    metadata: succeeded && next() < 0.6 ? { [pick(['step', 'user', 'seed'])]: Math.floor(next() * 10), ...(next() < 0.3 ? { nested: { a: [1, 2] } } : {}) } : null,
    actual_hold_micro: item.hold_micro > 0 ? item.hold_micro + (holdChange ?? 0) : 0,
    ...(holdChange !== undefined ? { hold_change: holdChange } : { hold_change: 0 }),
  };
}

/** One round as the write queue sends it in decided mode: admissions (some settled in the same round, coalesced) and settlements. */
function nextRound(next: () => number, open: AdmissionItem[], settledBefore: SettlementItem[]): { admissions: AdmissionItem[]; settlements: SettlementItem[] } {
  const admissions: AdmissionItem[] = [];
  const settlements: SettlementItem[] = [];
  // Calls admitted in earlier rounds, settled now; now and then a settlement written before, sent again.
  for (let i = Math.floor(next() * Math.min(open.length, 10)); i > 0; i--) {
    settlements.push(settlementOf(open.splice(Math.floor(next() * open.length), 1)[0]!, next));
  }
  if (settledBefore.length > 0 && next() < 0.3) settlements.push(settledBefore[Math.floor(next() * settledBefore.length)]!);
  // New calls; half of them settled within this round (coalesced, as the write queue pairs them).
  for (let i = Math.floor(next() * 12); i > 0; i--) {
    const job = JOBS[Math.floor(next() * JOBS.length)]!;
    const item = admission(job.jobId, job.teamId, next() < 0.7 ? 1 + Math.floor(next() * 10_000) : 0);
    if (next() < 0.5) {
      const settled = { ...settlementOf(item, next), coalesced: true };
      admissions.push({ ...item, coalesced: true, ...(item.hold_micro > 0 ? { settled_hold_micro: item.hold_micro + settled.hold_change! } : {}) });
      settlements.push(settled);
    } else {
      admissions.push(item);
      open.push(item);
    }
  }
  return { admissions, settlements: settlements.sort(() => next() - 0.5) };
}

const SNAPSHOT = {
  jobs: `SELECT job_id, status, started_at IS NOT NULL AS started, in_flight_calls, pending_cost_nanos, total_calls, successful_calls, failed_calls, prompt_tokens,
                completion_tokens, total_tokens, provider_cost_nanos, client_cost_nanos, total_latency_ms, model_groups_used, metadata FROM jobs ORDER BY job_id`,
  teams: 'SELECT team_id, credits_reserved FROM teams ORDER BY team_id',
  reservations: `SELECT reservation_id, team_id, job_id, call_id, amount, status, expires_at - created_at AS ttl FROM reservations ORDER BY reservation_id`,
  calls: 'SELECT * FROM calls ORDER BY call_id',
  attempts: `SELECT call_id, attempt_number, deployment_alias, provider, status, http_status, error_class, error_message, latency_ms, started_at
               FROM call_attempts ORDER BY call_id, attempt_number`,
};

async function snapshot(db: PgliteDatabase): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(SNAPSHOT)) out[name] = await db.query(sql);
  return out;
}

test('120 random rounds: apply_decided_round writes exactly what apply_calls writes', async () => {
  const next = random(20261124);
  const open: AdmissionItem[] = [];
  const settledBefore: SettlementItem[] = [];
  let calls = 0;
  for (let round = 0; round < 120; round++) {
    const { admissions, settlements } = nextRound(next, open, settledBefore);
    const params = [JSON.stringify(admissions), JSON.stringify(settlements), TTL];
    await reference.query('SELECT apply_calls($1::jsonb, $2::jsonb, $3::int)', params);
    await candidate.query('SELECT apply_decided_round($1::jsonb, $2::jsonb, $3::int)', params);
    settledBefore.push(...settlements);
    if (round % 17 === 5 && open.some((item) => item.reservation_id)) {
      // A hold released meanwhile (a job closed, an expiry): a later change to it is skipped by both.
      const released = open.find((item) => item.reservation_id)!.reservation_id;
      for (const db of [reference, candidate]) await db.query(`UPDATE reservations SET status = 'released' WHERE reservation_id = $1`, [released]);
    }
    // Every fifth round and the last (the comparison reads every row, and the tables grow).
    if (round % 5 === 4) assert.deepEqual(await snapshot(candidate), await snapshot(reference), `round ${round}`);
    calls += settlements.length;
  }
  const count = (await candidate.query<{ count: number }>('SELECT count(*)::int AS count FROM calls'))[0]!.count;
  assert.ok(count > 300 && calls > count, `a meaningful run: ${count} calls recorded of ${calls} settlements sent (some twice)`);
});

test('what one statement cannot apply is refused, and nothing of its round is written: a hold without its decided change, a call admitted and settled unpaired', async () => {
  const job = JOBS[1]!;
  const item = admission(job.jobId, job.teamId, 500);
  await candidate.query('SELECT apply_decided_round($1::jsonb, $2::jsonb, $3::int)', [JSON.stringify([item]), '[]', TTL]);
  const before = await snapshot(candidate);
  const other = admission(job.jobId, job.teamId, 0);
  await assert.rejects(
    candidate.query('SELECT apply_decided_round($1::jsonb, $2::jsonb, $3::int)', [JSON.stringify([other]), JSON.stringify([settlement(item, 100)]), TTL]),
    (error: Error & { code?: string }) => error.code === '22023' && /hold_change/.test(error.message),
  );
  // Admitted and settled in one round without being paired: its hold would be invisible to the settlement.
  const fresh = admission(job.jobId, job.teamId, 500);
  await assert.rejects(
    candidate.query('SELECT apply_decided_round($1::jsonb, $2::jsonb, $3::int)', [JSON.stringify([fresh]), JSON.stringify([{ ...settlement(fresh, 100), hold_change: -400 }]), TTL]),
    (error: Error & { code?: string }) => error.code === '22023' && /coalesced/.test(error.message),
  );
  assert.deepEqual(await snapshot(candidate), before);
});
